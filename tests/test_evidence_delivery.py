"""CMP-1 evidence, from the pipeline template: the production environment reaches its account only through the gated
synth, after the danger verdict and the approval; the environment without an account stays a workstation deploy."""

from __future__ import annotations

from typing import Any

import pytest

from evidence_report.assembly import Assembly
from tests.conftest import Synthesized
from tests.test_evidence_support import DEV, changed, environment_result, real_assembly, rule_status

RULE = "cmp1_delivered_through_the_gated_pipeline"


@pytest.fixture(scope="module")
def assembly(synthesized: Synthesized) -> Assembly:
    return real_assembly(synthesized)


def rows(assembly: Assembly, environment: str) -> list[Any]:
    result = environment_result(assembly, "CMP-1", environment)
    return list(next(rule for rule in result.rules if rule.rule == RULE).rows)


def test_cmp1_production_is_delivered_by_the_gated_pipeline_after_verdict_and_approval(assembly: Assembly) -> None:
    assert rule_status(assembly, "CMP-1", RULE) == "met"
    values = [row.value for row in rows(assembly, "acme-prod")]
    assert values[0] == "make synth CELL=main CONFIG=config/environments.toml"
    assert values[-1] == "DangerVerdict < ApproveProd < deploy"


def test_cmp1_an_environment_without_a_pipeline_is_shown_as_a_workstation_deploy(assembly: Assembly) -> None:
    assert rule_status(assembly, "CMP-1", RULE, DEV) == "met"
    assert [row.value for row in rows(assembly, DEV)] == ["cdk deploy --app cdk.out"]


def _approval_after_every_deploy(template: dict[str, Any]) -> None:
    pipeline = next(r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline")
    for stage in pipeline["Properties"]["Stages"]:
        stage["Actions"] = [a for a in stage["Actions"] if not a["Name"].endswith("ApproveProd")]


def test_cmp1_probe_production_without_the_approval_is_not_met(assembly: Assembly) -> None:
    broken = changed(assembly, "pipeline-main", _approval_after_every_deploy)
    assert rule_status(broken, "CMP-1", RULE) == "not met"
