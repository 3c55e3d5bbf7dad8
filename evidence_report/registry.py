"""Evidence rules register here by control ID; `evidence_report.rules` holds them, one module per family."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evidence_report.assembly import Resource
from evidence_report.evidence import EnvironmentView, Evidence

RuleFunction = Callable[[EnvironmentView, Evidence], None]
LooksFor = tuple[str, ...] | Callable[[Resource], bool]


@dataclass(frozen=True)
class EvidenceRule:
    """A rule: the control it proves, what it looks for (to tell "not built" from "not met"), the check, and the
    optional feature (config/catalog.toml `features`) it needs: where that feature is not built it does not apply."""

    control: str
    name: str
    summary: str
    looks_for: LooksFor
    check: RuleFunction
    feature: str | None = None

    def candidates(self, view: EnvironmentView) -> int:
        """How many resources of the kind this rule looks for the environment has."""
        if callable(self.looks_for):
            return len(view.matching(self.looks_for))
        return sum(1 for _ in view.resources(*self.looks_for))


RULES: list[EvidenceRule] = []


def evidence_rule(
    control: str, *, looks_for: LooksFor, feature: str | None = None
) -> Callable[[RuleFunction], RuleFunction]:
    """Register `check` as evidence for `control`; its docstring's first paragraph is its summary in the report."""

    def register(check: RuleFunction) -> RuleFunction:
        summary = " ".join((check.__doc__ or check.__name__).strip().split("\n\n")[0].split())
        RULES.append(EvidenceRule(control, check.__name__, summary, looks_for, check, feature))
        return check

    return register


def rules_for(control: str) -> list[EvidenceRule]:
    return [rule for rule in RULES if rule.control == control]
