"""Which finding each acknowledgement answers: the per-entry necessity check of tests/test_policy_gates.py (CMP-1).

An entry in a template's `Metadata.cdk_nag.rules_to_suppress` is needed only when its rule fires on that very
resource once the app is built with acknowledgements recorded, not applied. `fired` reads those findings from the
validation report (violations, plus those still acknowledged: aws-cdk-lib's own and the cross-region handlers',
which are acknowledged in a validation after the recording ends); `unanswered` lists the entries without one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Acknowledgement ids are the rule name, namespaced for plugins other than cdk-nag's packs.
NAMESPACES = {
    "cdk-validator-cfnguard": "cdk-validator-cfnguard::",
    "CloudFormation Validate": "CloudFormation-Validate::",
    "ProjectDeployReadiness": "ProjectDeployReadiness::",
}
# Made by aws-cdk-lib itself on every flow log it creates, with its own reason (not by this project).
CDK_OWN_ACKNOWLEDGEMENTS = frozenset({"CloudFormation-Validate::F3002", "CloudFormation-Validate::F3003"})


@dataclass(frozen=True, order=True)
class Entry:
    stack: str
    logical_id: str
    resource_type: str
    construct_path: str
    rule_id: str
    reason: str


def fired(report: dict[str, Any]) -> set[tuple[str, str]]:
    """(rule id, construct path) of every finding in the report, on the resource it names."""
    found = set()
    for plugin in report["pluginReports"]:
        namespace = NAMESPACES.get(plugin["pluginName"], "")
        for violation in plugin.get("violations") or []:
            for construct in violation["violatingConstructs"]:
                found.add((namespace + violation["ruleName"], construct.get("constructPath") or ""))
        for violation in plugin.get("suppressedViolations") or []:
            for construct in violation["violatingConstructs"]:
                path = construct.get("constructPath") or ""
                if violation.get("acknowledgedAt") == path:  # acknowledged on the resource itself, not a parent
                    found.add((namespace + violation["ruleName"], path))
    return found


def template_entries(templates: Iterable[tuple[str, dict[str, Any]]]) -> list[Entry]:
    """Every acknowledgement entry of (stack name, template) pairs."""
    entries = []
    for stack, template in templates:
        for logical_id, resource in (template.get("Resources") or {}).items():
            metadata = resource.get("Metadata") or {}
            for rule in (metadata.get("cdk_nag") or {}).get("rules_to_suppress") or []:
                entries.append(
                    Entry(
                        stack=stack,
                        logical_id=logical_id,
                        resource_type=str(resource.get("Type")),
                        construct_path=str(metadata.get("aws:cdk:path", "")),
                        rule_id=str(rule["id"]),
                        reason=str(rule["reason"]),
                    )
                )
    return sorted(entries)


def unanswered(entries: Iterable[Entry], findings: set[tuple[str, str]]) -> list[Entry]:
    """Our entries whose rule does not fire on their own resource."""
    return [
        e
        for e in entries
        if e.rule_id not in CDK_OWN_ACKNOWLEDGEMENTS and (e.rule_id, e.construct_path) not in findings
    ]
