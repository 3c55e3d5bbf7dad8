"""CMP-1, issue 25: a cell pipeline stage restored from the stage assembly cache deploys exactly what a built one
would, a wrong cached twin still fails the synth, and `GATE_CACHE=off` builds every stage."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from app import add_cell_pipeline, new_app, stage_context
from policies.stage_twins import RULE_NAME, StageTwins
from stacks.pipeline import CellStages
from stacks.pipeline_stage import DeploymentStage
from stacks.stage_assembly_cache import NAMESPACE, StageKey, build_inputs_digest, project_files, stage_key
from tests.fleet_configs import fleet
from tests.probes import synth_report, tiny_stack


@pytest.fixture
def stage_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GATE_CACHE", raising=False)
    return tmp_path / "cache" / NAMESPACE


def synthesize_cell(outdir: Path) -> CellStages:
    app = new_app(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    stages = add_cell_pipeline(app, fleet(1), "main")
    app.synth()
    return stages


def assembly_files(outdir: Path) -> dict[str, bytes]:
    return {str(path.relative_to(outdir)): path.read_bytes() for path in sorted(outdir.rglob("*")) if path.is_file()}


def test_cmp1_restored_stages_give_the_pipeline_and_every_stage_file_byte_for_byte(
    stage_cache: Path, tmp_path: Path
) -> None:
    built = synthesize_cell(tmp_path / "built")
    assert not any(stage.restored for stage in built.all_stages())
    (generation,) = stage_cache.iterdir()
    assert len(list(generation.iterdir())) == len(built.all_stages())
    restored = synthesize_cell(tmp_path / "restored")
    assert all(stage.restored for stage in restored.all_stages())
    # A restored stage holds no stack: CDK Pipelines (JavaScript) took its stacks from the Python `synth` override,
    # or `add_stage` would have failed ("should contain at least one Stack") and the deploy actions would be missing.
    assert all(not stage.node.children for stage in restored.all_stages())
    pipeline = json.loads((tmp_path / "restored" / "pipeline-main.template.json").read_text(encoding="utf-8"))
    assert "t000-prod-network" in json.dumps(pipeline)
    assert assembly_files(tmp_path / "restored") == assembly_files(tmp_path / "built")


def twin_app(*, stage_key_: str, smuggle: bool, outdir: Path) -> tuple[cdk.Stack, DeploymentStage]:
    """A standalone stack; its twin in a DeploymentStage under `stage_key_` (built only on a cache miss, with a
    smuggled bucket when asked); the twin gate attached to the app."""
    standalone = tiny_stack("probe-network", outdir=outdir)
    app = standalone.node.root
    assert isinstance(app, cdk.App)
    s3.CfnBucket(standalone, "Bucket")
    stage = DeploymentStage(
        "probe",
        outdir=Path(app.outdir) / "assembly-probe",
        context=stage_context(app),
        cache_key=StageKey("probe", stage_key_),
    )
    if not stage.restored:
        twin = cdk.Stack(
            stage, "probe-network", stack_name="probe-network", env=cdk.Environment(account="111122223333")
        )
        s3.CfnBucket(twin, "Bucket")
        if smuggle:
            s3.CfnBucket(twin, "Smuggled")
    cdk.Validations.of(app).add_plugins(StageTwins(lambda: stage.stack_templates().items()))
    return standalone, stage


def test_cmp1_probe_a_wrong_cached_twin_fails_the_synth(stage_cache: Path, tmp_path: Path) -> None:
    """A cache entry that is not what the stage's code builds (a stale entry, a key that missed an input) is
    restored, and the StageTwins gate, comparing it with the freshly built standalone template, fails the synth."""
    planting, _ = twin_app(stage_key_="planted", smuggle=True, outdir=tmp_path / "plant")
    assert synth_report(planting) == {RULE_NAME: ["Smuggled"]}  # built with the smuggled bucket, and stored
    assert (stage_cache / "probe" / "planted" / "manifest.json").is_file()
    standalone, stage = twin_app(stage_key_="planted", smuggle=False, outdir=tmp_path / "probe")
    assert stage.restored
    assert synth_report(standalone) == {RULE_NAME: ["Smuggled"]}


def test_cmp1_probe_identical_restored_twins_pass(stage_cache: Path, tmp_path: Path) -> None:
    synth_report(twin_app(stage_key_="same", smuggle=False, outdir=tmp_path / "first")[0])
    standalone, stage = twin_app(stage_key_="same", smuggle=False, outdir=tmp_path / "second")
    assert stage.restored
    assert synth_report(standalone) == {}


def test_cmp1_gate_cache_off_builds_every_stage_and_stores_none(
    stage_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synth_report(twin_app(stage_key_="kept", smuggle=True, outdir=tmp_path / "first")[0])
    monkeypatch.setenv("GATE_CACHE", "off")
    standalone, stage = twin_app(stage_key_="kept", smuggle=False, outdir=tmp_path / "cold")
    assert not stage.restored
    assert synth_report(standalone) == {}
    _, other = twin_app(stage_key_="other", smuggle=False, outdir=tmp_path / "other")
    other.synth()
    assert not (stage_cache / "probe" / "other").exists()


def test_cmp1_every_build_input_changes_the_stage_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key covers the project's code and data files, the config, the cell, the stage, its context and the CLI's
    context; a change to any of them is a miss."""
    for name in ("app.py", "config/catalog.toml", "stacks/network.py", "constructs/tiered_vpc.py", "policies/x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("one", encoding="utf-8")
    (tmp_path / "stacks" / "__pycache__").mkdir()
    (tmp_path / "stacks" / "__pycache__" / "network.cpython-311.pyc").write_bytes(b"bytecode")
    assert [str(path.relative_to(tmp_path)) for path in project_files(tmp_path)] == [
        "app.py",
        "config/catalog.toml",
        "constructs/tiered_vpc.py",
        "policies/x.py",
        "stacks/network.py",
    ]
    before = build_inputs_digest(tmp_path)
    build_inputs_digest.cache_clear()
    (tmp_path / "config" / "catalog.toml").write_text("two", encoding="utf-8")
    assert build_inputs_digest(tmp_path) != before
    build_inputs_digest.cache_clear()

    def key(config: str = "{}", cell: str = "main", name: str = "acme-prod", flag: bool = True) -> str:
        return stage_key(config=config, cell=cell, name=name, context={"flag": flag}).stage

    same = key()
    assert key(config='{"x": 1}') != same
    assert key(cell="b") != same
    assert key(name="acme-dev") != same
    assert key(flag=False) != same
    monkeypatch.setenv("CDK_CONTEXT_JSON", '{"config": "other.toml"}')
    with_context = key()
    assert with_context != same
    monkeypatch.setenv("CDK_OUTDIR", "elsewhere")  # where the app's assembly goes changes no stage byte
    assert key() == with_context


def test_storing_an_entry_drops_the_entries_of_other_build_inputs(stage_cache: Path, tmp_path: Path) -> None:
    """Entries of other sources or library versions can never be hit again: the cache keeps one generation."""
    stale = stage_cache / "other-build-inputs" / "some-stage"
    stale.mkdir(parents=True)
    (stale / "manifest.json").write_text("{}", encoding="utf-8")
    _, stage = twin_app(stage_key_="fresh", smuggle=False, outdir=tmp_path / "app")
    stage.synth()
    assert sorted(path.name for path in stage_cache.iterdir()) == ["probe"]
    assert (stage_cache / "probe" / "fresh" / "manifest.json").is_file()


def test_cmp1_a_restored_assembly_that_cannot_be_read_is_built_instead(
    stage_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Probe: reading the restored assembly fails as it does on an install where aws_cdk.cloud_assembly_schema is the
    standalone package's copy (cx_api.CloudAssembly refuses its load options): every stage is built, and the result
    is the one a build gives, file for file."""
    built = synthesize_cell(tmp_path / "built")
    assert not any(stage.restored for stage in built.all_stages())

    def unreadable(directory: str) -> None:
        raise RuntimeError(f"Passed to parameter loadOptions of new aws-cdk-lib.cx_api.CloudAssembly: {directory}")

    monkeypatch.setattr("stacks.pipeline_stage.cx_api.CloudAssembly", unreadable)
    again = synthesize_cell(tmp_path / "again")
    assert not any(stage.restored for stage in again.all_stages())
    assert assembly_files(tmp_path / "again") == assembly_files(tmp_path / "built")
