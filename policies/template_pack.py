"""A rule pack over synthesized templates: our own rules, as a policy-validation plugin (CMP-1).

A rule is a function over one parsed CloudFormation template that yields `(logical id, location)` for each
non-compliant resource. Rules read the template exactly as CloudFormation will receive it, references and tags
included, and cost microseconds: a cdk-nag pack written in Python pays a Python/JavaScript round trip per resource
and rule (about 0.8 s per environment for three rules). Findings are acknowledged like any other plugin's, as
`<pack name>::<rule name>`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

Template = Mapping[str, Any]
Finding = tuple[str, str]  # (logical id, location in the template)
RuleCheck = Callable[[Template], Iterator[Finding]]


@dataclass(frozen=True)
class TemplateRule:
    name: str  # e.g. Project-NET1-DataTierNoRoutes: the control ID is in the name
    description: str  # what is wrong, naming the control
    fix: str
    check: RuleCheck


def resources(template: Template, *types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(logical id, properties) of every resource of these types."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") in types:
            yield logical_id, resource.get("Properties") or {}


def referenced(template: Template, value: Any) -> tuple[str, Mapping[str, Any]] | None:
    """The resource a `Ref` or `Fn::GetAtt` points at in the same template, or None (a literal, an import)."""
    if isinstance(value, Mapping) and "Ref" in value:
        logical_id = value["Ref"]
    elif isinstance(value, Mapping) and "Fn::GetAtt" in value:
        logical_id = value["Fn::GetAtt"][0]
    else:
        return None
    resource = (template.get("Resources") or {}).get(logical_id)
    return (logical_id, resource) if resource is not None else None


def tags(resource: Mapping[str, Any]) -> dict[str, str]:
    return {
        tag["Key"]: tag["Value"]
        for tag in (resource.get("Properties") or {}).get("Tags") or []
        if isinstance(tag, Mapping) and isinstance(tag.get("Value"), str)
    }


@jsii.implements(cdk.IPolicyValidationPlugin)
class TemplatePack:
    """A plugin running `rules` over every template; a subclass names the pack and lists its rules."""

    pack_name = "TemplatePack"
    pack_version = "1"
    rules: Sequence[TemplateRule] = ()

    @property
    def name(self) -> str:
        return self.pack_name

    @property
    def rule_ids(self) -> list[str]:
        return [rule.name for rule in self.rules]

    @property
    def version(self) -> str:
        return self.pack_version

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        found: dict[str, list[cdk.PolicyViolatingResource]] = {}
        for template_path in context.template_paths:
            template = json.loads(Path(template_path).read_text(encoding="utf-8"))
            for rule in self.rules:
                for logical_id, location in rule.check(template):
                    found.setdefault(rule.name, []).append(
                        cdk.PolicyViolatingResource(
                            resource_logical_id=logical_id, template_path=template_path, locations=[location]
                        )
                    )
        violations = [
            cdk.PolicyViolation(
                rule_name=rule.name,
                description=rule.description,
                fix=rule.fix,
                severity="error",
                violating_resources=found[rule.name],
            )
            for rule in self.rules
            if rule.name in found
        ]
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)
