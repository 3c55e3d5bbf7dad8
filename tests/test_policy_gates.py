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
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3

from app import build, new_app
from config import AppConfig
from config.catalog import load_catalog
from constructs import Construct
from evidence_report.acknowledgement_targets import summarize
from evidence_report.assembly import load_assembly
from policies.acknowledgements import AcknowledgementError, acknowledge, recorded_not_applied
from policies.control_tower import StrictCfnGuard
from policies.gate_cache import GateCache
from policies.packs import attach_policy_gates, nag_packs, policy_gates
from policies.secret_scan import RULE_NAME as SECRET_RULE
from policies.secret_scan import SecretLiteralScan, find_secret_literals
from policies.template_validation import CachedTemplateValidation
from tests.acknowledgement_findings import CDK_OWN_ACKNOWLEDGEMENTS, Entry, fired, template_entries, unanswered
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
DOCS = Path(__file__).resolve().parents[1] / "docs" / "acknowledgements.md"


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


def acknowledgements(synthesized: Synthesized) -> list[Entry]:
    """Every acknowledgement of ours written into template Metadata (aws-cdk-lib's own flow-log entries left out)."""
    names = [*synthesized.stack_names(), *synthesized.fleet_stack_names()]
    templates = [(name, synthesized.template_json(name)) for name in names]
    return [e for e in template_entries(templates) if e.rule_id not in CDK_OWN_ACKNOWLEDGEMENTS]


def test_cmp1_every_acknowledgement_is_in_the_template_with_control_and_basis(synthesized: Synthesized) -> None:
    found = acknowledgements(synthesized)
    assert found, "acknowledgements must be written into template Metadata for auditors"
    for entry in found:
        assert REASON.match(entry.reason), f"{entry.stack}/{entry.logical_id} {entry.rule_id}: {entry.reason}"


def test_cmp1_every_acknowledgement_answers_a_finding_on_its_own_resource(
    synthesized: Synthesized, example_config: AppConfig, tmp_path: Path
) -> None:
    """Build the app with acknowledgements recorded, not applied (a third full synth): each entry in the templates
    must then match a finding of its rule on exactly its resource, not on a sibling or a child."""
    with recorded_not_applied() as made:
        app = new_app(outdir=str(tmp_path), context={"aws:cdk:bundling-stacks": []})
        build(app, example_config)
    with contextlib.suppress(RuntimeError):
        app.synth()
    findings = fired(json.loads((tmp_path / "validation-report.json").read_text(encoding="utf-8")))
    entries = acknowledgements(synthesized)
    assert made
    assert entries
    assert unanswered(entries, findings) == [], "acknowledged, but the rule does not fire on that resource"
    # Every recorded acknowledgement of a top-level stack is in its template (the cell pipeline's stages are
    # synthesized into nested assemblies by CDK Pipelines while the app is built).
    top_level = {*synthesized.stack_names(), *synthesized.fleet_stack_names()}
    recorded = {(path, rule) for path, rule in made if path.split("/", 1)[0] in top_level}
    assert recorded <= {(e.construct_path, e.rule_id) for e in entries}


def test_cmp1_probe_a_stray_acknowledgement_on_a_resource_its_rule_does_not_inspect_is_caught(tmp_path: Path) -> None:
    """The bucket's entry answers a finding; the same rule planted on its bucket policy (the old copy-to-subtree
    behaviour) answers none, and the per-entry check names exactly that entry."""

    def probe_app(outdir: Path) -> tuple[cdk.App, s3.Bucket]:
        stack = tiny_stack(outdir=outdir)
        bucket = s3.Bucket(stack, "Logs", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True)
        return stack.node.root, bucket  # type: ignore[return-value]

    rule = "NIST.800.53.R5-S3DefaultEncryptionKMS"
    app, bucket = probe_app(tmp_path / "applied")
    packs = nag_packs(app)
    acknowledge(bucket, rule, control="ENC-3", basis="met another way", how="probe: the bucket is a log target")
    assert bucket.policy is not None
    cdk.Validations.of(bucket.policy).acknowledge(cdk.Acknowledgment(id=rule, reason="ENC-3 (not applicable): stray"))
    app.synth()
    template = json.loads((tmp_path / "applied" / "Probe.template.json").read_text(encoding="utf-8"))
    entries = [e for e in template_entries([("Probe", template)]) if e.rule_id == rule]
    assert {e.resource_type for e in entries} == {"AWS::S3::Bucket", "AWS::S3::BucketPolicy"}

    bare, _ = probe_app(tmp_path / "bare")
    report = packs["NIST.800.53.R5"].validate_scope(bare)
    findings = {
        (violation.rule_name, resource.construct_path or "")
        for violation in report.violations
        for resource in violation.violating_resources
    }
    assert [(e.resource_type, e.rule_id) for e in unanswered(entries, findings)] == [("AWS::S3::BucketPolicy", rule)]


def test_cmp1_probe_acknowledging_a_rule_on_a_resource_it_does_not_inspect_is_refused() -> None:
    stack = tiny_stack()
    bucket = s3.Bucket(stack, "Logs")
    policy = s3.CfnBucketPolicy(stack, "Policy", bucket=bucket.bucket_name, policy_document={})
    with pytest.raises(AcknowledgementError, match="the rule inspects"):
        acknowledge(
            policy, "NIST.800.53.R5-S3DefaultEncryptionKMS", control="ENC-3", basis="met another way", how="x" * 40
        )


def test_cmp1_acknowledging_a_construct_lands_only_on_the_resources_its_rule_inspects() -> None:
    """Given the L2 bucket, the entry lands on its CfnBucket alone, not on the bucket policy below it."""
    stack = tiny_stack()
    bucket = s3.Bucket(stack, "Logs", enforce_ssl=True)
    with recorded_not_applied() as made:
        acknowledge(
            bucket,
            "NIST.800.53.R5-S3DefaultEncryptionKMS",
            control="ENC-3",
            basis="met another way",
            how="probe: only the bucket is inspected by this rule",
        )
    assert made == [("Probe/Logs/Resource", "NIST.800.53.R5-S3DefaultEncryptionKMS")]


def test_cmp1_docs_report_the_acknowledgement_count(synthesized: Synthesized) -> None:
    """docs/acknowledgements.md states the example's entries, resources and causes (every stack, the cell pipeline's
    included), as the templates hold them."""
    summary = summarize(load_assembly(synthesized.outdir).stacks, frozenset(load_catalog().ids))
    stated = re.search(r"(\d+) acknowledgement entries on (\d+) resources, for (\d+) causes", DOCS.read_text("utf-8"))
    assert stated, "docs/acknowledgements.md must state the acknowledgement count"
    assert tuple(int(n) for n in stated.groups()) == (summary.entries, summary.resources, summary.reasons)


def test_cmp1_a_rule_without_known_types_lands_on_the_constructs_own_resource_only() -> None:
    stack = tiny_stack()
    bucket = s3.Bucket(stack, "Logs", enforce_ssl=True)
    group = Construct(stack, "Group")
    with recorded_not_applied() as made:
        acknowledge(bucket, "AwsSolutions-S10", control="ENC-1", basis="met another way", how="probe: " + "x" * 30)
    assert made == [("Probe/Logs/Resource", "AwsSolutions-S10")]
    with pytest.raises(AcknowledgementError, match="give the exact L1 resource"):
        acknowledge(group, "AwsSolutions-S10", control="ENC-1", basis="met another way", how="probe: " + "x" * 30)


def test_net1_vpc3_is_excluded_once_where_the_packs_are_attached_and_other_rules_stay_live(tmp_path: Path) -> None:
    """Probe: a network ACL fires AwsSolutions-VPC3 in the bare pack; through the attached gate only the rule
    excluded in policies/rule_exclusions.py is dropped, the bucket's AwsSolutions-S1 still fails the synth."""
    stack = tiny_stack(outdir=tmp_path)
    ec2.CfnNetworkAcl(stack, "TierAcl", vpc_id="vpc-1234")
    s3.CfnBucket(stack, "PlainBucket")
    app = stack.node.root
    assert "AwsSolutions-VPC3" in nag_findings(stack, "AwsSolutions")
    cdk.Validations.of(app).add_plugins(*(gate for gate in policy_gates(app) if gate.name == "AwsSolutions"))  # type: ignore[arg-type]
    findings = synth_report(stack)
    assert "AwsSolutions-VPC3" not in findings
    assert "AwsSolutions-S1" in findings


def test_enc4_probe_a_codebuild_source_url_with_credentials_or_unauthorized_repository_fails_the_project_gate() -> None:
    """Our rule that replaces the HIPAA and PCI packs' CodeBuildProjectSourceRepoUrl (excluded: it fires on every
    CodePipeline-sourced project): sign-in information in a URL and a GitHub source without authorization are caught,
    a CodePipeline source and a GitHub source through CodeConnections are not."""
    stack = tiny_stack()
    artifacts = codebuild.CfnProject.ArtifactsProperty(type="CODEPIPELINE")
    environment = codebuild.CfnProject.EnvironmentProperty(
        compute_type="BUILD_GENERAL1_SMALL", image="aws/codebuild/standard:7.0", type="LINUX_CONTAINER"
    )

    def project(name: str, source: codebuild.CfnProject.SourceProperty) -> None:
        codebuild.CfnProject(
            stack,
            name,
            artifacts=artifacts,
            environment=environment,
            service_role="arn:aws:iam::1:role/x",
            source=source,
        )

    project("Pipeline", codebuild.CfnProject.SourceProperty(type="CODEPIPELINE"))
    connections = codebuild.CfnProject.SourceAuthProperty(type="CODECONNECTIONS", resource="arn:aws:codeconnections:x")
    project(
        "Connected",
        codebuild.CfnProject.SourceProperty(type="GITHUB", location="https://github.com/o/r.git", auth=connections),
    )
    project("Unauthorized", codebuild.CfnProject.SourceProperty(type="GITHUB", location="https://github.com/o/r.git"))
    project(
        "SignedIn",
        codebuild.CfnProject.SourceProperty(
            type="BITBUCKET", location="https://user:app-password@bitbucket.org/o/r.git", auth=connections
        ),
    )
    assert sorted(project_findings(stack)["Project-ENC4-CodeBuildSourceAuthorized"]) == ["SignedIn", "Unauthorized"]


def test_enc4_codebuild_source_url_rule_of_hipaa_and_pci_is_excluded_where_the_packs_are_attached(
    tmp_path: Path,
) -> None:
    """Probe: a CodePipeline-sourced project fires CodeBuildProjectSourceRepoUrl in the bare HIPAA and PCI packs; the
    attached gates drop exactly that rule, and another rule of the same pack still fires."""
    stack = tiny_stack(outdir=tmp_path)
    codebuild.CfnProject(
        stack,
        "Build",
        artifacts=codebuild.CfnProject.ArtifactsProperty(type="CODEPIPELINE"),
        environment=codebuild.CfnProject.EnvironmentProperty(
            compute_type="BUILD_GENERAL1_SMALL", image="aws/codebuild/standard:7.0", type="LINUX_CONTAINER"
        ),
        service_role="arn:aws:iam::111122223333:role/x",
        source=codebuild.CfnProject.SourceProperty(type="CODEPIPELINE"),
    )
    s3.CfnBucket(stack, "PlainBucket")
    packs = ("HIPAA.Security", "PCI.DSS.321")
    for pack in packs:
        assert f"{pack}-CodeBuildProjectSourceRepoUrl" in nag_findings(stack, pack)
    app = stack.node.root
    cdk.Validations.of(app).add_plugins(*(gate for gate in policy_gates(app) if gate.name in packs))  # type: ignore[arg-type]
    findings = synth_report(stack)
    assert not [rule for rule in findings if rule.endswith("CodeBuildProjectSourceRepoUrl")]
    assert {f"{pack}-S3DefaultEncryptionKMS" for pack in packs} <= set(findings)


def test_loc1_w3010_is_excluded_once_where_the_gates_are_attached(tmp_path: Path) -> None:
    """Probe: a subnet with a pinned zone fires cfn-lint W3010 in aws-cdk-lib's template validation; the attached
    gate drops exactly that rule (LOC-1 pins zones on purpose), so the wrapped plugin reports nothing."""
    pinned = tiny_stack(outdir=tmp_path / "bare")
    ec2.CfnSubnet(pinned, "Pinned", vpc_id="vpc-1234", cidr_block="10.0.0.0/24", availability_zone="us-east-1a")
    cdk.Validations.of(pinned.node.root).add_plugins(CachedTemplateValidation(GateCache("probe-w3010")))
    assert "W3010" in synth_report(pinned)
    gated = tiny_stack(outdir=tmp_path / "gated")
    ec2.CfnSubnet(gated, "Pinned", vpc_id="vpc-1234", cidr_block="10.0.0.0/24", availability_zone="us-east-1a")
    app = gated.node.root
    validation = [gate for gate in policy_gates(app) if gate.name == "CloudFormation Validate"]  # type: ignore[arg-type]
    cdk.Validations.of(app).add_plugins(*validation)
    assert "W3010" not in synth_report(gated)
