"""Gate results and acknowledgements, read from validation-report.json and template Metadata (CMP-1).

Every acknowledgement is written into its resource's `Metadata.cdk_nag.rules_to_suppress` with a reason of the
form `<CONTROL-ID> (<basis>): <how>` (policies/acknowledgements.py), so it can be grouped under its control, and
by cause: one reason, reviewed once, whatever rules and resources it answers (`causes`). Rules rejected for the
whole app are excluded once where the gates are attached (policies/rule_exclusions.py, plain data read here) and
shown once (`exclusions`), never per resource.
aws-cdk-lib leaves out of validation-report.json every plugin that passed with nothing to report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from evidence_report.assembly import Stack
from policies.rule_exclusions import RULE_EXCLUSIONS

_REASON = re.compile(r"^(?P<control>[A-Z]{2,3}-\d+) \((?P<basis>[^)]+)\): (?P<how>.+)$", re.DOTALL)


@dataclass(frozen=True, order=True)
class Acknowledgement:
    """One accepted finding on one resource, with the control its reason names (None: names none)."""

    control: str | None
    stack: str
    logical_id: str
    resource_type: str
    construct_path: str
    rule_id: str
    basis: str
    how: str
    reason: str


@dataclass(frozen=True, order=True)
class PluginResult:
    """One plugin's entry in validation-report.json."""

    name: str
    version: str
    conclusion: str
    open_violations: tuple[str, ...]
    acknowledged: int


def acknowledgements(stacks: Iterable[Stack]) -> list[Acknowledgement]:
    found = []
    for stack in stacks:
        for resource in stack.resources():
            nag = resource.metadata.get("cdk_nag") or {}
            for entry in nag.get("rules_to_suppress") or []:
                reason = str(entry.get("reason", ""))
                match = _REASON.match(reason)
                found.append(
                    Acknowledgement(
                        control=match["control"] if match else None,
                        stack=stack.name,
                        logical_id=resource.logical_id,
                        resource_type=resource.type,
                        construct_path=str(resource.metadata.get("aws:cdk:path", "")),
                        rule_id=str(entry.get("id", "")),
                        basis=match["basis"] if match else "",
                        how=match["how"] if match else reason,
                        reason=reason,
                    )
                )
    return sorted(found, key=lambda a: (a.control or "", a.stack, a.logical_id, a.rule_id))


@dataclass(frozen=True, order=True)
class AcknowledgedCause:
    """One reason, once: the control it names, its basis, the rule IDs it answers and the resources it sits on."""

    control: str | None
    basis: str
    how: str
    reason: str
    rule_ids: tuple[str, ...]
    resources: tuple[str, ...]  # stack/logical id
    entries: int  # (resource, rule) acknowledgements in template Metadata


@dataclass(frozen=True, order=True)
class Exclusion:
    """A rule excluded for the whole app where the gates are attached, with its control and reason."""

    control: str
    plugin: str
    rule_id: str
    basis: str
    how: str
    reason: str


def causes(acknowledged: Iterable[Acknowledgement]) -> list[AcknowledgedCause]:
    """The acknowledgements grouped by reason: each cause once, with every rule ID and resource it answers."""
    grouped: dict[str, list[Acknowledgement]] = {}
    for a in acknowledged:
        grouped.setdefault(a.reason, []).append(a)
    found = [
        AcknowledgedCause(
            control=entries[0].control,
            basis=entries[0].basis,
            how=entries[0].how,
            reason=reason,
            rule_ids=tuple(sorted({a.rule_id for a in entries})),
            resources=tuple(sorted({f"{a.stack}/{a.logical_id}" for a in entries})),
            entries=len(entries),
        )
        for reason, entries in grouped.items()
    ]
    return sorted(found, key=lambda cause: (cause.control or "", cause.reason))


def exclusions() -> list[Exclusion]:
    return sorted(
        Exclusion(control=e.control, plugin=e.plugin, rule_id=e.rule_id, basis=e.basis, how=e.how, reason=e.reason)
        for e in RULE_EXCLUSIONS
    )


def pack_of(rule_id: str) -> str:
    """The pack a rule ID belongs to: `AwsSolutions-IAM5` -> AwsSolutions, `cdk-validator-cfnguard::x` -> its plugin."""
    rule = rule_id.split("[", 1)[0]  # a finding's suffix, e.g. [Resource::*], is not part of the pack name
    if "::" in rule:
        return rule.split("::", 1)[0]
    return rule.split("-", 1)[0]


def packs_seen(acknowledged: Iterable[Acknowledgement]) -> list[str]:
    return sorted({pack_of(a.rule_id) for a in acknowledged})


def plugin_results(report: dict[str, Any] | None) -> list[PluginResult]:
    results = []
    for plugin in (report or {}).get("pluginReports") or []:
        results.append(
            PluginResult(
                name=str(plugin.get("pluginName")),
                version=str(plugin.get("pluginVersion", "")),
                conclusion=str(plugin.get("conclusion")),
                open_violations=tuple(sorted(str(v.get("ruleName")) for v in plugin.get("violations") or [])),
                acknowledged=len(plugin.get("suppressedViolations") or []),
            )
        )
    return sorted(results)
