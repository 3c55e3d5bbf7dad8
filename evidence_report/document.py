"""The report's content as one plain, ordered structure: evidence.json is it verbatim, HTML and OSCAL render it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from config.catalog import Catalog
from evidence_report.assembly import Assembly
from evidence_report.evaluate import MET, NOT_BUILT, NOT_MET, OUT_OF_SCOPE, PARTLY_BUILT, PROVIDED, Evaluation
from evidence_report.gates import acknowledgements, causes, exclusions, packs_seen, plugin_results

SCHEMA_VERSION = "1.0"
SUMMARY_STATUSES = (MET, PROVIDED, PARTLY_BUILT, NOT_BUILT, NOT_MET, "not applicable", OUT_OF_SCOPE)


def build_document(
    evaluation: Evaluation,
    catalog: Catalog,
    assembly: Assembly,
    *,
    date: str,
    date_source: str,
    assembly_label: str,
    junit_label: str | None,
) -> dict[str, Any]:
    environments = [env.name for env in evaluation.environments]
    excluded = exclusions()
    controls = []
    for result in evaluation.controls:
        control = result.control
        controls.append(
            {
                "id": control.id,
                "family": catalog.family_title(control.family),
                "title": control.title,
                "promise": control.promise,
                "maps_to": control.maps_to,
                "scope": control.scope,
                "out_of_scope_reason": control.reason,
                "stages": list(control.stages) if control.stages else None,
                "stages_reason": control.stages_reason,
                "requires": [catalog.feature(name).title for name in control.requires],
                "parts_require": [catalog.feature(name).title for name in control.parts_require],
                "status": {e.environment: e.status for e in result.environments},
                "evidence_count": sum(len(e.rows) for e in result.environments),
                "acknowledgement_count": len(result.acknowledgements),
                "test_count": len(result.tests),
                "environments": [
                    {
                        "environment": e.environment,
                        "status": e.status,
                        "reason": e.reason,
                        "rules": [
                            {
                                "rule": r.rule,
                                "summary": r.summary,
                                "status": r.status,
                                "reason": r.reason,
                                "problems": list(r.problems),
                                "evidence": [asdict(row) for row in r.rows],
                            }
                            for r in e.rules
                        ],
                    }
                    for e in result.environments
                ],
                "acknowledgements": [asdict(a) for a in result.acknowledgements],
                "causes": [asdict(c) for c in causes(result.acknowledgements)],
                "exclusions": [asdict(e) for e in excluded if e.control == control.id],
                "tests": [asdict(t) for t in result.tests],
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "title": "Evidence report: control catalog, template evidence, gates and tests",
        "date": date,
        "date_source": date_source,
        "assembly": assembly_label,
        "test_results": junit_label,
        "environments": [asdict(env) for env in evaluation.environments],
        "features": [
            {
                **feature.model_dump(),
                "built_in": [e.name for e in evaluation.environments if feature.name in e.features],
            }
            for feature in catalog.features
        ],
        "summary": {env: _summary(evaluation, env) for env in environments},
        "controls": controls,
        "gates": {
            "plugins": [asdict(p) for p in plugin_results(assembly.validation_report)],
            "validation_report": assembly.validation_report is not None,
            "packs_seen": packs_seen(acknowledgements(assembly.stacks)),
            "acknowledgement_count": len(acknowledgements(assembly.stacks)),
            "cause_count": len(causes(acknowledgements(assembly.stacks))),
            "exclusions": [asdict(e) for e in excluded],
            "unattributed_acknowledgements": [asdict(a) for a in evaluation.unattributed],
        },
    }


def _summary(evaluation: Evaluation, environment: str) -> dict[str, int]:
    counts = evaluation.counts(environment)
    return {status: counts.get(status, 0) for status in SUMMARY_STATUSES}


def summary_line(document: dict[str, Any]) -> str:
    """One line: per environment, met / partly built / not built / not met / n/a / out of scope."""
    parts = []
    for env, counts in document["summary"].items():
        shown = ", ".join(f"{counts[s]} {s}" for s in SUMMARY_STATUSES if counts[s] or s in (MET, NOT_MET))
        parts.append(f"{env}: {shown}")
    return "evidence: " + "; ".join(parts)


def not_met(document: dict[str, Any]) -> list[str]:
    return [
        f"{c['id']} in {env}" for c in document["controls"] for env, status in c["status"].items() if status == NOT_MET
    ]
