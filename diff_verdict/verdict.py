"""Judge a change between two cloud assemblies (issue 13): per stack, what is deleted or replaced (DANGER when it
holds state, unless ALLOW_REPLACE names it), what widens security, and which acknowledgements changed.

Exit status: 2 when a stateful resource would be replaced or deleted and ALLOW_REPLACE does not name it; 1 when
--strict and a security widening is found; 0 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diff_verdict.assembly import Assembly
from diff_verdict.controls import control
from diff_verdict.findings import Finding, Severity
from diff_verdict.firewall_widening import firewall_widenings
from diff_verdict.gates import gate_findings
from diff_verdict.iam_widening import policy_widenings, removed_policy_widenings
from diff_verdict.protection_widening import removed_logging, setting_widenings
from diff_verdict.references import renamed_references
from diff_verdict.replacement import IGNORED_TYPES, ResourceFate, compare_resources, removed_stack

Resources = dict[str, dict[str, Any]]
EXIT_DANGER, EXIT_STRICT_WIDENING = 2, 1


@dataclass
class StackVerdict:
    name: str
    status: str  # changed | unchanged | added | removed
    findings: list[Finding] = field(default_factory=list)
    acknowledgements: tuple[int, int] = (0, 0)


@dataclass
class Verdict:
    stacks: list[StackVerdict]
    strict: bool
    allow_replace: list[str]
    allow_unused: list[str]
    head_unacknowledged: int

    @property
    def findings(self) -> list[Finding]:
        return [f for stack in self.stacks for f in stack.findings]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def exit_code(self) -> int:
        if self.count("danger"):
            return EXIT_DANGER
        if self.strict and self.count("widening"):
            return EXIT_STRICT_WIDENING
        return 0

    @property
    def summary(self) -> str:
        parts = []
        dangers, allowed, widenings = self.count("danger"), self.count("allowed"), self.count("widening")
        if dangers:
            parts.append(
                f"{_plural(dangers, 'stateful resource')} would be replaced or deleted "
                "(name each in ALLOW_REPLACE to accept)"
            )
        if allowed:
            parts.append(f"{allowed} stateful replacement(s) or deletion(s) accepted by ALLOW_REPLACE")
        if widenings:
            blocking = "blocking under STRICT=1" if self.strict else "not blocking; STRICT=1 blocks"
            parts.append(f"{_plural(widenings, 'security widening')} to review ({blocking})")
        if not (dangers or widenings):
            parts.append("no unaccepted stateful replacement or deletion, no security widening")
        base_acks = sum(s.acknowledgements[0] for s in self.stacks)
        head_acks = sum(s.acknowledgements[1] for s in self.stacks)
        parts.append(f"acknowledgements {base_acks} -> {head_acks}")
        if self.head_unacknowledged:
            parts.append(
                f"the head assembly's validation report lists {self.head_unacknowledged} unacknowledged finding(s)"
            )
        word = "BLOCKED" if self.exit_code else "PASSED"
        return f"{word}: " + "; ".join(parts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def judge(base: Assembly, head: Assembly, allow_replace: list[str], strict: bool = False) -> Verdict:
    allowed = set(allow_replace)
    stacks = []
    added = sorted(head.stacks.keys() - base.stacks.keys())
    for name in sorted(base.stacks.keys() | head.stacks.keys()):
        if name in base.stacks and name in head.stacks:
            region = head.stacks[name].region or base.stacks[name].region
            stacks.append(
                _changed_stack(name, base.stacks[name].resources, head.stacks[name].resources, region, allowed)
            )
        elif name in base.stacks:
            resources = base.stacks[name].resources
            renamed_to = _renamed_stack(resources, {n: head.stacks[n].resources for n in added})
            stacks.append(_removed_stack(name, resources, renamed_to, allowed))
        else:
            stacks.append(_changed_stack(name, {}, head.stacks[name].resources, head.stacks[name].region, allowed))
            stacks[-1].status = "added"
    used = {f.address for f in (f for s in stacks for f in s.findings) if f.severity == "allowed"}
    for stack in stacks:
        stack.findings.sort(key=Finding.sort_key)
    return Verdict(
        stacks=stacks,
        strict=strict,
        allow_replace=sorted(allowed),
        allow_unused=sorted(allowed - used),
        head_unacknowledged=head.unacknowledged_findings,
    )


def _fate_finding(stack: str, fate: ResourceFate, allowed: set[str]) -> Finding:
    severity: Severity = "change"
    detail = fate.detail
    if fate.stateful:
        severity = "allowed" if f"{stack}/{fate.logical_id}" in allowed else "danger"
        detail = f"{detail} [stateful: {fate.stateful}]"
    return Finding(severity, stack, fate.logical_id, fate.resource_type, fate.change, detail)


def _changed_stack(name: str, base: Resources, head: Resources, region: str | None, allowed: set[str]) -> StackVerdict:
    comparison = compare_resources(base, head, region)
    findings = [_fate_finding(name, fate, allowed) for fate in comparison.fates]
    # Widening and gates compare the base as if renamed resources already had their new logical IDs.
    renames = comparison.renames
    renamed_base = {renames.get(k, k): renamed_references(v, renames) for k, v in base.items()}
    for logical_id, resource in head.items():
        if resource.get("Type") in IGNORED_TYPES:
            continue
        before = renamed_base.get(logical_id)
        findings += policy_widenings(name, logical_id, before, resource)
        if before is not None:
            findings += setting_widenings(name, logical_id, before, resource)
    for logical_id in renamed_base.keys() - head.keys():
        findings += removed_policy_widenings(name, logical_id, renamed_base[logical_id])
        findings += removed_logging(name, logical_id, renamed_base[logical_id])
    findings += firewall_widenings(name, renamed_base, head)
    gates, base_acks, head_acks = gate_findings(name, renamed_base, head)
    findings += gates
    status = "changed" if findings or _template_changed(base, head) else "unchanged"
    return StackVerdict(name, status, findings, (base_acks, head_acks))


def _template_changed(base: Resources, head: Resources) -> bool:
    return base != head


def _removed_stack(name: str, base: Resources, renamed_to: str | None, allowed: set[str]) -> StackVerdict:
    findings = [_fate_finding(name, fate, allowed) for fate in removed_stack(base, renamed_to)]
    _, base_acks, _ = gate_findings(name, base, {})
    if base_acks:
        findings.append(
            Finding(
                "gate",
                name,
                "(stack)",
                "AWS::CloudFormation::Stack",
                "acknowledgements removed",
                f"{base_acks} acknowledgement(s) leave with the stack",
                (control("acknowledgement"),),
            )
        )
    return StackVerdict(name, "removed", findings, (base_acks, 0))


def _renamed_stack(base: Resources, candidates: dict[str, Resources]) -> str | None:
    """A new stack holding at least half of a removed stack's resources (same logical ID and type) is its rename."""
    wanted = {(k, v.get("Type")) for k, v in base.items() if v.get("Type") not in IGNORED_TYPES}
    best, best_share = None, 0.5
    for name, resources in sorted(candidates.items()):
        share = len(wanted & {(k, v.get("Type")) for k, v in resources.items()}) / max(len(wanted), 1)
        if share >= best_share:
            best, best_share = name, share
    return best
