"""What makes a synth fast changes no answer (CMP-1, issue 25).

A warm synth takes cfn-lint's schema answers from the gate cache (never importing cfn-lint), the Control Tower gate
runs cfn-guard beside the CloudFormation validation engine, and `make synth` marks its phases for `make bench`.
Each shortcut is proved to give what the slow path gives, and to miss when its input changes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from policies import control_tower, create_only_names
from policies.cache_folder import cache_dir, content_key
from policies.control_tower import StrictCfnGuard
from policies.create_only_names import _shape_from_schema, create_only_shape
from policies.gate_cache import GateCache, json_violation_records, violation_records
from policies.jsii_tarballs import _wanted, jsii_tarball, unpacked
from policies.template_validation import CachedTemplateValidation, SomeStacks
from policies.validation_engine import ENGINE_PARTS, PLUGIN_IN_PACKAGE, ROOT, EngineWorker
from policies.worker_environment import worker_environment
from tests.conftest import PROD, Synthesized
from tests.probes import count_control_tower_runs
from tests.test_control_tower_gate import gate_findings, shipped_plugin_findings

SCHEMA_TYPES = ("AWS::EC2::KeyPair", "AWS::S3::Bucket", "AWS::IAM::Role", "AWS::SNS::Topic", "Custom::Unknown")


def fresh_answer() -> Any:
    """The key pair's shape as a new process would get it: nothing remembered in memory, the gate cache as it is."""
    create_only_shape.cache_clear()
    create_only_names._shape_cache.cache_clear()
    return create_only_shape("AWS::EC2::KeyPair")


def test_cmp1_cached_schema_answers_equal_the_schema() -> None:
    for resource_type in SCHEMA_TYPES:
        assert create_only_shape(resource_type) == _shape_from_schema(resource_type), resource_type


def test_cmp1_a_warm_synth_reads_schema_answers_from_the_cache_without_cfn_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first answer reads cfn-lint's schema; the next process (its memory cleared) reads the cache and never
    reaches the schema reader, the only code that imports cfn-lint."""
    monkeypatch.setenv("GATE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GATE_CACHE", raising=False)
    reads: list[str] = []

    def schema(resource_type: str) -> Any:
        reads.append(resource_type)
        return _shape_from_schema(resource_type)

    monkeypatch.setattr(create_only_names, "_shape_from_schema", schema)
    try:
        first = fresh_answer()
        assert reads == ["AWS::EC2::KeyPair"]
        assert fresh_answer() == first
        assert reads == ["AWS::EC2::KeyPair"], "a cached answer must not read the schema again"
    finally:
        monkeypatch.undo()
        fresh_answer()


def test_cmp1_probe_a_schema_answer_is_keyed_by_the_cfn_lint_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poisoned entry is read back under its own key (so the probe can fail), and not under another cfn-lint
    version, where the answer comes from the schema again."""
    monkeypatch.setenv("GATE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GATE_CACHE", raising=False)
    try:
        assert fresh_answer().identity == ("KeyName",)
        (entry,) = (tmp_path / "create-only-shape").glob("*.json")
        entry.write_text(json.dumps({"shape": {"identity": [], "create_only": [], "writable_identifier": []}}))
        assert fresh_answer().identity == ()
        monkeypatch.setattr(create_only_names, "version", lambda name: "0.0.0-another")
        assert fresh_answer().identity == ("KeyName",)
    finally:
        monkeypatch.undo()
        fresh_answer()


def bad_templates(folder: Path) -> list[Path]:
    """Two small templates some Control Tower rules object to, selecting different rule files (two cfn-guard runs)."""
    open_group = {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": "probe",
            "VpcId": "vpc-1234",
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}],
        },
    }
    resources = {
        "Bucket": {"Resources": {"Open": {"Type": "AWS::S3::Bucket"}}},
        "Group": {"Resources": {"Ssh": open_group}},
    }
    paths = []
    for name, template in resources.items():
        paths.append(folder / f"{name}.template.json")
        paths[-1].write_text(json.dumps(template), encoding="utf-8")
    return paths


def test_cmp1_cfn_guard_started_beside_the_engine_finds_what_the_shipped_plugin_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`start` runs cfn-guard in the background (a fresh cache, so it does run); `validate` then only collects:
    no second run, and exactly the shipped plugin's findings."""
    paths = bad_templates(tmp_path)
    threads: list[str] = []
    run_plugin = control_tower._run_plugin

    def counted(plugin: Path, runs: Any) -> dict[str, list[dict[str, Any]]]:
        threads.extend(threading.current_thread().name for _ in runs)  # one entry per plugin run
        return run_plugin(plugin, runs)

    monkeypatch.setattr(control_tower, "_run_plugin", counted)
    gate = StrictCfnGuard(cache=GateCache("probe", root=tmp_path / "cache"))
    gate.start([str(path) for path in paths])
    found = gate_findings(paths, gate)
    assert len(threads) == 2, "the cache was empty: cfn-guard must have run once per rule selection"
    assert all(name.startswith("cfn-guard") for name in threads), "every run was started by `start`, none by validate"
    assert found == shipped_plugin_findings(paths)
    assert {rule for rule, *_ in found} >= {"s3_bucket_logging_enabled_check", "vpc_sg_restricted_common_ports_check"}
    runs = len(threads)
    assert gate_findings(paths, gate) == found
    assert len(threads) == runs, "collected results were cached, not run again"


def test_cmp1_cfn_guard_started_on_stage_twins_answers_for_the_standalone_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """app.py starts the gate on the cell pipeline stages' templates while the standalone stacks are built. A
    standalone template with the same checked content takes that run's findings (reported under its own path, as the
    shipped plugin reports them); one with other content is checked itself. With the cache off, as on a cold synth."""
    monkeypatch.setenv("GATE_CACHE", "off")
    standalone = bad_templates(tmp_path)
    (tmp_path / "stage").mkdir()
    twins = [tmp_path / "stage" / path.name for path in standalone]
    for path, twin in zip(standalone, twins, strict=True):
        twin.write_bytes(path.read_bytes())
    runs = count_control_tower_runs(monkeypatch)
    gate = StrictCfnGuard()
    gate.start([str(twin) for twin in twins])
    assert gate_findings(standalone, gate) == shipped_plugin_findings(standalone)
    assert len(runs) == 2, "the standalone templates took the twins' runs (one per rule selection)"
    changed = json.loads(standalone[0].read_text(encoding="utf-8"))
    changed["Resources"]["Other"] = {"Type": "AWS::S3::Bucket"}
    standalone[0].write_text(json.dumps(changed), encoding="utf-8")
    gate = StrictCfnGuard()
    gate.start([str(twin) for twin in twins])
    found = gate_findings(standalone, gate)
    assert len(runs) == 5, "a standalone template unlike its twin was checked itself"
    assert ("s3_bucket_logging_enabled_check", "Bucket.template.json", "Other", ()) in {
        (rule, name, logical_id, ()) for rule, name, logical_id, _ in found
    }


def test_cmp1_probe_the_plugin_failing_outside_the_kernel_fails_the_gate(tmp_path: Path) -> None:
    """The plugin's own errors (here: it cannot be loaded) raise, as they did through jsii, so the synth records a
    crashed gate instead of passing (tests/test_control_tower_gate.py proves a crashed gate fails the synth)."""
    template = bad_templates(tmp_path)[0]
    gate = StrictCfnGuard(cache=GateCache("probe", root=tmp_path / "cache"))
    check = gate._check(template)
    with pytest.raises(RuntimeError, match="cdk-validator-cfnguard failed"):
        control_tower._run_plugin(tmp_path / "missing" / "index.js", [(check.rules, [check])])


def test_cmp1_make_synth_marks_each_phase_for_the_benchmark(cli_synth: Path) -> None:
    marks = json.loads((cli_synth.parent / "timeline.json").read_text(encoding="utf-8"))
    phases = [mark["phase"] for mark in marks]
    assert phases[:5] == ["python started", "imports", "config validated", "cell stages", "stacks built"]
    assert phases[-1] == "assembly written"
    gates = [mark for mark in marks if mark["phase"].startswith("gate ")]
    assert {"gate CloudFormation Validate", "gate cdk-validator-cfnguard", "gate ProjectAccessRules"} <= {
        mark["phase"] for mark in gates
    }
    assert all(mark["seconds"] is not None for mark in gates)
    assert [mark["at"] for mark in marks] == sorted(mark["at"] for mark in marks)
    assert [mark["cpu"] for mark in marks] == sorted(mark["cpu"] for mark in marks)


def test_cmp1_the_early_validation_engine_finds_what_the_engine_in_the_kernel_finds(synthesized: Synthesized) -> None:
    """The worker a cold synth starts early (policies/validation_engine.py) against aws-cdk-lib's plugin in this
    process, on example templates that have findings (so the comparison cannot pass empty). The in-kernel reference
    is cached by content (the aws-cdk-lib version and the templates' bytes), like the Control Tower reference: it is
    recomputed whenever a template changes; the worker runs every time."""
    names = [f"{PROD}-network", "deploying-account-baseline"]
    stacks = [
        {
            "template_path": str(synthesized.outdir / f"{name}.template.json"),
            "stack_construct_path": name,
            "account_id": "111122223333",
            "region": "us-east-1",
        }
        for name in names
    ]
    cache = GateCache("cloudformation-validate-reference")
    key = content_key(
        "records by template file name",
        f"aws-cdk-lib {version('aws-cdk-lib')}",
        *(
            f"{stack['stack_construct_path']}:{content_key(Path(stack['template_path']).read_bytes())}"
            for stack in stacks
        ),
    )
    if (in_kernel := cache.get(key)) is None:
        plugin = cdk.CloudFormationValidatePlugin()
        records = plugin.validate(SomeStacks(cdk.App(), [cdk.PolicyValidationStack(**stack) for stack in stacks]))
        in_kernel = by_file_name(violation_records(records))
        cache.put(key, in_kernel)
    assert any(in_kernel.values()), "the example templates have findings before acknowledgements"
    assert by_file_name(json_violation_records(EngineWorker().validate(stacks))) == in_kernel


def by_file_name(records: dict[str, Any]) -> dict[str, Any]:
    """Records keyed by template file name: the session's output folder differs from run to run."""
    return {Path(path).name: found for path, found in records.items()}


def test_cmp1_the_engine_worker_hands_over_to_node_without_loading_the_jsii_kernel() -> None:
    """The worker is Python only until it becomes Node (policies/validation_engine.py): importing its module and
    what it unpacks with must not load aws-cdk-lib or jsii, whose kernel would cost it about a second of CPU."""
    probe = "import sys, policies.validation_engine; print(sorted({'aws_cdk', 'jsii'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_cmp1_a_synth_that_fails_before_its_gates_does_not_wait_for_the_engine_worker() -> None:
    """The worker starts before the stacks are built and waits for them; when the build fails first, the app's exit
    stops it instead of waiting for it (the probe raised after starting one, and exited at once, not after 600 s)."""
    probe = "import policies.validation_engine as e; e.EngineWorker(); raise SystemExit('probe: the build failed')"
    started = time.perf_counter()
    command = [sys.executable, "-c", probe]
    failed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert (failed.returncode, failed.stderr.strip()) == (1, "probe: the build failed")
    assert time.perf_counter() - started < 30


def test_cmp1_the_engine_worker_unpacks_only_the_parts_it_names() -> None:
    """The plugin's folder holds the parts the worker names and nothing else of aws-cdk-lib's 180 MB package; it is
    unpacked once (the folder the synths use), and a different choice of parts would get a folder of its own."""
    tarball = jsii_tarball("aws_cdk", "aws-cdk-lib")
    package = unpacked(tarball, cache_dir(), name="aws-cdk-lib-engine", parts=ENGINE_PARTS)
    assert (package.folder / PLUGIN_IN_PACKAGE).is_file()
    tops = {path.relative_to(package.folder).parts[0] for path in package.folder.rglob("*") if path.is_file()}
    assert tops == {"core", "node_modules", ".warnings.jsii.js", "package.json"}
    assert not (package.folder / "aws-s3").exists()
    assert unpacked(tarball, cache_dir(), name="aws-cdk-lib-engine", parts=ENGINE_PARTS) == package
    assert [_wanted(path, ENGINE_PARTS) for path in ("core/lib/x.js", "core/libx.js", "aws-s3/lib/index.js")] == [
        True,
        False,
        False,
    ]


def test_cmp1_a_failing_early_engine_leaves_the_validation_to_the_kernel(tmp_path: Path) -> None:
    """The worker is only a head start: when it fails, the gate validates in the kernel and finds the same."""

    class BrokenWorker(EngineWorker):
        def __init__(self) -> None:
            self.stopped = False

        def validate(self, stacks: list[dict[str, str]]) -> dict[str, Any]:
            raise RuntimeError("probe: the worker died")

        def stop(self) -> None:
            self.stopped = True

    template = tmp_path / "Empty.template.json"
    template.write_text(json.dumps({"Resources": {}}), encoding="utf-8")
    stack = cdk.PolicyValidationStack(template_path=str(template), stack_construct_path="Empty")
    broken = BrokenWorker()
    found = CachedTemplateValidation._validate(cdk.App(), [stack], broken)
    assert broken.stopped
    assert any(record["rule_name"] == "F0001" for record in found[str(template)])  # empty Resources: the engine ran


def test_cmp1_node_workers_run_with_a_v8_pool_of_one_unless_the_user_chose_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine worker and the Control Tower runs start Node with one V8 background thread (policies/
    worker_environment.py); the rest of the user's NODE_OPTIONS is kept, and their own pool size wins."""
    monkeypatch.setenv("NODE_OPTIONS", "--max-old-space-size=2048")
    assert worker_environment()["NODE_OPTIONS"] == "--max-old-space-size=2048 --v8-pool-size=1"
    monkeypatch.setenv("NODE_OPTIONS", "--v8-pool-size=3")
    assert worker_environment()["NODE_OPTIONS"] == "--v8-pool-size=3"
    monkeypatch.delenv("NODE_OPTIONS")
    assert worker_environment()["NODE_OPTIONS"] == "--v8-pool-size=1"
