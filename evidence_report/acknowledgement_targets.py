"""How many acknowledgements the templates carry, and whether they keep the project's targets (CMP-1).

Counted over every template's `Metadata.cdk_nag.rules_to_suppress`, the record an auditor reads. Targets: at most 25
distinct reasons (causes), at most 250 entries, no entry on a resource type its rule does not inspect
(policies/rule_targets.py), and every reason names a catalog control. `make acks` prints this summary and fails when a
target is missed; tests/test_acknowledgement_targets.py checks it on the example and probes it.

aws-cdk-lib writes two acknowledgements of its own on every flow log it creates (cfn-lint F3002/F3003, a workaround for
its camelCase `DestinationOptions`), with its own reason: they cannot name a control, because construct metadata
cannot be removed and cdk-nag's Metadata writer keeps the first reason per rule id, which is aws-cdk-lib's. They are
counted apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from config.pipeline import FLEET_TAG
from evidence_report.assembly import Stack
from evidence_report.gates import Acknowledgement, acknowledgements, exclusions
from policies.rule_targets import inspected_types

CDK_OWN_RULES = frozenset({"CloudFormation-Validate::F3002", "CloudFormation-Validate::F3003"})


@dataclass(frozen=True)
class Targets:
    max_reasons: int = 25
    max_entries: int = 250
    max_stray: int = 0


@dataclass(frozen=True)
class AcknowledgementSummary:
    entries: int
    resources: int
    reasons: int
    rule_ids: int
    stray: tuple[Acknowledgement, ...]  # on a resource type its rule does not inspect, or a rule the table lacks
    without_control: tuple[Acknowledgement, ...]  # ours whose reason names no catalog control
    cdk_own: int  # aws-cdk-lib's own flow-log entries

    def misses(self, targets: Targets) -> list[str]:
        """One line per missed target; empty when all are kept."""
        missed = []
        if self.reasons > targets.max_reasons:
            missed.append(f"{self.reasons} distinct reasons, target at most {targets.max_reasons}")
        if self.entries > targets.max_entries:
            missed.append(f"{self.entries} entries, target at most {targets.max_entries}")
        if len(self.stray) > targets.max_stray:
            missed.append(f"{len(self.stray)} entries on resources their rule does not inspect, target 0")
        if self.without_control:
            missed.append(f"{len(self.without_control)} entries whose reason names no control ID, target 0")
        return missed


def fleet_stacks(stacks: Iterable[Stack]) -> list[Stack]:
    """The cell pipelines' stacks (tagged by stacks/pipeline*.py); counted in the targets with the rest, and shown
    apart in `make acks` so their share is visible."""
    return [stack for stack in stacks if FLEET_TAG in stack.tags]


def is_stray(acknowledgement: Acknowledgement) -> bool:
    types = inspected_types(acknowledgement.rule_id)
    return types is None or acknowledgement.resource_type not in types


def summarize(stacks: Iterable[Stack], control_ids: frozenset[str]) -> AcknowledgementSummary:
    found = acknowledgements(stacks)
    ours = [a for a in found if a.rule_id not in CDK_OWN_RULES]
    return AcknowledgementSummary(
        entries=len(found),
        resources=len({(a.stack, a.logical_id) for a in found}),
        reasons=len({a.reason for a in found}),
        rule_ids=len({a.rule_id for a in found}),
        stray=tuple(a for a in ours if is_stray(a)),
        without_control=tuple(a for a in ours if a.control not in control_ids),
        cdk_own=len(found) - len(ours),
    )


def summary_lines(summary: AcknowledgementSummary, targets: Targets) -> list[str]:
    lines = [
        f"acknowledgements: {summary.entries} entries on {summary.resources} resources "
        f"(target <= {targets.max_entries}), {summary.reasons} distinct reasons (target <= {targets.max_reasons}), "
        f"{summary.rule_ids} rule ids",
        f"on resources their rule does not inspect: {len(summary.stray)} (target {targets.max_stray})",
        f"reasons naming no control: {len(summary.without_control)} of ours (target 0); "
        f"{summary.cdk_own} aws-cdk-lib flow-log entries with its own reason (F3002/F3003, not ours to word)",
    ]
    lines += [f"  stray: {a.stack}/{a.logical_id} ({a.resource_type}) {a.rule_id}" for a in summary.stray]
    lines += [f"  no control: {a.stack}/{a.logical_id} {a.rule_id}: {a.reason}" for a in summary.without_control]
    lines += [f"excluded for the whole app: {e.rule_id} ({e.plugin}): {e.reason}" for e in exclusions()]
    return lines
