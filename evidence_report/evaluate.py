"""Run every evidence rule over every environment and decide each control's status there.

A rule finds nothing, or finds a problem: the control is "not met" in that environment. A rule whose kind of
resource no stack of the app builds yet is "not built" (honest, not a pass). A control is "met" only when every
one of its rules is met; "partly built" when the rules that can run are met and the others are not built yet.
A control (or one of its rules) is "not applicable", with the reason, where the catalog binds it to other stages or
to an optional feature the environment does not build (features.py); inapplicable rules do not count.
A rule is "provided by organization", with the reason, where the account's baseline stack says in its template
Metadata that the organization provides the service the rule looks for (`organization_managed`) and the templates
hold no such resource: these templates cannot show its settings, so it is not "met"; the auditor checks it at the
organization. A control whose rules are all met or provided is "provided by organization" (ACC-4, NET-4..6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import evidence_report.rules  # noqa: F401 - registers the rules
from config.catalog import Catalog, Control
from evidence_report.assembly import Assembly
from evidence_report.evidence import EnvironmentView, Evidence, Row
from evidence_report.features import built_features
from evidence_report.gates import Acknowledgement, acknowledgements
from evidence_report.proving_tests import ProvingTest
from evidence_report.registry import EvidenceRule, rules_for

MET, NOT_MET, NOT_BUILT, PARTLY_BUILT, NOT_APPLICABLE, OUT_OF_SCOPE, PROVIDED = (
    "met",
    "not met",
    "not built",
    "partly built",
    "not applicable",
    "out of scope",
    "provided by organization",
)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    summary: str
    status: str
    rows: tuple[Row, ...]
    problems: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True)
class EnvironmentResult:
    environment: str
    status: str
    rules: tuple[RuleResult, ...]
    reason: str | None = None

    @property
    def rows(self) -> list[Row]:
        return [row for rule in self.rules for row in rule.rows]


@dataclass(frozen=True)
class ControlResult:
    control: Control
    environments: tuple[EnvironmentResult, ...]
    acknowledgements: tuple[Acknowledgement, ...]
    tests: tuple[ProvingTest, ...]

    def status_in(self, environment: str) -> str:
        return next(e.status for e in self.environments if e.environment == environment)


@dataclass(frozen=True)
class Environment:
    name: str
    stage: str | None
    account: str
    stacks: tuple[str, ...]
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evaluation:
    environments: tuple[Environment, ...]
    controls: tuple[ControlResult, ...]
    unattributed: tuple[Acknowledgement, ...] = field(default=())

    def counts(self, environment: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for control in self.controls:
            status = control.status_in(environment)
            counts[status] = counts.get(status, 0) + 1
        return counts

    def not_met(self) -> list[tuple[str, str]]:
        return [(c.control.id, e.environment) for c in self.controls for e in c.environments if e.status == NOT_MET]


def views(assembly: Assembly) -> list[EnvironmentView]:
    return [
        EnvironmentView(name, assembly.stage_of(name), tuple(assembly.stacks_of(name)), assembly)
        for name in assembly.environments
    ]


def run_rule(rule: EvidenceRule, view: EnvironmentView, built_anywhere: bool, catalog: Catalog) -> RuleResult:
    if rule.feature is not None:
        if rule.feature not in built_features(view):
            reason = catalog.feature(rule.feature).absent_reason
            return RuleResult(rule.name, rule.summary, NOT_APPLICABLE, (), (), reason)
        built_anywhere = True  # the feature is built here: what its rule looks for must be too ("not met" if not)
    evidence = Evidence(view.name)
    rule.check(view, evidence)
    if evidence.provided and not evidence.problems:
        rows = tuple(sorted(set(evidence.rows), key=evidence.rows.index))
        return RuleResult(rule.name, rule.summary, PROVIDED, rows, (), " ".join(evidence.provided))
    if not built_anywhere:
        status = NOT_BUILT
    elif evidence.problems or not evidence.rows:
        status = NOT_MET
    else:
        status = MET
    rows = tuple(sorted(set(evidence.rows), key=evidence.rows.index))
    return RuleResult(rule.name, rule.summary, status, rows, tuple(evidence.problems))


def combine(statuses: list[str]) -> str:  # noqa: PLR0911 - one return per status, in order of precedence
    if statuses and all(s == NOT_APPLICABLE for s in statuses):
        return NOT_APPLICABLE
    statuses = [s for s in statuses if s != NOT_APPLICABLE]
    if not statuses:
        return NOT_MET
    if NOT_MET in statuses:
        return NOT_MET
    if all(s == MET for s in statuses):
        return MET
    if all(s in (MET, PROVIDED) for s in statuses):
        return PROVIDED
    if all(s == NOT_BUILT for s in statuses):
        return NOT_BUILT
    return PARTLY_BUILT


def evaluate(assembly: Assembly, catalog: Catalog, tests: list[ProvingTest]) -> Evaluation:
    environment_views = views(assembly)
    all_acknowledgements = acknowledgements(assembly.stacks)
    results = []
    for control in catalog.controls:
        per_env = []
        rules = rules_for(control.id)
        built = {rule.name: any(rule.candidates(view) for view in environment_views) for rule in rules}
        for view in environment_views:
            if not control.in_scope:
                per_env.append(EnvironmentResult(view.name, OUT_OF_SCOPE, ()))
                continue
            if not control.binds(view.stage):
                per_env.append(EnvironmentResult(view.name, NOT_APPLICABLE, (), control.stages_reason))
                continue
            missing = [name for name in control.requires if name not in built_features(view)]
            if missing:
                reason = " ".join(catalog.feature(name).absent_reason for name in missing)
                per_env.append(EnvironmentResult(view.name, NOT_APPLICABLE, (), reason))
                continue
            rule_results = tuple(run_rule(rule, view, built[rule.name], catalog) for rule in rules)
            status = combine([r.status for r in rule_results])
            why = next((r.reason for r in rule_results if r.reason), None) if status == NOT_APPLICABLE else None
            if status == PROVIDED:
                why = " ".join(r.reason for r in rule_results if r.status == PROVIDED and r.reason)
            per_env.append(EnvironmentResult(view.name, status, rule_results, why))
        results.append(
            ControlResult(
                control=control,
                environments=tuple(per_env),
                acknowledgements=tuple(a for a in all_acknowledgements if a.control == control.id),
                tests=tuple(t for t in tests if control.id in t.controls),
            )
        )
    environments = tuple(
        Environment(
            v.name, v.stage, v.stacks[0].account, tuple(s.name for s in v.stacks), tuple(sorted(built_features(v)))
        )
        for v in environment_views
    )
    unattributed = tuple(a for a in all_acknowledgements if a.control not in catalog.ids)
    return Evaluation(environments, tuple(results), unattributed)
