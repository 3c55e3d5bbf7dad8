"""Judge a change between two cloud assemblies (issue 13): per stack, what is deleted or replaced (DANGER when it
holds state, unless ALLOW_REPLACE names it), what interrupts a stateful resource in place, what widens security (a
firewall rule moved to another port is a move, not a widening), and which acknowledgements changed. A stack the base
does not have is one "new stack" line with its rules listed once, never widenings of nothing.

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
from diff_verdict.interruptions import interruptions
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
    new_rules: list[str] = field(default_factory=list)  # an added stack's firewall and IAM rules, each once


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
    def allow_replace_line(self) -> str | None:
        """The ALLOW_REPLACE value that accepts every stateful replacement or deletion of this change, when blocked."""
        if not self.count("danger"):
            return None
        wanted = sorted({f.address for f in self.findings if f.severity in ("danger", "allowed")})
        return "ALLOW_REPLACE=" + ",".join(wanted)

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
        if interruptions := self.count("interruption"):
            parts.append(f"{_plural(interruptions, 'in-place update')} interrupting a stateful resource")
        if widenings:
            blocking = "blocking under STRICT=1" if self.strict else "not blocking; STRICT=1 blocks"
            parts.append(f"{_plural(widenings, 'security widening')} to review ({blocking})")
        if not (dangers or widenings):
            parts.append("no unaccepted stateful replacement or deletion, no security widening")
        if moves := self.count("moved"):
            parts.append(f"{_plural(moves, 'firewall rule')} moved to another port")
        if new := [s for s in self.stacks if s.status == "added"]:
            parts.append(f"{_plural(len(new), 'new stack')}")
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
            stacks.append(_new_stack(name, head.stacks[name].resources, head.stacks[name].region, allowed))
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
    replaced = {fate.logical_id for fate in comparison.fates}
    for logical_id in sorted(base.keys() & head.keys() - replaced):
        findings += interruptions(name, logical_id, base[logical_id], head[logical_id])
    firewall = firewall_widenings(name, renamed_base, head)
    findings = [f for f in findings if not (f.severity == "change" and f.logical_id in firewall.moved_from)]
    findings += firewall.findings
    gates, base_acks, head_acks = gate_findings(name, renamed_base, head)
    findings += gates
    status = "changed" if findings or _template_changed(base, head) else "unchanged"
    return StackVerdict(name, status, findings, (base_acks, head_acks))


def _new_stack(name: str, head: Resources, region: str | None, allowed: set[str]) -> StackVerdict:
    """One line for a stack the base does not have; its rules (every one "new" against nothing) listed once."""
    judged = _changed_stack(name, {}, head, region, allowed)
    rules = sorted(
        {
            f"{f.detail.removesuffix(' (new rule)').removesuffix(' (new statement)')} ({f.logical_id})"
            for f in judged.findings
            if f.severity == "widening"
        }
    )
    count = sum(1 for r in head.values() if r.get("Type") not in IGNORED_TYPES)
    line = Finding(
        "new",
        name,
        "(stack)",
        "AWS::CloudFormation::Stack",
        "added",
        f"new stack: {count} resources, {_plural(len(rules), 'firewall or IAM rule')} (listed once below)",
    )
    return StackVerdict(name, "added", [line], judged.acknowledgements, rules)


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
