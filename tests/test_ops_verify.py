"""`python -m ops verify` against the moto deployment: every row passes on the deployed environment, and each broken
promise fails its row and makes the exit status 1 (BAK-2..5, HA-1, ENC-1..3, NET-2, ACC-2, ACC-3).

Where moto lacks an API (Backup jobs and recovery points, RDS backup replication), tests/moto_stubs.py answers that
one call from data; each break below changes either moto's state through its API or that data, then undoes it.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from ops.environment import BASELINE_TAG
from stacks import baseline_base
from tests.moto_deploy import MotoDeployment, in_account
from tests.moto_ops import failing, row, run_ops
from tests.moto_stubs import MotoGaps, healthy

PROD = "acme-prod"
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
ACCOUNT = "111122223333"
BASELINE_CHECKS = ("CloudTrail logging", "GuardDuty enabled", "Security Hub enabled", "AWS Config recorder on")


@pytest.fixture
def gaps(moto_deployment: MotoDeployment) -> Iterator[MotoGaps]:
    with in_account(ACCOUNT):
        yield healthy(PROD, ACCOUNT)


def test_verify_passes_on_the_deployed_environment(gaps: MotoGaps) -> None:
    code, document = run_ops("verify", gaps=gaps)
    assert failing(document) == []
    assert code == 0
    controls = {r["control"] for r in document["rows"]}
    assert {
        "BAK-2",
        "BAK-3",
        "BAK-4",
        "BAK-5",
        "ENC-1",
        "ENC-2",
        "ENC-3",
        "HA-1",
        "NET-2",
        "ACC-2",
        "ACC-3",
    } <= controls
    # The account baseline the environment's stacks depend on is found by its tag and holds (ACC-4, NET-5).
    baseline = {r["check"]: r["status"] for r in document["rows"] if r["control"] in {"ACC-4", "NET-5"}}
    assert baseline == dict.fromkeys(BASELINE_CHECKS, "pass")
    assert set(document["rows"][0]) == {"control", "check", "status", "observed", "fix"}


def assert_only_failure(gaps: MotoGaps, check: str, control: str) -> None:
    code, document = run_ops("verify", gaps=gaps)
    assert failing(document) == [check]
    assert row(document, check)["control"] == control
    assert row(document, check)["fix"]
    assert code == 1


def test_ha1_single_az_database_fails(gaps: MotoGaps) -> None:
    rds = boto3.client("rds", region_name="us-east-1")
    rds.modify_db_instance(DBInstanceIdentifier=f"{PROD}-postgres", MultiAZ=False, ApplyImmediately=True)
    try:
        assert_only_failure(gaps, "database Multi-AZ", "HA-1")
    finally:
        rds.modify_db_instance(DBInstanceIdentifier=f"{PROD}-postgres", MultiAZ=True, ApplyImmediately=True)


def test_enc3_key_rotation_off_fails(gaps: MotoGaps) -> None:
    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.describe_key(KeyId=f"alias/{PROD}/data/data")["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key)
    try:
        assert_only_failure(gaps, "key rotation in us-east-1", "ENC-3")
    finally:
        kms.enable_key_rotation(KeyId=key)


def test_acc2_stray_key_pair_fails(gaps: MotoGaps) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ec2.create_key_pair(KeyName=f"{PROD}-mallory", KeyType="ed25519")
    try:
        assert_only_failure(gaps, "key pairs equal the operators in config", "ACC-2")
    finally:
        ec2.delete_key_pair(KeyName=f"{PROD}-mallory")


def test_acc3_ssh_open_to_the_internet_fails(gaps: MotoGaps) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    (group,) = ec2.describe_security_groups(
        Filters=[{"Name": "tag:sg-role", "Values": ["bastion"]}, {"Name": "tag:environment", "Values": [PROD]}]
    )["SecurityGroups"]
    open_ssh = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=open_ssh)
    try:
        assert_only_failure(gaps, "bastion SSH sources", "ACC-3")
    finally:
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=open_ssh)


def test_bak3_unlocked_vault_fails(gaps: MotoGaps) -> None:
    backup = boto3.client("backup", region_name="us-east-1")
    vault = f"{PROD}-primary"
    backup.delete_backup_vault_lock_configuration(BackupVaultName=vault)
    try:
        assert_only_failure(gaps, f"vault {vault} locked", "BAK-3")
    finally:
        backup.put_backup_vault_lock_configuration(
            BackupVaultName=vault, MinRetentionDays=7, MaxRetentionDays=3650, ChangeableForDays=7
        )


def test_bak5_missing_dr_copy_fails(gaps: MotoGaps) -> None:
    gaps.recovery_points[("us-west-2", f"{PROD}-dr")] = []  # the stubbed ListRecoveryPointsByBackupVault (no moto API)
    assert_only_failure(gaps, "copies in the DR vault", "BAK-5")


def test_bak3_stale_tier_fails(gaps: MotoGaps) -> None:
    points = gaps.recovery_points[("us-east-1", f"{PROD}-primary")]
    gaps.recovery_points[("us-east-1", f"{PROD}-primary")] = points[1:]  # the daily tier's point is gone
    assert_only_failure(gaps, "daily recovery point within 1 d", "BAK-3")


def test_bak3_failed_backup_job_fails(gaps: MotoGaps) -> None:
    gaps.backup_jobs["us-east-1"].append({"BackupJobId": "job-2", "State": "FAILED"})
    assert_only_failure(gaps, "recent backup jobs completed", "BAK-3")


def test_bak5_database_backups_not_replicated_fails(gaps: MotoGaps) -> None:
    gaps.replicated_backups.clear()  # the stubbed DR-region DescribeDBInstanceAutomatedBackups (no moto replication)
    assert_only_failure(gaps, "automated backups replicated to DR", "BAK-5")


def test_enc1_force_ssl_off_fails(gaps: MotoGaps) -> None:
    rds = boto3.client("rds", region_name="us-east-1")
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=f"{PROD}-postgres")["DBInstances"]
    group = db["DBParameterGroups"][0]["DBParameterGroupName"]

    def force_ssl(value: str) -> None:
        rds.modify_db_parameter_group(
            DBParameterGroupName=group,
            Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": value, "ApplyMethod": "immediate"}],
        )

    force_ssl("0")
    try:
        assert_only_failure(gaps, "rds.force_ssl", "ENC-1")
    finally:
        force_ssl("1")


def test_enc2_bucket_versioning_suspended_fails(gaps: MotoGaps) -> None:
    s3 = boto3.client("s3", region_name="us-west-2")
    bucket = f"{PROD}-data-replica-{ACCOUNT}-us-west-2"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    try:
        assert_only_failure(gaps, f"bucket {bucket} versioning", "ENC-3")
    finally:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def test_verify_of_an_environment_not_deployed_in_this_account_is_not_deployed(moto_deployment: MotoDeployment) -> None:
    """globex-dev lives in moto's default account; seen from an empty account, every row is `not deployed`."""
    with in_account("999988887777"):
        code, document = run_ops("verify", gaps=MotoGaps(), env="globex-dev")
    assert code == 1
    assert {(r["check"], r["status"]) for r in document["rows"] if r["status"] != "not deployed"} == set()


def test_ops_finds_the_baseline_by_the_tag_the_baseline_stacks_carry() -> None:
    assert baseline_base.BASELINE_TAG == BASELINE_TAG


def test_acc4_a_deployed_trail_that_stopped_logging_fails_verify(gaps: MotoGaps) -> None:
    cloudtrail = boto3.client("cloudtrail", region_name="us-east-1")
    (trail,) = cloudtrail.describe_trails()["trailList"]
    cloudtrail.stop_logging(Name=trail["Name"])
    try:
        assert_only_failure(gaps, "CloudTrail logging", "ACC-4")
    finally:
        cloudtrail.start_logging(Name=trail["Name"])


def test_net5_a_suspended_dr_region_guardduty_detector_fails_verify(gaps: MotoGaps) -> None:
    guardduty = boto3.client("guardduty", region_name="us-west-2")
    (detector,) = guardduty.list_detectors()["DetectorIds"]
    guardduty.update_detector(DetectorId=detector, Enable=False)
    try:
        assert_only_failure(gaps, "GuardDuty enabled", "NET-5")
    finally:
        guardduty.update_detector(DetectorId=detector, Enable=True)


def test_acc4_a_stopped_config_recorder_fails_verify(gaps: MotoGaps) -> None:
    config = boto3.client("config", region_name="us-east-1")
    config.stop_configuration_recorder(ConfigurationRecorderName="default")
    try:
        assert_only_failure(gaps, "AWS Config recorder on", "ACC-4")
    finally:
        config.start_configuration_recorder(ConfigurationRecorderName="default")


def test_enc3_a_baseline_key_that_stopped_rotating_fails_verify(gaps: MotoGaps) -> None:
    """The account baseline's keys count too: found through their stack, judged by their own alias."""
    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.describe_key(KeyId="alias/baseline/audit")["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key)
    try:
        assert_only_failure(gaps, "key rotation in us-east-1", "ENC-3")
    finally:
        kms.enable_key_rotation(KeyId=key)


def test_cmp1_a_part_aws_refuses_is_an_error_row_and_the_other_parts_still_run(gaps: MotoGaps) -> None:
    """Probe: the backup part's first call answers as an API the endpoint lacks (moto's server: HTTP 500, the one
    stubbed call). That part is one `error` row in one line; the database, bucket, key and access rows still print,
    and the answer, incomplete, exits 2."""
    gaps.moto_server_500.add("backup.DescribeBackupVault")
    code, document = run_ops("verify", gaps=gaps)
    error = row(document, "backup plans, vaults and copies")
    assert error["status"] == "error"
    assert error["control"] == "BAK-3"
    assert "DescribeBackupVault" in error["observed"]
    assert "\n" not in error["observed"]
    assert "<" not in error["observed"]
    controls = {r["control"] for r in document["rows"] if r["status"] == "pass"}
    assert {"BAK-4", "ENC-2", "ENC-3", "ACC-2"} <= controls
    assert failing(document) == []
    assert code == 2
