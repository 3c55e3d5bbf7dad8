"""A small base for our whole-template policy plugins (CMP-1): rules read the synthesized templates, findings become a
policy-validation report.

A rule is a function from every template of the app (path -> template dict) to findings. A plugin built on
`TemplateRulePlugin` runs its rules at every synth, like the cdk-nag packs, and its findings are acknowledged with
`<plugin name>::<rule name>` (aws-cdk-lib 2.275 namespaces a plugin's rule names by the plugin's name and matches an
acknowledgement on the violating resource's construct path or any parent, which it finds from the logical id).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

Template = dict[str, Any]
Templates = Mapping[str, Template]  # template path -> template
Location = tuple[str, str]  # (logical id, location in the template) of one non-compliant resource


@dataclass(frozen=True)
class Finding:
    """One resource breaking one rule: where (template path, logical id) and what is wrong."""

    template_path: str
    logical_id: str
    message: str


@dataclass(frozen=True)
class TemplateRule:
    """A named check over all templates; `description` names the control, `fix` says what to do."""

    name: str
    description: str
    fix: str
    check: Callable[[Templates], list[Finding]]


def each_template(check: Callable[[Template], Iterator[Location]]) -> Callable[[Templates], list[Finding]]:
    """A rule over one template (yielding logical id and location), run over every template of the app."""
    return lambda templates: [
        Finding(template_path=path, logical_id=logical_id, message=location)
        for path, template in templates.items()
        for logical_id, location in check(template)
    ]


def load_templates(paths: list[str]) -> dict[str, Template]:
    return {path: json.loads(Path(path).read_text(encoding="utf-8")) for path in paths}


def resources_of(template: Template, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not types or resource.get("Type") in types:
            yield logical_id, resource


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def as_list(value: Any) -> list[Any]:
    """A policy field that may be one value or a list of them (Action, Resource, Statement), as a list."""
    return value if isinstance(value, list) else [value]


def logical_ids_in(value: Any) -> Iterator[str]:
    """Logical ids a value refers to with Ref or Fn::GetAtt (pseudo parameters such as AWS::Region excluded)."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::"):
            yield value["Ref"]
        elif "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            yield target[0] if isinstance(target, list) else str(target).split(".")[0]
        else:
            for item in value.values():
                yield from logical_ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from logical_ids_in(item)


def imports_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "Fn::ImportValue" in value and isinstance(value["Fn::ImportValue"], str):
            yield value["Fn::ImportValue"]
        else:
            for item in value.values():
                yield from imports_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from imports_in(item)


def resource_tags(resource: Mapping[str, Any]) -> dict[str, str]:
    tags = (resource.get("Properties") or {}).get("Tags")
    if isinstance(tags, dict):
        return {key: value for key, value in tags.items() if isinstance(value, str)}
    return {
        tag["Key"]: tag["Value"]
        for tag in tags or []
        if isinstance(tag, dict) and isinstance(tag.get("Key"), str) and isinstance(tag.get("Value"), str)
    }


def role_statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    """Every policy statement the template attaches to the role: inline, AWS::IAM::Policy and managed policies."""
    statements: list[dict[str, Any]] = []
    role = (template.get("Resources") or {}).get(role_id, {})
    for policy in (role.get("Properties") or {}).get("Policies") or []:
        statements += as_list(policy.get("PolicyDocument", {}).get("Statement", []))
    attached = set(logical_ids_in((role.get("Properties") or {}).get("ManagedPolicyArns") or []))
    for logical_id, policy in resources_of(template, "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        properties = policy.get("Properties") or {}
        if role_id in logical_ids_in(properties.get("Roles") or []) or logical_id in attached:
            statements += as_list(properties.get("PolicyDocument", {}).get("Statement", []))
    return statements


def allows(statements: list[dict[str, Any]], action: str, resource: Any) -> bool:
    """Whether an Allow statement names `action` (wildcards allowed) on `resource` (the same value, or a matching
    literal pattern, or "*"). Conditions are not evaluated: a conditional grant counts as a grant."""
    target = canonical(resource)
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in as_list(statement.get("Action"))):
            continue
        for granted in as_list(statement.get("Resource", [])):
            if granted == "*" or canonical(granted) == target:
                return True
            if isinstance(granted, str) and isinstance(resource, str) and fnmatch.fnmatchcase(resource, granted):
                return True
    return False


def report(rules: list[TemplateRule], templates: Templates) -> cdk.PolicyValidationPluginReport:
    """Run `rules` and turn their findings into a report whose violations are errors (they fail the synth)."""
    return findings_report([(rule, rule.check(templates)) for rule in rules])


def findings_report(results: list[tuple[TemplateRule, list[Finding]]]) -> cdk.PolicyValidationPluginReport:
    """Each rule's findings as one error violation (a rule without findings adds none)."""
    violations = [
        cdk.PolicyViolation(
            rule_name=rule.name,
            description=rule.description,
            fix=rule.fix,
            severity="error",
            violating_resources=[
                cdk.PolicyViolatingResource(
                    resource_logical_id=finding.logical_id,
                    template_path=finding.template_path,
                    locations=[finding.message],
                )
                for finding in findings
            ],
        )
        for rule, findings in results
        if findings
    ]
    return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)


class TemplateRulePlugin:
    """Subclass with `NAME`, `VERSION` and `RULES`, and decorate it `@jsii.implements(cdk.IPolicyValidationPlugin)`."""

    NAME = ""
    VERSION = "1.0.0"
    RULES: tuple[TemplateRule, ...] = ()

    @property
    def name(self) -> str:
        return self.NAME

    @property
    def rule_ids(self) -> list[str]:
        return [rule.name for rule in self.RULES]

    @property
    def version(self) -> str:
        return self.VERSION

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        return report(list(self.RULES), load_templates(list(context.template_paths)))
