"""The fast gates are exactly as strict as the slow ones (CMP-1, issue 9).

The Control Tower gate checks each template with only the rule files that name a resource type it holds, without
resource Metadata, and caches results by content; aws-cdk-lib's template validation is cached by content too.
These tests prove each shortcut changes no finding: the shipped plugin (all 237 rule files over the unmodified
templates) and our gate agree on the example app and on every probe template; the cache misses on any change of
its input; a gate that crashes fails the synth instead of passing silently.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, cast

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

from policies.cache_folder import cache_dir, content_key
from policies.control_tower import GUARD_OUTPUT_BUFFER_BYTES, StrictCfnGuard, _TemplatesOnly, checked_content
from policies.gate_cache import GateCache
from policies.gate_report import crashed_gates
from policies.guard_rules import control_tower_rules, evaluated_types
from policies.template_validation import CachedTemplateValidation
from tests.conftest import Synthesized
from tests.probes import count_control_tower_runs, tiny_stack

Finding = tuple[str, str, str, tuple[str, ...]]


def shipped_plugin_findings(template_paths: list[Path]) -> set[Finding]:
    """The reference: cdk-validator-cfnguard as shipped, every rule file, one run over the unmodified templates.

    Its result is cached by content (every template's bytes and the plugin tarball), like the gate's own, so the
    reference is recomputed whenever a template changes and costs nothing when none did.
    """
    cache = GateCache("control-tower-reference")
    key = content_key(
        control_tower_rules(cache_dir()).plugin_digest,
        *(f"{path.name}:{content_key(path.read_bytes())}" for path in template_paths),
    )
    if (cached := cache.get(key)) is None:
        report = CfnGuardValidator(max_buffer=GUARD_OUTPUT_BUFFER_BYTES).validate(
            _TemplatesOnly([str(path) for path in template_paths])  # type: ignore[arg-type]
        )
        cached = [
            [
                violation.rule_name,
                Path(resource.template_path).name,
                resource.resource_logical_id,
                sorted(resource.locations or []),
            ]
            for violation in report.violations
            for resource in violation.violating_resources
        ]
        cache.put(key, cached)
    return {(rule, template, logical_id, tuple(locations)) for rule, template, logical_id, locations in cached}


def gate_findings(template_paths: list[Path], gate: StrictCfnGuard | None = None) -> set[Finding]:
    gate = gate or StrictCfnGuard()
    report = gate.validate(_TemplatesOnly([str(path) for path in template_paths]))  # type: ignore[arg-type]
    return {
        (
            violation.rule_name,
            Path(str(resource.template_path)).name,
            str(resource.resource_logical_id),
            tuple(sorted(resource.locations or [])),
        )
        for violation in report.violations
        for resource in violation.violating_resources
    }


def test_cmp1_selected_rules_find_exactly_what_every_rule_finds_on_the_example_app(synthesized: Synthesized) -> None:
    paths = sorted(synthesized.outdir.glob("*.template.json"))
    reference = shipped_plugin_findings(paths)
    assert reference, "the example app has acknowledged Control Tower findings; the reference must see them"
    assert gate_findings(paths) == reference


def probe_templates(tmp_path: Path) -> list[Path]:
    """Tiny templates, each with resources some Control Tower rule objects to (the probes' bad inputs)."""
    stack = tiny_stack(outdir=tmp_path / "app")
    s3.CfnBucket(stack, "PlainBucket")
    group = ec2.CfnSecurityGroup(stack, "OpenGroup", group_description="probe", vpc_id="vpc-1234")
    group.security_group_ingress = [
        ec2.CfnSecurityGroup.IngressProperty(ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="0.0.0.0/0")
    ]
    # With log exports set: without them the shipped plugin's parser crashes on ct-rds-pr-14 (see the probe below).
    rds.CfnDBInstance(
        stack,
        "PlainDatabase",
        engine="postgres",
        db_instance_class="db.t3.micro",
        port="5432",
        enable_cloudwatch_logs_exports=["postgresql", "upgrade"],
    )
    ec2.CfnInstance(stack, "PlainInstance", image_id="ami-12345678", instance_type="t2.micro")
    second = cdk.Stack(cast(cdk.App, stack.node.root), "ProbeKeys")
    cdk.aws_kms.CfnKey(second, "UnrotatedKey", enable_key_rotation=False)
    cdk.aws_logs.CfnLogGroup(second, "PlainLogGroup")
    stack.node.root.synth()  # type: ignore[attr-defined]
    return sorted((tmp_path / "app").glob("*.template.json"))


def test_cmp1_selected_rules_find_exactly_what_every_rule_finds_on_probe_templates(tmp_path: Path) -> None:
    paths = probe_templates(tmp_path)
    reference = shipped_plugin_findings(paths)
    assert {rule for rule, *_ in reference} >= {
        "s3_bucket_logging_enabled_check",
        "vpc_sg_restricted_common_ports_check",
    }
    assert gate_findings(paths) == reference


def test_cmp1_templates_checked_in_one_run_each_keep_their_own_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two templates that select the same rule files go to cfn-guard in one run (a fresh cache, so it does run); each
    gets exactly the findings the shipped plugin gives it, none of the other's."""
    blocked = dict.fromkeys(("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True)
    paths = []
    for name, properties in (("Blocked", {"PublicAccessBlockConfiguration": blocked}), ("Open", {})):
        path = tmp_path / f"{name}.template.json"
        bucket = {"Type": "AWS::S3::Bucket", "Properties": properties}
        path.write_text(json.dumps({"Resources": {"Bucket": bucket}}), encoding="utf-8")
        paths.append(path)
    cache = GateCache("probe", root=tmp_path / "cache")
    runs = count_control_tower_runs(monkeypatch)
    found = gate_findings(paths, StrictCfnGuard(cache=cache))
    assert (cache.misses, runs) == (2, [2])
    assert found == shipped_plugin_findings(paths)
    public = "s3_bucket_level_public_access_prohibited_check"
    assert (public, "Open.template.json") in {(rule, template) for rule, template, *_ in found}
    assert (public, "Blocked.template.json") not in {(rule, template) for rule, template, *_ in found}


def test_cmp1_rule_selection_keeps_rules_for_present_types_and_rules_that_name_no_type() -> None:
    rules = control_tower_rules(cache_dir())
    selected = rules.rules_for({"AWS::S3::Bucket"})
    assert all(not rule.resource_types or "AWS::S3::Bucket" in rule.resource_types for rule in selected)
    assert any(rule.path.name == "ct-s3-pr-1.guard" for rule in selected)
    assert not any(rule.path.parent.name == "apigateway" for rule in selected)
    assert len(rules.files) == 237, "a new plugin version changed the rule set: re-check the selection"


def test_cmp1_every_rule_file_proves_the_types_without_which_it_skips() -> None:
    """Each shipped rule file's own rules prove which types it evaluates (policies/guard_rules.py), and a file that
    names a type only to check a reference (ct-athena-pr-2: a workgroup's KMS key) is not run for that type alone."""
    files = control_tower_rules(cache_dir()).files
    assert all(rule.evaluated is not None and rule.evaluated <= rule.resource_types for rule in files)
    athena = next(rule for rule in files if rule.path.name == "ct-athena-pr-2.guard")
    assert athena.evaluated == frozenset({"AWS::Athena::WorkGroup"})
    assert "AWS::KMS::Key" in athena.resource_types
    for_a_key = {rule.path.name for rule in control_tower_rules(cache_dir()).rules_for({"AWS::KMS::Key"})}
    assert "ct-kms-pr-1.guard" in for_a_key
    assert "ct-athena-pr-2.guard" not in for_a_key
    hook_shaped = control_tower_rules(cache_dir()).rules_for({"AWS::KMS::Key"}, {"AWS::Athena::WorkGroup"})
    assert athena in hook_shaped  # is_cfn_hook fires on a document with a top-level key named by the type


GATED_RULE = """
let BUCKET_TYPE = "AWS::S3::Bucket"
let INPUT_DOCUMENT = this
let buckets = Resources.*[ Type == %BUCKET_TYPE ]

rule bucket_check when is_cfn_template(%INPUT_DOCUMENT)
                       %buckets not empty {
    %buckets.Properties.BucketName exists
        <<
        [PROBE]: a message with { unbalanced [ brackets
        >>
}

rule bucket_check when is_cfn_hook(%INPUT_DOCUMENT, %BUCKET_TYPE) {
    %INPUT_DOCUMENT.%BUCKET_TYPE.resourceProperties.BucketName exists
}

rule is_cfn_template(doc) {
    %doc { Resources exists }
}
"""


@pytest.mark.parametrize(
    ("probe", "edit"),
    [
        ("a clause outside any rule", lambda code: code + "\nResources.*.Type exists\n"),
        ("a rule without a when", lambda code: code + "\nrule always {\n    Resources exists\n}\n"),
        ("a when with an or", lambda code: code.replace("%buckets not empty {", "%buckets not empty or true {")),
        ("a selection that is not by type", lambda code: code.replace("Type == %BUCKET_TYPE", "Properties exists")),
        ("a hook on another document", lambda code: code.replace("is_cfn_hook(%INPUT_DOCUMENT", "is_cfn_hook(%x")),
        ("an unknown type constant", lambda code: code.replace("%buckets not empty", "%others not empty")),
        ("a rule indented off the top level", lambda code: code + "\n  rule late {\n    Resources exists\n}\n"),
    ],
)
def test_cmp1_probe_a_rule_file_outside_the_proven_shape_is_kept_for_every_type_it_names(
    probe: str, edit: Callable[[str], str]
) -> None:
    """The gated shape proves the bucket rule skips without buckets; each edit breaks the proof, and the file then
    falls back to every type its code names."""
    assert evaluated_types(GATED_RULE) == frozenset({"AWS::S3::Bucket"})
    assert evaluated_types(edit(GATED_RULE)) is None, probe


def test_cmp1_checked_content_drops_only_resource_metadata() -> None:
    template = {
        "Parameters": {"P": {"Type": "String"}},
        "Resources": {"B": {"Type": "AWS::S3::Bucket", "Metadata": {"x": 1}, "Properties": {"A": 1}}},
    }
    assert checked_content(template) == {
        "Parameters": {"P": {"Type": "String"}},
        "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"A": 1}}},
    }


def test_cmp1_probe_a_changed_template_misses_the_cache_and_its_new_finding_is_reported(tmp_path: Path) -> None:
    """Cache soundness: the same input hits; one changed property is a miss, and the finding it causes appears."""
    cache = GateCache("probe", root=tmp_path / "cache")
    template = tmp_path / "Probe.template.json"
    bucket: dict[str, Any] = {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "PublicAccessBlockConfiguration": dict.fromkeys(
                ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
            )
        },
    }
    template.write_text(json.dumps({"Resources": {"Bucket": bucket}}), encoding="utf-8")
    gate = StrictCfnGuard(cache=cache)
    first = gate_findings([template], gate)
    gate_findings([template], gate)
    assert (cache.misses, cache.hits) == (1, 1)
    bucket["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicAcls"] = False
    template.write_text(json.dumps({"Resources": {"Bucket": bucket}}), encoding="utf-8")
    second = gate_findings([template], gate)
    assert cache.misses == 2
    assert "s3_bucket_level_public_access_prohibited_check" in {rule for rule, *_ in second - first}


def test_cmp1_probe_the_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATE_CACHE", "off")
    cache = GateCache("probe", root=tmp_path)
    cache.put("k", [1])
    assert cache.get("k") is None
    assert not (tmp_path / "probe").exists()


def test_cmp1_template_validation_cache_returns_what_the_engine_found(synthesized: Synthesized, tmp_path: Path) -> None:
    """The cached template validation reports what the engine found (W3010: pinned AZs), cold and warm alike.

    It uses the shared cache: starting the engine costs about 2 s, so only a run without the entry starts it, and then
    the warm result must equal the cold one."""
    network = next(synthesized.outdir.glob("*-network.template.json"))
    shutil.copy(network, tmp_path / network.name)
    stack = cdk.PolicyValidationStack(
        stack_construct_path=network.name.removesuffix(".template.json"),
        template_path=str(tmp_path / network.name),
        account_id="111122223333",
        region="us-east-1",
    )

    @jsii.implements(cdk.IPolicyValidationContext)
    class Context:
        app_construct = cdk.App()
        stack_templates: ClassVar = [stack]
        template_paths: ClassVar = [stack.template_path]
        account_id = None
        region = None

    plugin = CachedTemplateValidation()
    first = plugin.validate(Context())
    second = plugin.validate(Context())
    assert plugin.cache.hits >= 1
    assert "W3010" in {violation.rule_name for violation in first.violations}
    assert [(v.rule_name, v.description) for v in second.violations] == [
        (v.rule_name, v.description) for v in first.violations
    ]


@jsii.implements(cdk.IPolicyValidationPlugin)
class CrashingGate:
    @property
    def name(self) -> str:
        return "ProbeCrashingGate"

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    @property
    def version(self) -> str:
        return "0"

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        raise RuntimeError("probe: this gate crashes")


def test_cmp1_probe_a_gate_that_crashes_is_caught_not_passed(tmp_path: Path) -> None:
    """aws-cdk-lib records a crashing plugin as a report entry and lets the synth succeed; we refuse it."""
    stack = tiny_stack(outdir=tmp_path)
    s3.CfnBucket(stack, "AnyBucket")
    cdk.Validations.of(stack.node.root).add_plugins(CrashingGate())
    with contextlib.suppress(RuntimeError):
        stack.node.root.synth()  # type: ignore[attr-defined]
    assert crashed_gates(tmp_path) == [
        "ProbeCrashingGate: Validation plugin 'ProbeCrashingGate' failed: probe: this gate crashes"
    ]


def test_cmp1_no_gate_crashed_in_the_example_synth(synthesized: Synthesized) -> None:
    assert crashed_gates(synthesized.outdir) == []


def test_cmp1_probe_the_shipped_plugin_crashing_on_a_database_fails_the_synth(tmp_path: Path) -> None:
    """cdk-validator-cfnguard 0.0.62 cannot parse ct-rds-pr-14's result for a DB instance without log exports
    ("resourceLogicalId ... undefined"): the plugin raises, aws-cdk-lib would record that and pass; we fail."""
    stack = tiny_stack(outdir=tmp_path)
    rds.CfnDBInstance(stack, "NoLogExports", engine="postgres", db_instance_class="db.t3.micro")
    cdk.Validations.of(stack.node.root).add_plugins(StrictCfnGuard(cache=GateCache("probe", root=tmp_path / "c")))
    with contextlib.suppress(RuntimeError):
        stack.node.root.synth()  # type: ignore[attr-defined]
    (crash,) = crashed_gates(tmp_path)
    assert crash.startswith("cdk-validator-cfnguard: ")
    assert "resourceLogicalId" in crash
