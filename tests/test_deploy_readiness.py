"""ProjectDeployReadiness (issue 16): each rule is fed a deliberately bad resource and must catch it, and passes the
good version; one tiny gated synth proves the plugin is attached and acknowledged like any other gate.

Probes build real constructs in a tiny stack and read its template (no gates, no full synth), or edit a template dict
where the bad case is a cross-stack one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from constructs.encrypted_bucket import EncryptedBucket, ReplicaTarget
from constructs.private_endpoints import PrivateEndpoints
from constructs.restore_tests import RestorePlacement, RestoreTests, RestoreTestTarget
from policies.acknowledgements import acknowledge
from policies.deploy_readiness import (
    PLUGIN_NAME,
    DeployReadiness,
    assurance_scopes_within_selections,
    endpoints_have_policies,
    name_properties,
    replication_role_reads_what_it_replicates,
    restore_tests_name_their_placement,
    retained_fixed_names_survive_failed_creates,
)
from tests.conftest import Synthesized
from tests.probes import tiny_stack

Json = dict[str, Any]
REPLICA = "probe-replica-111122223333-us-west-2"


def templates_of(stack: cdk.Stack) -> dict[str, Json]:
    return {f"{stack.stack_name}.template.json": dict(Template.from_stack(stack).to_json())}


def messages(findings: list[Any]) -> list[str]:
    return [finding.message for finding in findings]


# ------------------------------------------------------------------------------------------------ BAK-5 replication


def replicated_bucket() -> dict[str, Json]:
    stack = tiny_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    replica_key = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    EncryptedBucket(stack, "Data", key=key, access_logs=None, replica=ReplicaTarget(REPLICA, "us-west-2", replica_key))
    return templates_of(stack)


def replication_policy(templates: dict[str, Json]) -> Json:
    (template,) = templates.values()
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    return policy


def test_bak5_encrypted_bucket_replication_role_passes_the_guard() -> None:
    assert replication_role_reads_what_it_replicates(replicated_bucket()) == []


@pytest.mark.parametrize("action", ["s3:GetObjectRetention", "s3:GetObjectLegalHold", "kms:Decrypt"])
def test_bak5_probe_replication_role_that_cannot_read_its_bucket_is_caught(action: str) -> None:
    templates = replicated_bucket()
    for statement in replication_policy(templates)["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != action]
    (finding,) = replication_role_reads_what_it_replicates(templates)
    assert action in finding.message
    assert finding.logical_id.startswith("DataBucket")


def test_bak5_object_lock_reads_are_needed_only_for_an_object_lock_bucket() -> None:
    templates = replicated_bucket()
    (template,) = templates.values()
    bucket = next(r for r in template["Resources"].values() if "ReplicationConfiguration" in r.get("Properties", {}))
    bucket["Properties"]["ObjectLockEnabled"] = False
    for statement in replication_policy(templates)["Properties"]["PolicyDocument"]["Statement"]:
        if isinstance(statement["Action"], list):
            statement["Action"] = [a for a in statement["Action"] if "Retention" not in a and "LegalHold" not in a]
    assert replication_role_reads_what_it_replicates(templates) == []


def test_bak5_decrypt_is_not_required_when_the_replica_in_the_app_has_no_bucket_key() -> None:
    templates = replicated_bucket()
    for statement in replication_policy(templates)["Properties"]["PolicyDocument"]["Statement"]:
        if isinstance(statement["Action"], list) and "kms:Encrypt" in statement["Action"]:
            statement["Action"].remove("kms:Decrypt")
    assert "kms:Decrypt" in messages(replication_role_reads_what_it_replicates(templates))[0]
    replica = {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "BucketName": REPLICA,
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"BucketKeyEnabled": False}]},
        },
    }
    templates["probe-dr.template.json"] = {"Resources": {"Replica": replica}}
    assert replication_role_reads_what_it_replicates(templates) == []


# ------------------------------------------------------------------------------------------------ fixed names


def test_fixed_name_properties_come_from_the_resource_schemas() -> None:
    assert name_properties("AWS::Logs::LogGroup") == {"LogGroupName"}
    assert name_properties("AWS::S3::Bucket") == {"BucketName"}
    assert name_properties("AWS::Backup::BackupVault") == {"BackupVaultName"}
    assert name_properties("AWS::RDS::DBInstance") == {"DBInstanceIdentifier"}
    assert name_properties("AWS::SNS::Topic") == {"TopicName"}
    assert name_properties("AWS::KMS::Key") == frozenset()  # its id is generated
    assert name_properties("AWS::Not::AType") == frozenset()


def test_bak5_probe_retained_fixed_names_are_caught_and_retain_except_on_create_passes() -> None:
    stack = tiny_stack()
    logs.LogGroup(stack, "NamedRetained", log_group_name="/probe/named", removal_policy=cdk.RemovalPolicy.RETAIN)
    sns.CfnTopic(stack, "NamedTopic", topic_name="probe-topic").apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    logs.LogGroup(
        stack,
        "NamedRetainedExceptOnCreate",
        log_group_name="/probe/fine",
        removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    )
    logs.LogGroup(stack, "UnnamedRetained", removal_policy=cdk.RemovalPolicy.RETAIN)
    findings = retained_fixed_names_survive_failed_creates(templates_of(stack))
    flagged = sorted(f.logical_id for f in findings)
    assert len(flagged) == 2
    assert flagged[0].startswith("NamedRetained")
    assert not flagged[0].startswith("NamedRetainedExceptOnCreate")
    assert flagged[1] == "NamedTopic"
    assert "fixed LogGroupName" in " ".join(messages(findings))


# ------------------------------------------------------------------------------------------------ NET-3 endpoints


def test_net3_probe_endpoint_without_a_policy_is_caught() -> None:
    stack = tiny_stack()
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC),
            ec2.SubnetConfiguration(name="Private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ],
    )
    vpc.add_gateway_endpoint("Bare", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB)
    PrivateEndpoints(
        stack,
        "Endpoints",
        vpc=vpc,
        gateway_subnets=vpc.public_subnets,
        interface_subnets=vpc.isolated_subnets,
        security_group=ec2.SecurityGroup(stack, "Group", vpc=vpc),
    )
    findings = endpoints_have_policies(templates_of(stack))
    assert [finding.logical_id[:7] for finding in findings] == ["VpcBare"]


# ------------------------------------------------------------------------------------------------ BAK-6 restore tests


def test_bak6_probe_restore_test_without_placement_is_caught() -> None:
    stack = tiny_stack()
    role = cdk.aws_iam.Role(stack, "Role", assumed_by=cdk.aws_iam.ServicePrincipal("backup.amazonaws.com"))
    placement = RestorePlacement("db-subnets", "sg-0123456789abcdef0", "subnet-0123456789abcdef0", "sg-0fedcba")
    RestoreTests(
        stack,
        "Tests",
        plan_name="probe_restore_tests",
        vault_arns=["arn:aws:backup:us-east-1:111122223333:backup-vault:probe"],
        restore_role=role,
        targets=[
            RestoreTestTarget("rds_unplaced", "RDS", "arn:aws:rds:us-east-1:111122223333:db:probe"),
            RestoreTestTarget("ec2_half", "EC2", metadata_overrides={"SUBNETID": "subnet-0123456789abcdef0"}),
            RestoreTestTarget("rds_placed", "RDS", metadata_overrides=placement.for_type("RDS")),
            RestoreTestTarget("ec2_placed", "EC2", metadata_overrides=placement.for_type("EC2")),
            RestoreTestTarget("bucket", "S3"),  # restores into a new bucket: nothing to place
        ],
    )
    findings = restore_tests_name_their_placement(templates_of(stack))
    assert sorted(messages(findings)) == [
        "RestoreMetadataOverrides lacks dbSubnetGroupName, vpcSecurityGroupIds",
        "RestoreMetadataOverrides lacks securityGroupIds",  # keys are not case sensitive: SUBNETID counts
    ]


# ------------------------------------------------------------------------------------------------ BAK-6 assurance scope


def assurance_app(scope_tag: tuple[str, str]) -> dict[str, Json]:
    data: Json = {
        "Resources": {
            "Data": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "env", "Value": "e"}]}},
            "Logs": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "env", "Value": "e"}]}},
            "Host": {
                "Type": "AWS::EC2::Instance",
                "Properties": {"Tags": [{"Key": "env", "Value": "e"}, {"Key": "backup", "Value": "yes"}]},
            },
        },
        "Outputs": {"DataArn": {"Value": {"Fn::GetAtt": ["Data", "Arn"]}, "Export": {"Name": "data:Arn"}}},
    }
    data["Resources"]["Data"]["Properties"]["Tags"].append({"Key": "backup", "Value": "yes"})
    by_arn = {"Resources": [{"Fn::ImportValue": "data:Arn"}], "IamRoleArn": "r", "SelectionName": "arn"}
    by_tag = {
        "Resources": ["*"],
        "Conditions": {
            "StringEquals": [
                {"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "yes"},
                {"ConditionKey": "aws:ResourceTag/env", "ConditionValue": "e"},
            ]
        },
        "IamRoleArn": "r",
        "SelectionName": "tag",
    }
    key, value = scope_tag
    controls = [
        {
            "ControlName": "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN",
            "ControlScope": {"Tags": [{"Key": key, "Value": value}]},
        },
        {"ControlName": "BACKUP_RECOVERY_POINT_ENCRYPTED", "ControlScope": {"Tags": [{"Key": "env", "Value": "e"}]}},
    ]
    backup_template = {
        "Resources": {
            "ByArn": {"Type": "AWS::Backup::BackupSelection", "Properties": {"BackupSelection": by_arn}},
            "ByTag": {"Type": "AWS::Backup::BackupSelection", "Properties": {"BackupSelection": by_tag}},
            "Framework": {"Type": "AWS::Backup::Framework", "Properties": {"FrameworkControls": controls}},
        }
    }
    return {"data.template.json": data, "backup.template.json": backup_template}


def test_bak6_assurance_scoped_to_the_selected_resources_passes() -> None:
    assert assurance_scopes_within_selections(assurance_app(("backup", "yes"))) == []


def test_bak6_probe_assurance_scoped_by_a_tag_every_resource_carries_is_caught() -> None:
    (finding,) = assurance_scopes_within_selections(assurance_app(("env", "e")))
    assert finding.logical_id == "Framework"
    assert "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN scope {'env': 'e'} reaches 1 resource(s)" in finding.message
    assert "e.g. Logs" in finding.message  # recovery-point controls may use the environment tag


def test_bak6_probe_assurance_without_scope_is_caught() -> None:
    templates = assurance_app(("backup", "yes"))
    framework = templates["backup.template.json"]["Resources"]["Framework"]["Properties"]
    del framework["FrameworkControls"][0]["ControlScope"]
    (finding,) = assurance_scopes_within_selections(templates)
    assert "scope everything" in finding.message


def test_bak6_probe_a_selection_by_only_part_of_its_tags_does_not_count() -> None:
    templates = assurance_app(("backup", "yes"))
    host = templates["data.template.json"]["Resources"]["Host"]["Properties"]
    host["Tags"] = [{"Key": "backup", "Value": "yes"}]  # the tag selection also needs env=e
    (finding,) = assurance_scopes_within_selections(copy.deepcopy(templates))
    assert "e.g. Host" in finding.message


# ------------------------------------------------------------------------------------------------ the plugin


def test_cmp1_deploy_readiness_gate_fails_the_synth_and_takes_acknowledgements(tmp_path: Path) -> None:
    stack = tiny_stack(outdir=tmp_path)
    logs.LogGroup(stack, "Flagged", log_group_name="/probe/flagged", removal_policy=cdk.RemovalPolicy.RETAIN)
    accepted = logs.LogGroup(
        stack, "Accepted", log_group_name="/probe/accepted", removal_policy=cdk.RemovalPolicy.RETAIN
    )
    acknowledge(
        accepted,
        f"{PLUGIN_NAME}::RetainExceptOnCreateForFixedNames",
        control="BAK-5",
        basis="not applicable",
        how="probe: proves the plugin's findings are acknowledged by <plugin name>::<rule>.",
    )
    app = stack.node.root
    assert isinstance(app, cdk.App)
    cdk.Validations.of(app).add_plugins(DeployReadiness())
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text(encoding="utf-8"))
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == PLUGIN_NAME]
    assert plugin["conclusion"] == "failure"
    (violation,) = plugin["violations"]
    assert violation["ruleName"] == "RetainExceptOnCreateForFixedNames"
    paths = [c["constructPath"] for c in violation["violatingConstructs"]]
    assert paths == ["Probe/Flagged/Resource"]


def test_cmp1_deploy_readiness_finds_nothing_outside_the_bastion_stacks(synthesized: Synthesized) -> None:
    """The bastion's own log groups are another change's (issue 16, access part); everything else is clean."""
    for report in synthesized.report["pluginReports"]:
        if report["pluginName"] != PLUGIN_NAME:
            continue
        for violation in report["violations"]:
            paths = [c["constructPath"] for c in violation["violatingConstructs"]]
            assert all(path.split("/")[0].endswith("-bastion") for path in paths), (violation["ruleName"], paths)
