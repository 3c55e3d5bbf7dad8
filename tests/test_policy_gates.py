"""Policy gates (CMP-1): every pack runs at synth and passes; each pack and our own rules can fail; every
acknowledgement names its control and basis and is visible to auditors in the templates."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3

from app import build, new_app
from config import AppConfig
from policies.acknowledgements import AcknowledgementError, acknowledge, recorded_not_applied
from policies.control_tower import StrictCfnGuard
from policies.packs import attach_policy_gates
from policies.secret_scan import RULE_NAME as SECRET_RULE
from policies.secret_scan import SecretLiteralScan, find_secret_literals
from tests.conftest import Synthesized
from tests.probes import nag_findings, project_findings, synth_report, tiny_stack

GATES = (
    "AwsSolutions",
    "NIST.800.53.R5",
    "HIPAA.Security",
    "PCI.DSS.321",
    "Project",
    "cdk-validator-cfnguard",
    "ProjectSecretScan",
    "ProjectAccessRules",
    "ProjectDeployReadiness",
    "ProjectBaselineRules",
    "ProjectDeliveryPaths",
    "ProjectReachability",
)
REASON = re.compile(r"^(ACC|NET|ENC|BAK|LOC|HA|CMP)-\d \((met another way|not applicable)\): .{30,}$")
GATES_PAGE = Path(__file__).resolve().parents[1] / "docs" / "gates.md"


def test_cmp1_synth_of_every_environment_passes_all_gates(synthesized: Synthesized) -> None:
    assert synthesized.failure is None, synthesized.failure


def test_cdk_template_validation_reports_nothing_not_even_warnings(synthesized: Synthesized) -> None:
    """aws-cdk-lib's built-in CloudFormation validation only warns; a circular dependency it found once would have
    failed the deploy, so any finding of it fails here."""
    for report in synthesized.report["pluginReports"]:
        if report["pluginName"] == "CloudFormation Validate":
            assert report["violations"] == []


@pytest.mark.parametrize("gate", GATES)
def test_cmp1_gate_has_no_unacknowledged_finding(synthesized: Synthesized, gate: str) -> None:
    """A passing plugin is left out of the report; one that reports must report nothing but warnings."""
    for report in synthesized.report["pluginReports"]:
        if report["pluginName"] == gate:
            assert report["conclusion"] == "success"
            assert [v for v in report["violations"] if v.get("severity") != "warning"] == []


def test_cmp1_every_gate_is_attached_to_the_app(tmp_path: Path) -> None:
    """One tiny synth through `attach_policy_gates`, with a resource every gate objects to."""
    stack = tiny_stack(outdir=tmp_path)
    insecure_bucket_and_group(stack)
    cdk.CfnParameter(stack, "Password", no_echo=True, default="hunter2hunter2")
    # ProjectAccessRules (ACC-2): a fixed key-pair name that would not change with the key.
    cdk.CfnResource(
        stack,
        "FixedKeyName",
        type="AWS::EC2::KeyPair",
        properties={"KeyName": "probe", "PublicKeyMaterial": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOGX probe"},
    )
    ec2.CfnVPCEndpoint(stack, "OpenEndpoint", service_name="com.amazonaws.us-east-1.s3", vpc_id="vpc-1234")
    cloudtrail_rule_without_a_trail(stack)
    # ProjectDeliveryPaths (CMP-1): AWS Config delivering into a bucket with Object Lock.
    cdk.CfnResource(stack, "ConfigChannel", type="AWS::Config::DeliveryChannel", properties={"S3BucketName": "locked"})
    s3.CfnBucket(stack, "LockedBucket", bucket_name="locked", object_lock_enabled=True)
    attach_policy_gates(stack.node.root)  # type: ignore[arg-type]
    with contextlib.suppress(RuntimeError):
        stack.node.root.synth()  # type: ignore[attr-defined]
    report = json.loads((tmp_path / "validation-report.json").read_text(encoding="utf-8"))
    failing = {r["pluginName"] for r in report["pluginReports"] if r["conclusion"] == "failure" and r["violations"]}
    assert failing == set(GATES)


def test_cmp1_probe_one_acknowledged_guard_finding_does_not_hide_another(tmp_path: Path) -> None:
    """Regression: aws-cdk-lib 2.275 let every cfn-guard finding pass once any one was acknowledged."""
    stack = tiny_stack(outdir=tmp_path)
    exempt = s3.CfnBucket(stack, "Exempt")
    s3.CfnBucket(stack, "NotExempt")
    acknowledge(
        exempt,
        "cdk-validator-cfnguard::s3_bucket_logging_enabled_check",
        control="ACC-4",
        basis="not applicable",
        how="probe: only this bucket is exempt from access logging",
    )
    cdk.Validations.of(stack.node.root).add_plugins(StrictCfnGuard())
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        stack.node.root.synth()  # type: ignore[attr-defined]
    findings = synth_report(stack)
    assert findings["s3_bucket_logging_enabled_check"] == ["NotExempt"]


def cloudtrail_rule_without_a_trail(stack: cdk.Stack) -> None:
    events.Rule(
        stack,
        "KeyPairCalls",
        event_pattern=events.EventPattern(source=["aws.ec2"], detail_type=["AWS API Call via CloudTrail"]),
    )


def insecure_bucket_and_group(stack: cdk.Stack) -> None:
    s3.CfnBucket(stack, "PlainBucket")  # no KMS, no logging, no versioning, no TLS policy
    group = ec2.CfnSecurityGroup(stack, "OpenGroup", group_description="probe", vpc_id="vpc-1234")
    group.security_group_ingress = [
        ec2.CfnSecurityGroup.IngressProperty(ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="0.0.0.0/0")
    ]


@pytest.mark.parametrize(
    ("pack", "expected_rule"),
    [
        ("AwsSolutions", "AwsSolutions-S1"),
        ("AwsSolutions", "AwsSolutions-EC23"),
        ("NIST.800.53.R5", "NIST.800.53.R5-S3DefaultEncryptionKMS"),
        ("HIPAA.Security", "HIPAA.Security-S3BucketLoggingEnabled"),
        ("PCI.DSS.321", "PCI.DSS.321-S3BucketSSLRequestsOnly"),
    ],
)
def test_cmp1_probe_each_pack_fires_on_a_non_compliant_resource(pack: str, expected_rule: str) -> None:
    stack = tiny_stack()
    insecure_bucket_and_group(stack)
    assert expected_rule in nag_findings(stack, pack)


def test_cmp1_probe_project_pack_fires_on_a_non_compliant_resource() -> None:
    stack = tiny_stack()
    insecure_bucket_and_group(stack)
    assert "Project-NET3-IngressByReference" in project_findings(stack)


def test_bak4_probe_database_with_backups_under_a_week_fails_the_project_gate() -> None:
    stack = tiny_stack()
    rds.CfnDBInstance(
        stack, "ShortMemory", engine="postgres", db_instance_class="db.t4g.micro", backup_retention_period=3
    )
    assert project_findings(stack)["Project-BAK4-RdsPointInTimeWindow"] == ["ShortMemory"]


def test_cmp1_probe_control_tower_rules_fire_on_a_non_compliant_resource(tmp_path: Path) -> None:
    stack = tiny_stack(outdir=tmp_path)
    insecure_bucket_and_group(stack)
    cdk.Validations.of(stack.node.root).add_plugins(StrictCfnGuard())
    findings = synth_report(stack)
    assert "s3_bucket_logging_enabled_check" in findings
    assert "vpc_sg_restricted_common_ports_check" in findings


def test_cmp1_acknowledging_one_resource_leaves_the_rule_live_elsewhere() -> None:
    stack = tiny_stack()
    insecure_bucket_and_group(stack)
    second = s3.CfnBucket(stack, "SecondBucket")
    acknowledge(
        second, "AwsSolutions-S1", control="ACC-4", basis="not applicable", how="probe: only this bucket is exempt"
    )
    paths = nag_findings(stack, "AwsSolutions")["AwsSolutions-S1"]
    assert paths == ["Probe/PlainBucket"]


def test_enc4_probe_literal_password_and_noecho_default_fail_the_synth(tmp_path: Path) -> None:
    stack = tiny_stack(outdir=tmp_path)
    cdk.CfnParameter(stack, "DbPassword", no_echo=True, default="hunter2hunter2")
    cdk.CfnResource(
        stack,
        "Database",
        type="AWS::RDS::DBInstance",
        properties={"Engine": "postgres", "MasterUsername": "admin", "MasterUserPassword": "hunter2hunter2"},
    )
    cdk.Validations.of(stack.node.root).add_plugins(SecretLiteralScan())
    assert sorted(synth_report(stack)[SECRET_RULE]) == ["Database", "DbPassword"]


@pytest.mark.parametrize(
    "value",
    [
        {"Ref": "GeneratedSecret"},
        "{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1:111122223333:secret:db:SecretString:password}}",
        {"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": "Secret"}, ":SecretString:password}}"]]},
    ],
)
def test_enc4_references_to_managed_secrets_are_not_literals(value: Any) -> None:
    template = {"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"MasterUserPassword": value}}}}
    assert list(find_secret_literals(template)) == []


def test_enc4_no_template_of_the_app_holds_a_secret_literal(synthesized: Synthesized) -> None:
    for name in synthesized.stack_names():
        assert list(find_secret_literals(synthesized.template_json(name))) == [], name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"control": "XYZ-9", "basis": "not applicable"}, "not in the control catalog"),
        ({"control": "NET-1", "basis": "because"}, "basis must be"),
        ({"control": "NET-1", "basis": "not applicable", "how": "fine"}, "at least 30 characters"),
    ],
)
def test_cmp1_probe_acknowledgement_without_a_checkable_reason_is_refused(kwargs: dict[str, str], message: str) -> None:
    stack = tiny_stack()
    bucket = s3.CfnBucket(stack, "Bucket")
    arguments = {"how": "a long enough explanation of how the control is met", **kwargs}
    with pytest.raises(AcknowledgementError, match=message):
        acknowledge(bucket, "AwsSolutions-S1", **arguments)  # type: ignore[arg-type]


def test_cmp1_probe_acknowledging_a_whole_stack_is_refused() -> None:
    stack = tiny_stack()
    with pytest.raises(AcknowledgementError, match="never a whole stack"):
        acknowledge(stack, "AwsSolutions-S1", control="ACC-4", basis="not applicable", how="x" * 40)


# Made by aws-cdk-lib itself (on flow logs), not by this project.
CDK_OWN_ACKNOWLEDGEMENTS = ("CloudFormation-Validate::F3002", "CloudFormation-Validate::F3003")
# Acknowledgement ids are the rule name, namespaced for plugins other than cdk-nag's packs.
NAMESPACES = {
    "cdk-validator-cfnguard": "cdk-validator-cfnguard::",
    "CloudFormation Validate": "CloudFormation-Validate::",
    "ProjectDeployReadiness": "ProjectDeployReadiness::",
}


def acknowledgements(synthesized: Synthesized) -> list[tuple[str, str, str, str]]:
    """(stack, logical id, rule, reason) for every acknowledgement of ours written into template Metadata."""
    found = []
    for name in synthesized.stack_names():
        for logical_id, resource in synthesized.template_json(name)["Resources"].items():
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
                if rule["id"] not in CDK_OWN_ACKNOWLEDGEMENTS:
                    found.append((name, logical_id, rule["id"], rule["reason"]))
    return found


def test_cmp1_every_acknowledgement_is_in_the_template_with_control_and_basis(synthesized: Synthesized) -> None:
    found = acknowledgements(synthesized)
    assert found, "acknowledgements must be written into template Metadata for auditors"
    for stack, logical_id, rule, reason in found:
        assert REASON.match(reason), f"{stack}/{logical_id} {rule}: {reason}"


def test_cmp1_every_acknowledgement_suppresses_a_finding_that_fires_without_it(
    example_config: AppConfig, tmp_path: Path
) -> None:
    """Build the app with acknowledgements listed but not applied: each must then be needed (a third full synth)."""
    with recorded_not_applied() as made:
        app = new_app(outdir=str(tmp_path), context={"aws:cdk:bundling-stacks": []})
        build(app, example_config)
    with contextlib.suppress(RuntimeError):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text(encoding="utf-8"))
    fired: dict[str, set[str]] = {}
    for plugin in report["pluginReports"]:
        namespace = NAMESPACES.get(plugin["pluginName"], "")
        for violation in plugin["violations"]:
            paths = {construct.get("constructPath") or "" for construct in violation["violatingConstructs"]}
            fired.setdefault(namespace + violation["ruleName"], set()).update(paths)
    assert made
    # The cross-region handlers are acknowledged from a validation, which runs at synth, after this block; only
    # the cell pipeline's stages, which CDK Pipelines synthesizes while the app is built, list theirs in it.
    stale = [
        (path, rule)
        for path, rule in made
        if "/Custom::CrossRegionExport" not in path
        if not any(hit == path or hit.startswith(f"{path}/") for hit in fired.get(rule, set()))
    ]
    assert stale == [], "acknowledged, but the finding does not fire there"


def test_cmp1_gates_page_reports_the_acknowledgement_count(synthesized: Synthesized) -> None:
    """Counted as distinct (stack, rule) pairs: one acknowledgement may cover several resources of a construct."""
    found = acknowledgements(synthesized)
    findings = len({(stack, rule) for stack, _, rule, _ in found})
    resources = len({(stack, logical_id) for stack, logical_id, _, _ in found})
    text = " ".join(GATES_PAGE.read_text(encoding="utf-8").split())
    stated = re.search(r"(\d+) acknowledged findings .* on (\d+) resources", text)
    assert stated, "docs/gates.md must state the number of acknowledged findings and resources"
    assert (int(stated.group(1)), int(stated.group(2))) == (findings, resources)
