"""CMP-1: moving an environment into its cell pipeline changes neither its stack names nor its templates, and a
stage cannot carry a template the gates did not pass."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from app import stage_context
from policies.stage_twins import StageTwins
from stacks.pipeline_stage import DeploymentStage
from tests.conftest import Synthesized
from tests.probes import synth_report, tiny_stack


def stage_stacks(outdir: Path) -> dict[str, tuple[str, Path]]:
    """Stack name -> (stage folder, template file) over every pipeline stage of an assembly."""
    found: dict[str, tuple[str, Path]] = {}
    for manifest in sorted(outdir.glob("assembly-*/manifest.json")):
        for artifact_id, artifact in json.loads(manifest.read_text(encoding="utf-8"))["artifacts"].items():
            if artifact["type"] == "aws:cloudformation:stack":
                name = artifact["properties"].get("stackName", artifact_id)
                found[name] = (manifest.parent.name, manifest.parent / f"{artifact_id}.template.json")
    return found


def test_cmp1_every_stage_template_is_byte_identical_to_the_standalone_one(synthesized: Synthesized) -> None:
    stages = stage_stacks(synthesized.outdir)
    assert set(stages) == {
        *(
            f"acme-prod-{purpose}"
            for purpose in ("network", "bastion", "data-dr", "data", "backup-dr", "backup", "edge")
        ),
        "account-111122223333-baseline",
        "account-111122223333-baseline-dr",
    }
    for name, (_, template) in stages.items():
        assert template.read_bytes() == (synthesized.outdir / f"{name}.template.json").read_bytes(), name


def test_cmp1_stage_stacks_keep_their_names(synthesized: Synthesized) -> None:
    assert {folder for folder, _ in stage_stacks(synthesized.outdir).values()} == {
        "assembly-main-acme-prod",
        "assembly-main-account-111122223333",
    }
    assert "pipeline-main" in synthesized.fleet_stack_names()


def test_cmp1_the_example_with_its_pipeline_passes_every_gate(synthesized: Synthesized) -> None:
    """The report lists only plugins with findings; the probes below prove the pipeline gates report."""
    assert synthesized.failure is None
    assert [p["pluginName"] for p in synthesized.report["pluginReports"] if p["conclusion"] != "success"] == []


def _twin_app(*, extra_in_stage: bool) -> cdk.Stack:
    """A standalone stack and its twin in a DeploymentStage, with the twin gate attached to the app."""
    standalone = tiny_stack("probe-network")
    app = standalone.node.root
    assert isinstance(app, cdk.App)
    s3.CfnBucket(standalone, "Bucket")
    stage = DeploymentStage("probe", outdir=Path(app.outdir) / "assembly-probe", context=stage_context(app))
    twin = cdk.Stack(
        stage,
        "probe-network",
        stack_name="probe-network",
        env=cdk.Environment(account="111122223333", region="us-east-1"),
    )
    s3.CfnBucket(twin, "Bucket")
    if extra_in_stage:
        s3.CfnBucket(twin, "Smuggled")
    cdk.Validations.of(app).add_plugins(StageTwins(lambda: stage.stack_templates().items()))
    return standalone


def test_cmp1_probe_a_resource_added_only_inside_a_stage_fails_the_synth() -> None:
    standalone = _twin_app(extra_in_stage=True)
    assert synth_report(standalone) == {"Project-CMP1-StageTemplateIsTheGatedTemplate": ["Smuggled"]}


def test_cmp1_probe_identical_twins_pass() -> None:
    standalone = _twin_app(extra_in_stage=False)
    assert synth_report(standalone) == {}
