"""The whole synthesized example assembly deploys through a CloudFormation engine (moto), and the service APIs then
show the promised shape (LOC-1, HA-1, BAK-2..5, ENC-2, ENC-3, ACC-2..4, NET-1).

moto resolves every Ref, GetAtt, Join and export and builds VPCs, subnets, NAT gateways, flow logs, keys, buckets,
the database and the bastion, which the template tests cannot do. The types it skips are created through their
service APIs (tests/moto_skipped_types.py) and checked here too; its defects are worked around in
tests/moto_workarounds.py only. One deploy per session (the `moto_deployment` fixture in tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from config import AppConfig
from tests.conftest import DEV, PROD
from tests.moto_deploy import MOTO_DEFAULT_ACCOUNT, MotoDeployment, in_account, read_manifest
from tests.moto_skipped_types import CREATED_THROUGH_API, NO_MOTO_API
from tests.moto_workarounds import EXPORT_READER, MOTO_SKIPS, for_moto

PROD_ACCOUNT = "111122223333"
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")


@pytest.fixture
def prod(moto_deployment: MotoDeployment) -> Iterator[MotoDeployment]:
    with in_account(PROD_ACCOUNT):
        yield moto_deployment


def tagged(items: list[dict[str, Any]], key: str, value: str) -> list[dict[str, Any]]:
    return [item for item in items if {"Key": key, "Value": value} in item.get("Tags", item.get("TagList", []))]


def test_every_stack_of_the_assembly_reaches_create_complete(moto_deployment: MotoDeployment) -> None:
    assert len(moto_deployment.statuses) == len(read_manifest(moto_deployment.outdir)) >= 12
    assert set(moto_deployment.statuses.values()) == {"CREATE_COMPLETE"}, moto_deployment.statuses
    print(f"moto deploy of {len(moto_deployment.statuses)} stacks: {moto_deployment.seconds:.1f} s")


def test_stacks_go_to_the_account_and_region_their_manifest_names(moto_deployment: MotoDeployment) -> None:
    """acme-prod names its account; globex-dev is environment-agnostic and goes to moto's default account."""
    placed = {(s.name, s.account, s.region) for s in moto_deployment.stacks.values()}
    assert (f"{PROD}-data-dr", PROD_ACCOUNT, "us-west-2") in placed
    assert (f"{DEV}-network", MOTO_DEFAULT_ACCOUNT, "us-east-1") in placed
    for account, region in {(s.account, s.region) for s in moto_deployment.stacks.values()}:
        with in_account(account):
            ssm = boto3.client("ssm", region_name=region)
            assert ssm.get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]["Value"] == "30"


def test_moto_skips_only_the_types_we_name_and_we_create_those_it_has_an_api_for(
    moto_deployment: MotoDeployment,
) -> None:
    skipped = set(moto_deployment.skipped_types)
    assert skipped == set(MOTO_SKIPS), (skipped - set(MOTO_SKIPS), set(MOTO_SKIPS) - skipped)
    for resource_type, count in moto_deployment.skipped_types.items():
        if resource_type in CREATED_THROUGH_API:
            assert moto_deployment.created_through_api[resource_type] == count, resource_type
        else:
            assert resource_type in NO_MOTO_API, resource_type
    assert set(NO_MOTO_API) <= skipped  # no stale reason left
    assert moto_deployment.assets_published > 0


def tier_subnets(ec2: Any) -> list[dict[str, Any]]:
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:environment", "Values": [PROD]}])["Subnets"]
    return [s for s in subnets if any(t["Key"] == "tier" for t in s.get("Tags", []))]


def test_loc1_nine_tier_subnets_three_per_zone(prod: MotoDeployment) -> None:
    subnets = tier_subnets(boto3.client("ec2", region_name="us-east-1"))
    tiers = Counter((next(t["Value"] for t in s["Tags"] if t["Key"] == "tier"), s["AvailabilityZone"]) for s in subnets)
    assert tiers == {(tier, f"us-east-1{z}"): 1 for tier in ("public", "application", "data") for z in "abc"}
    assert len({s["VpcId"] for s in subnets}) == 1


def test_ha1_one_nat_gateway_per_zone_in_the_public_tier(prod: MotoDeployment) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    public = {s["SubnetId"] for s in tier_subnets(ec2) if {"Key": "tier", "Value": "public"} in s["Tags"]}
    vpc_id = tier_subnets(ec2)[0]["VpcId"]
    gateways = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    assert {g["SubnetId"] for g in gateways} == public
    assert len(gateways) == 3


def test_acc4_the_vpc_has_a_flow_log_of_all_traffic_to_cloudwatch_logs(prod: MotoDeployment) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc_id = tier_subnets(ec2)[0]["VpcId"]
    (flow_log,) = [f for f in ec2.describe_flow_logs()["FlowLogs"] if f["ResourceId"] == vpc_id]
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"


def test_net1_each_tier_has_its_own_acl_admitting_ssh_only_from_the_admin_networks(
    prod: MotoDeployment, example_config: AppConfig
) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    subnets = tier_subnets(ec2)
    acls = ec2.describe_network_acls(Filters=[{"Name": "tag:environment", "Values": [PROD]}])["NetworkAcls"]
    custom = [acl for acl in acls if not acl["IsDefault"]]
    assert len(custom) == 3
    by_subnet = {a["SubnetId"]: acl["NetworkAclId"] for acl in custom for a in acl["Associations"]}
    assert set(by_subnet) == {s["SubnetId"] for s in subnets}
    admin = {str(c) for c in next(e for e in example_config.environments if e.name == PROD).admin_cidrs}
    ssh_sources = {
        entry["CidrBlock"]
        for acl in custom
        for entry in acl["Entries"]
        if not entry["Egress"] and entry["RuleAction"] == "allow" and entry.get("PortRange", {}).get("From") == 22
    }
    assert ssh_sources == admin


def test_ha1_bak2_enc3_the_database_is_multi_az_encrypted_with_its_key_and_iam_authenticated(
    prod: MotoDeployment,
) -> None:
    (db,) = boto3.client("rds", region_name="us-east-1").describe_db_instances(DBInstanceIdentifier=f"{PROD}-postgres")[
        "DBInstances"
    ]
    assert db["MultiAZ"]
    assert db["StorageEncrypted"]
    assert db["IAMDatabaseAuthenticationEnabled"]
    assert db["BackupRetentionPeriod"] == 35
    key = boto3.client("kms", region_name="us-east-1").describe_key(KeyId=f"alias/{PROD}/data/database")
    assert db["KmsKeyId"] == key["KeyMetadata"]["Arn"]
    assert len({s["SubnetAvailabilityZone"]["Name"] for s in db["DBSubnetGroup"]["Subnets"]}) == 3
    (group,) = db["DBParameterGroups"]
    parameters = boto3.client("rds", region_name="us-east-1").describe_db_parameters(
        DBParameterGroupName=group["DBParameterGroupName"]
    )["Parameters"]
    assert {"ParameterName": "rds.force_ssl", "ParameterValue": "1"}.items() <= next(
        p for p in parameters if p["ParameterName"] == "rds.force_ssl"
    ).items()


def stack_buckets(stack_name: str, region: str) -> list[str]:
    resources = boto3.client("cloudformation", region_name=region).list_stack_resources(StackName=stack_name)
    return [
        r["PhysicalResourceId"] for r in resources["StackResourceSummaries"] if r["ResourceType"] == "AWS::S3::Bucket"
    ]


def test_enc2_data_buckets_are_encrypted_with_their_cmk_versioned_and_private(prod: MotoDeployment) -> None:
    for stack, region, alias in (
        (f"{PROD}-data", "us-east-1", "data/data"),
        (f"{PROD}-data-dr", "us-west-2", "data-dr/data-replica"),
    ):
        s3 = boto3.client("s3", region_name=region)
        key_arn = boto3.client("kms", region_name=region).describe_key(KeyId=f"alias/{PROD}/{alias}")["KeyMetadata"][
            "Arn"
        ]
        encryptions = {
            bucket: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
                "ApplyServerSideEncryptionByDefault"
            ]
            for bucket in stack_buckets(stack, region)
        }
        assert {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn} in encryptions.values(), encryptions
        for bucket in encryptions:
            assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
            block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            assert all(block.values()), bucket
            assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]


def test_enc3_every_key_has_an_environment_alias_and_rotation(prod: MotoDeployment) -> None:
    for region in ("us-east-1", "us-west-2"):
        kms = boto3.client("kms", region_name=region)
        aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith(f"alias/{PROD}/")]
        assert aliases
        for alias in aliases:
            assert kms.get_key_rotation_status(KeyId=alias["TargetKeyId"])["KeyRotationEnabled"], alias["AliasName"]


def test_acc2_acc3_the_bastion_runs_in_the_public_tier_with_its_role_and_one_key_per_operator(
    prod: MotoDeployment, example_config: AppConfig
) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    reservations = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [f"{PROD}-bastion"]}])
    (instance,) = [i for r in reservations["Reservations"] for i in r["Instances"]]
    assert instance["State"]["Name"] == "running"
    public = {s["SubnetId"] for s in tier_subnets(ec2) if {"Key": "tier", "Value": "public"} in s["Tags"]}
    assert instance["SubnetId"] in public
    profile_name = instance["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1]
    (role,) = boto3.client("iam").get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"]["Roles"]
    assert "ec2.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"])
    pairs = ec2.describe_key_pairs(Filters=[{"Name": "tag:environment", "Values": [PROD]}])["KeyPairs"]
    operators = {op.name for op in next(e for e in example_config.environments if e.name == PROD).operators}
    # One key pair per operator, named <environment>-<operator>-<digest of the key>.
    assert sorted(p["KeyName"].removeprefix(f"{PROD}-").rsplit("-", 1)[0] for p in pairs) == sorted(operators)


def test_acc3_job_roles_require_mfa(prod: MotoDeployment) -> None:
    resources = boto3.client("cloudformation", region_name="us-east-1").list_stack_resources(
        StackName=f"{PROD}-bastion"
    )["StackResourceSummaries"]
    roles = [
        r["PhysicalResourceId"]
        for r in resources
        if r["LogicalResourceId"].startswith("JobRoles") and r["ResourceType"] == "AWS::IAM::Role"
    ]
    assert len(roles) >= 2  # operator and auditor
    for name in roles:
        trust = boto3.client("iam").get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        assert "aws:MultiFactorAuthPresent" in json.dumps(trust), name


def test_bak3_bak5_vaults_are_locked_and_the_plan_has_four_tiers_copying_to_dr(prod: MotoDeployment) -> None:
    for region, name in (("us-east-1", f"{PROD}-primary"), ("us-west-2", f"{PROD}-dr")):
        vault = boto3.client("backup", region_name=region).describe_backup_vault(BackupVaultName=name)
        assert vault["Locked"], name
        assert vault["MinRetentionDays"] == 7, name
    backup = boto3.client("backup", region_name="us-east-1")
    (plan,) = [p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == f"{PROD}-tiered"]
    rules = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
    assert [r["RuleName"] for r in rules] == ["daily", "weekly", "biweekly", "monthly"]
    assert all(r["CopyActions"][0]["DestinationBackupVaultArn"].endswith(f":backup-vault:{PROD}-dr") for r in rules)


def test_acc2_net4_ssh_alarms_and_alert_subscriptions_exist(prod: MotoDeployment) -> None:
    alarms = boto3.client("cloudwatch", region_name="us-east-1").describe_alarms()["MetricAlarms"]
    assert any(a["MetricName"] == "FailedSshLogins" and a["Namespace"] == f"{PROD}/Bastion" for a in alarms)
    subscriptions = boto3.client("sns", region_name="us-east-1").list_subscriptions()["Subscriptions"]
    assert {s["Endpoint"] for s in subscriptions if f"{PROD}-" in s["TopicArn"]} == {"security-alerts@example.com"}


def test_enc2_bak4_data_replicates_to_dr_under_the_dr_key_the_data_stack_reads_across_regions(
    prod: MotoDeployment,
) -> None:
    """The data stack reads the DR replica key's ARN from data-dr through CDK's cross-region export writer/reader
    (SSM parameters /cdk/exports/...): the replication rule names the key the DR stack created."""
    dr_key = boto3.client("kms", region_name="us-west-2").describe_key(KeyId=f"alias/{PROD}/data-dr/data-replica")
    parameters = boto3.client("ssm", region_name="us-east-1").get_parameters_by_path(
        Path=f"/cdk/exports/{PROD}-data", Recursive=True
    )["Parameters"]
    assert dr_key["KeyMetadata"]["Arn"] in {p["Value"] for p in parameters}
    s3 = boto3.client("s3", region_name="us-east-1")
    destinations = []
    for bucket in stack_buckets(f"{PROD}-data", "us-east-1"):
        with contextlib.suppress(s3.exceptions.ClientError):
            rules = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]["Rules"]
            destinations += [rule["Destination"] for rule in rules]
    assert destinations
    for destination in destinations:
        assert destination["Bucket"].endswith("-us-west-2")
        assert destination["EncryptionConfiguration"]["ReplicaKmsKeyID"] == dr_key["KeyMetadata"]["Arn"]


def test_net1_the_vpc_default_security_group_admits_and_sends_nothing(prod: MotoDeployment) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc_id = tier_subnets(ec2)[0]["VpcId"]
    (default,) = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert default["IpPermissions"] == []
    assert default["IpPermissionsEgress"] == []


def test_every_dropped_custom_resource_was_done_through_moto_or_resolved(moto_deployment: MotoDeployment) -> None:
    """Each Lambda-backed custom resource moto cannot run is emulated (run_custom_resources) or, for the
    cross-region reader, resolved into the template; none is silently lost."""
    done = moto_deployment.custom_resources
    for name, artifact in moto_deployment.stacks.items():
        template = json.loads((moto_deployment.outdir / artifact.template_file).read_text(encoding="utf-8"))
        for logical_id, resource in template["Resources"].items():
            if resource["Type"].startswith("Custom::") and resource["Type"] != EXPORT_READER:
                assert (name, logical_id) in done, (name, logical_id)
    assert sum(1 for call in done.values() if call == "IAM.updateAccountPasswordPolicy") == 2  # one per account


def test_for_moto_refuses_a_template_that_still_reads_a_dropped_custom_resource() -> None:
    template = {
        "Resources": {
            "Reader": {"Type": "Custom::Thing", "Properties": {}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::GetAtt": ["Reader", "Name"]}}},
        }
    }
    with pytest.raises(KeyError, match="Reader"):
        for_moto(template)
    assert for_moto(template, {("Reader", "Name"): "resolved"})["Resources"]["Topic"]["Properties"] == {
        "TopicName": "resolved"
    }
