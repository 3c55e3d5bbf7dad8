"""Data stacks (issue 4): BAK-2, BAK-4, BAK-5, ENC-1..4, NET-2, LOC-1, read from the synthesized templates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3

from constructs.postgres_database import PostgresDatabase
from tests.conftest import PROD, Synthesized
from tests.probes import nag_findings, tiny_stack

PURPOSES = ("database", "data", "secrets", "logs")


@pytest.fixture(scope="module")
def data(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template_json(f"{PROD}-data")


@pytest.fixture(scope="module")
def data_dr(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template_json(f"{PROD}-data-dr")


def of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def only(template: dict[str, Any], type_name: str) -> tuple[str, dict[str, Any]]:
    found = of_type(template, type_name)
    assert len(found) == 1, f"expected one {type_name}, found {len(found)}"
    return next(iter(found.items()))


def key_id(template: dict[str, Any], purpose: str) -> str:
    aliases = of_type(template, "AWS::KMS::Alias").values()
    alias = next(a for a in aliases if a["Properties"]["AliasName"].endswith(f"/{purpose}"))
    return str(alias["Properties"]["TargetKeyId"]["Fn::GetAtt"][0])


@pytest.fixture(scope="module")
def database(data: dict[str, Any]) -> dict[str, Any]:
    return only(data, "AWS::RDS::DBInstance")[1]


@pytest.mark.parametrize("purpose", PURPOSES)
def test_enc3_one_rotating_retained_key_per_purpose(data: dict[str, Any], purpose: str) -> None:
    key = data["Resources"][key_id(data, purpose)]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "RetainExceptOnCreate"
    assert key["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize(("purpose", "service"), [("database", "rds"), ("data", "s3"), ("secrets", "secretsmanager")])
def test_enc3_each_key_is_used_only_through_its_service(data: dict[str, Any], purpose: str, service: str) -> None:
    statements = data["Resources"][key_id(data, purpose)]["Properties"]["KeyPolicy"]["Statement"]
    (use,) = [s for s in statements if s.get("Sid") == "AccountUsesTheKeyOnlyThroughItsServices"]
    assert use["Condition"]["StringEquals"]["kms:ViaService"] == [f"{service}.us-east-1.amazonaws.com"]


def test_enc3_keys_refuse_grants_not_for_aws_resources(data: dict[str, Any]) -> None:
    for key in of_type(data, "AWS::KMS::Key").values():
        statements = key["Properties"]["KeyPolicy"]["Statement"]
        deny = [s for s in statements if s.get("Sid") == "DenyGrantsNotForAwsResources"]
        assert deny
        assert deny[0]["Effect"] == "Deny"
        assert deny[0]["Action"] == "kms:CreateGrant"


def test_ha1_database_is_multi_az_and_private(database: dict[str, Any]) -> None:
    assert database["Properties"]["MultiAZ"] is True
    assert database["Properties"]["PubliclyAccessible"] is False


def test_net1_database_lives_in_the_data_subnets_only(data: dict[str, Any]) -> None:
    _, group = only(data, "AWS::RDS::DBSubnetGroup")
    exports = [subnet["Fn::ImportValue"] for subnet in group["Properties"]["SubnetIds"]]
    assert len(exports) == 3
    assert all("DataSubnet" in name for name in exports)


def test_enc3_storage_is_gp3_encrypted_with_the_database_key_and_autoscaled(
    data: dict[str, Any], database: dict[str, Any]
) -> None:
    properties = database["Properties"]
    assert properties["StorageType"] == "gp3"
    assert properties["StorageEncrypted"] is True
    assert properties["KmsKeyId"] == {"Fn::GetAtt": [key_id(data, "database"), "Arn"]}
    assert (properties["AllocatedStorage"], properties["MaxAllocatedStorage"]) == ("100", 500)


def test_bak4_thirty_five_days_of_point_in_time_recovery_in_the_configured_window(database: dict[str, Any]) -> None:
    properties = database["Properties"]
    assert properties["BackupRetentionPeriod"] == 35
    assert properties["PreferredBackupWindow"] == "03:00-03:30"
    assert properties["PreferredMaintenanceWindow"] == "sun:08:00-sun:09:00"


def cross_region_import(template: dict[str, Any], value: Any) -> str:
    """The SSM parameter a CDK cross-region reference reads: `value` is a GetAtt of the stack's ExportsReader."""
    reader_id, parameter = value["Fn::GetAtt"]
    reader = template["Resources"][reader_id]
    assert reader["Type"] == "Custom::CrossRegionExportReader"
    assert reader["Properties"]["ReaderProps"]["imports"][parameter] == f"{{{{resolve:ssm:{parameter}}}}}"
    return str(parameter)


def exported_by_dr(data_dr: dict[str, Any], parameter: str) -> Any:
    (writer,) = of_type(data_dr, "Custom::CrossRegionExportWriter").values()
    assert writer["Properties"]["WriterProps"]["region"] == "us-east-1"
    return writer["Properties"]["WriterProps"]["exports"][parameter]


def test_bak5_automated_backups_replicate_to_the_dr_region_under_the_dr_key_arn(
    data: dict[str, Any], data_dr: dict[str, Any], database: dict[str, Any]
) -> None:
    """RDS documents a key ARN for AutomaticBackupReplicationKmsKeyId: the DR key's Arn, passed across regions."""
    properties = database["Properties"]
    assert properties["AutomaticBackupReplicationRegion"] == "us-west-2"
    assert properties["AutomaticBackupReplicationRetentionPeriod"] == 35
    parameter = cross_region_import(data, properties["AutomaticBackupReplicationKmsKeyId"])
    assert exported_by_dr(data_dr, parameter) == {"Fn::GetAtt": [key_id(data_dr, "database-replica"), "Arn"]}


def test_bak5_dr_stack_holds_the_replica_keys(data_dr: dict[str, Any]) -> None:
    aliases = {a["Properties"]["AliasName"] for a in of_type(data_dr, "AWS::KMS::Alias").values()}
    assert aliases == {"alias/acme-prod/data-dr/database-replica", "alias/acme-prod/data-dr/data-replica"}


def test_bak5_cross_region_reference_handlers_are_acknowledged_on_the_handler_only(
    data: dict[str, Any], data_dr: dict[str, Any]
) -> None:
    for template in (data, data_dr):
        (handler,) = of_type(template, "AWS::Lambda::Function").values()
        rules = handler["Metadata"]["cdk_nag"]["rules_to_suppress"]
        assert [rule["id"] for rule in rules] == ["cdk-validator-cfnguard::lambda_inside_vpc_check"]
        assert rules[0]["reason"].startswith("NET-3 (not applicable): a CDK deploy-time provider Lambda")


def test_loc1_dr_stacks_deploy_to_the_dr_region(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["artifacts"][f"{PROD}-data-dr"]["environment"] == "aws://111122223333/us-west-2"
    assert manifest["artifacts"][f"{PROD}-data"]["environment"] == "aws://111122223333/us-east-1"
    assert f"{PROD}-data-dr" in manifest["artifacts"][f"{PROD}-data"]["dependencies"]


def test_database_survives_deletion_and_replacement(database: dict[str, Any]) -> None:
    assert database["Properties"]["DeletionProtection"] is True
    assert database["DeletionPolicy"] == "Snapshot"
    assert database["UpdateReplacePolicy"] == "Snapshot"
    assert database["Properties"]["CopyTagsToSnapshot"] is True


def test_enc1_parameter_group_forces_tls12_and_logs_connections(data: dict[str, Any]) -> None:
    _, group = only(data, "AWS::RDS::DBParameterGroup")
    assert group["Properties"]["Family"] == "postgres17"
    assert group["Properties"]["Parameters"] == {
        "rds.force_ssl": "1",
        "ssl_min_protocol_version": "TLSv1.2",
        "log_connections": "1",
        "log_disconnections": "1",
    }


def test_acc4_database_logs_go_to_encrypted_log_groups_with_retention(
    data: dict[str, Any], database: dict[str, Any]
) -> None:
    assert database["Properties"]["EnableCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    groups = {g["Properties"]["LogGroupName"]: g for g in of_type(data, "AWS::Logs::LogGroup").values()}
    for name in ("postgresql", "upgrade"):
        group = groups[f"/aws/rds/instance/acme-prod-postgres/{name}"]
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id(data, "logs"), "Arn"]}
        assert group["Properties"]["RetentionInDays"] == 365
        assert group["DeletionPolicy"] == "RetainExceptOnCreate"  # fixed name: a failed create must not block a retry


def test_enc4_net2_iam_auth_and_an_rds_managed_secret_under_our_key(
    data: dict[str, Any], database: dict[str, Any]
) -> None:
    properties = database["Properties"]
    assert properties["EnableIAMDatabaseAuthentication"] is True
    assert properties["ManageMasterUserPassword"] is True
    assert properties["MasterUserSecret"] == {"KmsKeyId": {"Fn::GetAtt": [key_id(data, "secrets"), "Arn"]}}
    assert "MasterUserPassword" not in properties
    assert properties["MasterUsername"] not in ("postgres", "admin")


def test_monitoring_and_performance_insights_encrypted_and_minor_upgrades_on(
    data: dict[str, Any], database: dict[str, Any]
) -> None:
    properties = database["Properties"]
    assert properties["MonitoringInterval"] == 60
    assert properties["EnablePerformanceInsights"] is True
    assert properties["PerformanceInsightsKMSKeyId"] == {"Fn::GetAtt": [key_id(data, "database"), "Arn"]}
    assert properties["AutoMinorVersionUpgrade"] is True


def buckets(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(of_type(template, "AWS::S3::Bucket").items())


def data_bucket(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return next((k, v) for k, v in buckets(template).items() if not k.startswith("AccessLogs"))


def test_enc2_data_bucket_uses_the_data_key_with_bucket_keys(data: dict[str, Any]) -> None:
    _, bucket = data_bucket(data)
    rule = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id(data, "data"), "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is True


@pytest.mark.parametrize("stack", ["data", "data-dr"])
def test_enc2_every_bucket_is_private_owner_enforced_versioned_and_retained(
    synthesized: Synthesized, stack: str
) -> None:
    for name, bucket in buckets(synthesized.template_json(f"{PROD}-{stack}")).items():
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
        assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}], name
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}, name
        # A named bucket is retained except on a failed create, so the retry does not find its name taken.
        expected = "RetainExceptOnCreate" if "BucketName" in properties else ("Retain", "RetainExceptOnCreate")
        assert bucket["DeletionPolicy"] in (expected if isinstance(expected, tuple) else (expected,)), name


@pytest.mark.parametrize("stack", ["data", "data-dr"])
def test_enc1_every_bucket_denies_plain_http_and_tls_below_1_2(synthesized: Synthesized, stack: str) -> None:
    template = synthesized.template_json(f"{PROD}-{stack}")
    policies = {
        p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]
        for p in of_type(template, "AWS::S3::BucketPolicy").values()
    }
    for name in buckets(template):
        statements = policies[name]["Statement"]
        conditions = [s["Condition"] for s in statements if s["Effect"] == "Deny"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions, name
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions, name


def test_acc4_data_bucket_logs_access_to_the_dedicated_log_bucket(data: dict[str, Any]) -> None:
    _, bucket = data_bucket(data)
    log_bucket = next(k for k in buckets(data) if k.startswith("AccessLogs"))
    assert bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": log_bucket}


def test_acc4_log_bucket_is_sse_s3_because_log_delivery_cannot_use_kms(data: dict[str, Any]) -> None:
    _, log_bucket = next((k, v) for k, v in buckets(data).items() if k.startswith("AccessLogs"))
    rule = log_bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert log_bucket["Properties"]["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365


def test_data_bucket_expires_noncurrent_versions_and_locks_new_ones(data: dict[str, Any]) -> None:
    _, bucket = data_bucket(data)
    rule = bucket["Properties"]["LifecycleConfiguration"]["Rules"][0]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert bucket["Properties"]["ObjectLockEnabled"] is True
    assert bucket["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "GOVERNANCE",
        "Days": 30,
    }


def test_bak5_data_bucket_replicates_everything_to_the_dr_bucket_under_the_dr_key(
    data: dict[str, Any], data_dr: dict[str, Any]
) -> None:
    _, bucket = data_bucket(data)
    rule = bucket["Properties"]["ReplicationConfiguration"]["Rules"][0]
    assert rule["Status"] == "Enabled"
    assert rule["Id"] == "replicate-to-dr"
    assert rule["Destination"]["Bucket"] == "arn:aws:s3:::acme-prod-data-replica-111122223333-us-west-2"
    parameter = cross_region_import(data, rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"])
    assert exported_by_dr(data_dr, parameter) == {"Fn::GetAtt": [key_id(data_dr, "data-replica"), "Arn"]}
    assert rule["SourceSelectionCriteria"]["SseKmsEncryptedObjects"] == {"Status": "Enabled"}


def test_bak5_replication_metrics_are_on_so_failures_are_reported(data: dict[str, Any]) -> None:
    """Metrics without Replication Time Control: S3 then publishes OperationsFailedReplication for the rule."""
    _, bucket = data_bucket(data)
    destination = bucket["Properties"]["ReplicationConfiguration"]["Rules"][0]["Destination"]
    assert destination["Metrics"] == {"Status": "Enabled"}
    assert "ReplicationTime" not in destination


def test_bak5_replica_bucket_in_the_dr_stack_has_the_name_the_data_stack_targets(data_dr: dict[str, Any]) -> None:
    names = [b["Properties"].get("BucketName") for b in buckets(data_dr).values()]
    assert "acme-prod-data-replica-111122223333-us-west-2" in names


def replication_statements(data: dict[str, Any]) -> list[dict[str, Any]]:
    role_id = next(k for k in of_type(data, "AWS::IAM::Role") if "Replication" in k)
    (policy,) = [
        p for p in of_type(data, "AWS::IAM::ManagedPolicy").values() if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def actions_on(statements: list[dict[str, Any]], resource: Any) -> set[str]:
    found: set[str] = set()
    for statement in statements:
        if statement["Resource"] == resource:
            found |= set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    return found


def test_bak5_replication_role_has_only_a_managed_policy_scoped_to_the_two_buckets(data: dict[str, Any]) -> None:
    assert not of_type(data, "AWS::IAM::Policy"), "no inline policies"
    for statement in replication_statements(data):
        assert statement["Effect"] == "Allow"
        assert "Condition" not in statement  # every resource is named exactly, the replica key by its ARN
        assert statement["Resource"] != "*"


def test_bak5_replication_role_reads_object_lock_retention_and_legal_hold(data: dict[str, Any]) -> None:
    bucket_id, bucket = data_bucket(data)
    assert bucket["Properties"]["ObjectLockEnabled"] is True
    objects = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}
    assert {"s3:GetObjectRetention", "s3:GetObjectLegalHold", "s3:GetObjectVersionForReplication"} <= actions_on(
        replication_statements(data), objects
    )


def test_bak5_replication_role_decrypts_with_the_bucket_key_replica_key(
    data: dict[str, Any], data_dr: dict[str, Any]
) -> None:
    replica = next(b for b in buckets(data_dr).values() if b["Properties"].get("BucketName"))
    encryption = replica["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["BucketKeyEnabled"] is True
    _, bucket = data_bucket(data)
    replica_key = bucket["Properties"]["ReplicationConfiguration"]["Rules"][0]["Destination"][
        "EncryptionConfiguration"
    ]["ReplicaKmsKeyID"]
    assert {"kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"} <= actions_on(
        replication_statements(data), replica_key
    )


def test_bak6_database_and_data_bucket_carry_the_tag_audit_scopes_use(
    data: dict[str, Any], database: dict[str, Any]
) -> None:
    _, bucket = data_bucket(data)
    for resource in (database, bucket):
        tags = {tag["Key"]: tag["Value"] for tag in resource["Properties"]["Tags"]}
        assert tags["backup-plan"] == "tiered"
        assert tags["environment"] == PROD
    for name, other in buckets(data).items():
        if other is not bucket:
            assert "backup-plan" not in {tag["Key"] for tag in other["Properties"]["Tags"]}, name


def test_bak5_fixed_name_resources_are_retained_except_on_a_failed_create(
    data: dict[str, Any], data_dr: dict[str, Any]
) -> None:
    """RDS log groups and the replica bucket: a failed first create must leave nothing that blocks the retry."""
    named = [
        *(g for g in of_type(data, "AWS::Logs::LogGroup").values() if "LogGroupName" in g["Properties"]),
        *(b for b in buckets(data_dr).values() if "BucketName" in b["Properties"]),
    ]
    assert len(named) == 3
    for resource in named:
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate"
        assert resource["UpdateReplacePolicy"] == "Retain"


def probe_database(**overrides: Any) -> Any:
    stack = tiny_stack()
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="Data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    settings: dict[str, Any] = {
        "instance_identifier": "probe-postgres",
        "engine_major_version": "17",
        "port": 5433,
        "instance_class": "db.t4g.medium",
        "vpc": vpc,
        "subnets": vpc.isolated_subnets,
        "security_group": ec2.SecurityGroup(stack, "Group", vpc=vpc),
        "storage_key": key,
        "secret_key": key,
        "logs_key": key,
        "allocated_storage_gib": 20,
        "max_allocated_storage_gib": 100,
        "backup_retention_days": 7,
        "preferred_backup_window": "03:00-03:30",
        "preferred_maintenance_window": "sun:08:00-sun:09:00",
        "log_retention": logs.RetentionDays.ONE_YEAR,
        **overrides,
    }
    database = PostgresDatabase(stack, "Database", **settings)
    return stack, database


def test_bak4_probe_database_without_deletion_protection_fails_the_gates() -> None:
    stack, _ = probe_database(deletion_protection=False)
    assert "AwsSolutions-RDS10" in nag_findings(stack, "AwsSolutions")


def test_ha1_probe_publicly_accessible_database_fails_the_gates() -> None:
    stack, database = probe_database()
    cfn = database.instance.node.default_child
    assert isinstance(cfn, rds.CfnDBInstance)
    assert "NIST.800.53.R5-RDSInstancePublicAccess" not in nag_findings(stack, "NIST.800.53.R5")
    cfn.publicly_accessible = True
    assert "NIST.800.53.R5-RDSInstancePublicAccess" in nag_findings(stack, "NIST.800.53.R5")


def test_enc2_probe_bucket_without_kms_fails_the_gates() -> None:
    stack = tiny_stack()
    s3.Bucket(stack, "Plain", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True)
    assert "NIST.800.53.R5-S3DefaultEncryptionKMS" in nag_findings(stack, "NIST.800.53.R5")
