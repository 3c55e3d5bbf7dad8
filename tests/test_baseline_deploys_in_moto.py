"""The account baseline of the session's moto deployment (tests/conftest.py `moto_deployment`, every stack of the
assembly deployed once) shows the promised state through the service APIs (ACC-4, ACC-5, NET-5, NET-6, ENC-3, CMP-1).

moto's CloudFormation builds the keys, buckets, log groups, roles, policies, topic and rules of the baseline. It has
no model for CloudTrail trails, GuardDuty detectors, Security Hub, Config recorders or service-linked roles: the
deployment creates those from their own template properties through the service APIs
(tests/moto_skipped_security.py), and makes each `Custom::AWS` call as the template writes it
(tests/moto_workarounds.py). moto 5.2.5 has no Security Hub standards API and no Access Analyzer: those two stay
covered by tests/test_baseline_stack.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from tests.moto_deploy import MotoDeployment, in_account

ACCOUNT = "111122223333"
HOME = f"account-{ACCOUNT}-baseline"
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")


@pytest.fixture
def deployed(moto_deployment: MotoDeployment) -> Iterator[MotoDeployment]:
    """The acme-prod account of the shared deployment, home region."""
    assert moto_deployment.statuses[HOME] == "CREATE_COMPLETE"
    with in_account(ACCOUNT):
        yield moto_deployment


def baseline_resources(resource_type: str, stack: str = HOME, region: str = "us-east-1") -> list[str]:
    summaries = boto3.client("cloudformation", region_name=region).list_stack_resources(StackName=stack)
    return [r["PhysicalResourceId"] for r in summaries["StackResourceSummaries"] if r["ResourceType"] == resource_type]


def test_acc4_trail_is_multi_region_validated_encrypted_and_logging(deployed: MotoDeployment) -> None:
    cloudtrail = boto3.client("cloudtrail")
    (trail,) = cloudtrail.describe_trails()["trailList"]
    assert trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True
    assert trail["LogFileValidationEnabled"] is True
    assert trail["KmsKeyId"].startswith("arn:aws:kms:us-east-1:")
    assert trail["CloudWatchLogsLogGroupArn"].startswith("arn:aws:logs:us-east-1:")
    assert cloudtrail.get_trail_status(Name=trail["Name"])["IsLogging"] is True
    selectors = cloudtrail.get_event_selectors(TrailName=trail["Name"])["AdvancedEventSelectors"]
    assert [s["FieldSelectors"][0]["Equals"] for s in selectors] == [["Management"], ["Data"]]


def test_acc4_cmp1_trail_and_config_deliver_to_kms_encrypted_buckets_under_the_audit_key(
    deployed: MotoDeployment,
) -> None:
    """moto's CloudFormation applies only a bucket's encryption (not versioning, Object Lock, public access block,
    logging or lifecycle): those are proven on the template (tests/test_baseline_stack.py). Config has its own
    bucket: it does not support the trail bucket's Object Lock."""
    (trail,) = boto3.client("cloudtrail").describe_trails()["trailList"]
    (channel,) = boto3.client("config").describe_delivery_channels()["DeliveryChannels"]
    assert trail["S3BucketName"] == f"baseline-audit-{ACCOUNT}-us-east-1"
    assert channel["s3BucketName"] == f"baseline-config-{ACCOUNT}-us-east-1"
    for bucket in (trail["S3BucketName"], channel["s3BucketName"]):
        rule = boto3.client("s3").get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        default = rule["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms"
        assert default["KMSMasterKeyID"] == trail["KmsKeyId"]  # the trail and both buckets share the audit key


def test_acc4_enc3_log_groups_keep_the_configured_retention(deployed: MotoDeployment) -> None:
    """moto's CloudFormation drops a log group's KmsKeyId; the key is proven on the template."""
    own = set(baseline_resources("AWS::Logs::LogGroup"))
    groups = {g["logGroupName"]: g for g in boto3.client("logs").describe_log_groups()["logGroups"]}
    groups = {name: group for name, group in groups.items() if name in own}
    (trail,) = boto3.client("cloudtrail").describe_trails()["trailList"]
    trail_group = trail["CloudWatchLogsLogGroupArn"].split(":log-group:")[1].removesuffix(":*")
    assert {"RDSOSMetrics", trail_group} <= set(groups)
    for name, group in groups.items():
        assert group["retentionInDays"] == 365, name


def test_net5_net6_guardduty_detector_runs_with_its_features(deployed: MotoDeployment) -> None:
    guardduty = boto3.client("guardduty")
    (detector_id,) = guardduty.list_detectors()["DetectorIds"]
    detector = guardduty.get_detector(DetectorId=detector_id)
    assert detector["Status"] == "ENABLED"
    features = {f["Name"]: f["Status"] for f in detector["Features"]}
    assert features == {
        "S3_DATA_EVENTS": "ENABLED",
        "EBS_MALWARE_PROTECTION": "ENABLED",
        "RDS_LOGIN_EVENTS": "ENABLED",
        "RUNTIME_MONITORING": "ENABLED",
    }


def test_net5_security_hub_is_enabled(deployed: MotoDeployment) -> None:
    assert boto3.client("securityhub").describe_hub()["HubArn"].startswith("arn:aws:securityhub:us-east-1:")


def test_cmp1_config_records_all_supported_types_including_global_ones(deployed: MotoDeployment) -> None:
    config = boto3.client("config")
    (recorder,) = config.describe_configuration_recorders()["ConfigurationRecorders"]
    assert recorder["recordingGroup"]["allSupported"] is True
    assert recorder["recordingGroup"]["includeGlobalResourceTypes"] is True
    (status,) = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    assert status["recording"] is True
    (channel,) = config.describe_delivery_channels()["DeliveryChannels"]
    assert channel["s3BucketName"] == "baseline-config-111122223333-us-east-1"


def test_acc5_account_password_policy_is_cis_level(deployed: MotoDeployment) -> None:
    policy = boto3.client("iam").get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] >= 14
    assert policy["PasswordReusePrevention"] == 24
    for requirement in ("Symbols", "Numbers", "UppercaseCharacters", "LowercaseCharacters"):
        assert policy[f"Require{requirement}"] is True, requirement


def test_enc3_ebs_encryption_by_default_and_account_public_access_block(deployed: MotoDeployment) -> None:
    assert boto3.client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    block = boto3.client("s3control").get_public_access_block(AccountId=ACCOUNT)
    assert all(block["PublicAccessBlockConfiguration"].values())


def test_net5_inspector_scans_ec2_and_lambda(deployed: MotoDeployment) -> None:
    (account,) = boto3.client("inspector2").batch_get_account_status(accountIds=[ACCOUNT])["accounts"]
    assert account["resourceState"]["ec2"]["status"] == "ENABLED"
    assert account["resourceState"]["lambda"]["status"] == "ENABLED"


def test_net5_finding_rules_and_encrypted_topic_exist(deployed: MotoDeployment) -> None:
    own = set(baseline_resources("AWS::Events::Rule"))
    rules = [r for r in boto3.client("events").list_rules()["Rules"] if r["Name"] in own or r["Arn"] in own]
    patterns = [json.loads(rule["EventPattern"]) for rule in rules]
    assert {p["source"][0] for p in patterns} == {"aws.guardduty", "aws.securityhub"}
    (topic,) = baseline_resources("AWS::SNS::Topic")
    attributes = boto3.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"]


def test_net5_net6_cmp1_the_dr_region_baseline_detects_and_records_too(deployed: MotoDeployment) -> None:
    """The DR region has its own detector, hub and recorder (GuardDuty, Security Hub and Config are regional); its
    recorder leaves global types to the home region and delivers to the home region's audit bucket."""
    assert deployed.statuses[f"{HOME}-dr"] == "CREATE_COMPLETE"
    guardduty = boto3.client("guardduty", region_name="us-west-2")
    (detector_id,) = guardduty.list_detectors()["DetectorIds"]
    detector = guardduty.get_detector(DetectorId=detector_id)
    assert detector["Status"] == "ENABLED"
    assert {f["Name"]: f["Status"] for f in detector["Features"]}["EBS_MALWARE_PROTECTION"] == "ENABLED"
    assert (
        boto3.client("securityhub", region_name="us-west-2")
        .describe_hub()["HubArn"]
        .startswith("arn:aws:securityhub:us-west-2:")
    )
    config = boto3.client("config", region_name="us-west-2")
    (recorder,) = config.describe_configuration_recorders()["ConfigurationRecorders"]
    assert recorder["recordingGroup"]["includeGlobalResourceTypes"] is False
    (status,) = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    assert status["recording"] is True
    (channel,) = config.describe_delivery_channels()["DeliveryChannels"]
    assert channel["s3BucketName"] == f"baseline-config-{ACCOUNT}-us-east-1"
    assert boto3.client("ec2", region_name="us-west-2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"]


def test_acc5_the_deploying_accounts_baseline_sets_its_own_password_policy(moto_deployment: MotoDeployment) -> None:
    """globex-dev names no account: its baseline went to the deploying account (moto's default) and holds there."""
    account = moto_deployment.stacks["deploying-account-baseline"].account
    assert account != ACCOUNT
    with in_account(account):
        policy = boto3.client("iam").get_account_password_policy()["PasswordPolicy"]
        (trail,) = boto3.client("cloudtrail", region_name="us-east-1").describe_trails()["trailList"]
        assert boto3.client("cloudtrail", region_name="us-east-1").get_trail_status(Name=trail["Name"])["IsLogging"]
    assert policy["MinimumPasswordLength"] >= 14
    assert policy["PasswordReusePrevention"] == 24
