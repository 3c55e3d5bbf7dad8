"""The synthesized home-region baseline deploys through a CloudFormation engine (moto), and the service APIs then
show the promised state (ACC-4, ACC-5, NET-5, NET-6, ENC-3, CMP-1).

moto's CloudFormation builds the keys, buckets (of their settings only encryption), log groups (without their
key), roles, policies, topic and rules of the template. It has no CloudFormation model for CloudTrail trails,
GuardDuty detectors, Security Hub, Config recorders, service-linked roles or Access Analyzer (it skips them with a
warning), and runs CDK's custom-resource Lambda only under Docker. So, narrowly and for moto only: after the stack
is created, each of those resources is created from ITS OWN template properties through the service API (Refs
resolved to what moto built), and each `Custom::AWS` call is made as the template writes it; then every promise
is read back through the service API. moto 5.2.5 has no Security Hub standards API and no Access Analyzer: those
two stay covered by tests/test_baseline_stack.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import Synthesized
from tests.test_network_deploys_in_moto import for_moto

ACCOUNT = "111122223333"
HOME = f"account-{ACCOUNT}-baseline"
# moto's CloudFormation skips these types (documented above); the test makes them through the service APIs.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Tried to parse AWS..(CloudTrail|GuardDuty|SecurityHub|Config|AccessAnalyzer|IAM..ServiceLinkedRole"
    r"|Logs..MetricFilter|CloudWatch|SNS..Subscription|SNS..TopicPolicy|S3..BucketPolicy):UserWarning"
)


class Resolver:
    """Ref and Fn::GetAtt ...Arn of the template, resolved to the resources moto's CloudFormation built."""

    def __init__(self, stack_name: str) -> None:
        listed = [
            resource
            for resource in boto3.client("cloudformation").describe_stack_resources(StackName=stack_name)[
                "StackResources"
            ]
            if "LogicalResourceId" in resource  # moto lists the types it skipped without one
        ]
        self.physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in listed}
        self.types = {r["LogicalResourceId"]: r["ResourceType"] for r in listed}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict) and "Ref" in value:
            return self.physical[value["Ref"]]
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            assert attribute == "Arn"
            return self.arn(logical)
        return value

    def arn(self, logical: str) -> str:
        physical, kind = self.physical[logical], self.types[logical]
        if kind == "AWS::KMS::Key":
            # Not describe_key: moto 5.2.5 keeps a CloudFormation key's policy as a dict and then fails to parse it.
            keys = boto3.client("kms").list_keys()["Keys"]
            return str(next(key["KeyArn"] for key in keys if key["KeyId"] == physical))
        if kind == "AWS::Logs::LogGroup":
            return f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{physical}:*"
        if kind == "AWS::IAM::Role":
            return str(boto3.client("iam").get_role(RoleName=physical)["Role"]["Arn"])
        raise AssertionError(f"no ARN resolution for {kind}")


def of_type(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == resource_type]


def without_lambda(template: dict[str, Any]) -> dict[str, Any]:
    """for_moto drops Custom:: resources; the provider function they need goes too (its code is a CDK asset)."""
    copy = for_moto(template)
    copy["Resources"] = {k: r for k, r in copy["Resources"].items() if r["Type"] != "AWS::Lambda::Function"}
    return copy


def make_what_moto_cloudformation_skips(template: dict[str, Any], resolve: Resolver) -> None:
    (trail,) = of_type(template, "AWS::CloudTrail::Trail")
    cloudtrail = boto3.client("cloudtrail")
    cloudtrail.create_trail(
        Name=trail["TrailName"],
        S3BucketName=resolve(trail["S3BucketName"]),
        IsMultiRegionTrail=trail["IsMultiRegionTrail"],
        IncludeGlobalServiceEvents=trail["IncludeGlobalServiceEvents"],
        EnableLogFileValidation=trail["EnableLogFileValidation"],
        KmsKeyId=resolve(trail["KMSKeyId"]),
        CloudWatchLogsLogGroupArn=resolve(trail["CloudWatchLogsLogGroupArn"]),
        CloudWatchLogsRoleArn=resolve(trail["CloudWatchLogsRoleArn"]),
    )
    cloudtrail.put_event_selectors(TrailName=trail["TrailName"], AdvancedEventSelectors=trail["AdvancedEventSelectors"])
    if trail["IsLogging"]:
        cloudtrail.start_logging(Name=trail["TrailName"])

    (detector,) = of_type(template, "AWS::GuardDuty::Detector")
    boto3.client("guardduty").create_detector(
        Enable=detector["Enable"],
        FindingPublishingFrequency=detector["FindingPublishingFrequency"],
        Features=detector["Features"],
    )

    (hub,) = of_type(template, "AWS::SecurityHub::Hub")
    boto3.client("securityhub").enable_security_hub(
        EnableDefaultStandards=hub["EnableDefaultStandards"], ControlFindingGenerator=hub["ControlFindingGenerator"]
    )

    config = boto3.client("config")
    (recorder,) = of_type(template, "AWS::Config::ConfigurationRecorder")
    (channel,) = of_type(template, "AWS::Config::DeliveryChannel")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": recorder["RoleARN"],
            "recordingGroup": {
                "allSupported": recorder["RecordingGroup"]["AllSupported"],
                "includeGlobalResourceTypes": recorder["RecordingGroup"]["IncludeGlobalResourceTypes"],
            },
        }
    )
    config.put_delivery_channel(
        DeliveryChannel={
            "name": "default",
            "s3BucketName": channel["S3BucketName"],
            "configSnapshotDeliveryProperties": {
                "deliveryFrequency": channel["ConfigSnapshotDeliveryProperties"]["DeliveryFrequency"]
            },
        }
    )
    config.start_configuration_recorder(ConfigurationRecorderName="default")  # CloudFormation starts it too

    for call in of_type(template, "Custom::AWS"):
        create = json.loads(call["Create"])
        client = boto3.client(create["service"].lower())
        action = "".join(f"_{c.lower()}" if c.isupper() else c for c in create["action"])
        getattr(client, action)(**create.get("parameters", {}))


@pytest.fixture(scope="module")
def deployed(synthesized: Synthesized) -> Iterator[dict[str, Any]]:
    template = synthesized.template_json(HOME)
    with pytest.MonkeyPatch.context() as environment, mock_aws():
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
            environment.setenv(name, value)
        environment.setenv("AWS_DEFAULT_REGION", "us-east-1")
        # moto acts as the template's account, so account-scoped calls (S3 Control, Inspector) address it.
        environment.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
        boto3.client("ssm").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(
            StackName=HOME, TemplateBody=json.dumps(without_lambda(template)), Capabilities=["CAPABILITY_NAMED_IAM"]
        )
        assert cloudformation.describe_stacks(StackName=HOME)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        resolve = Resolver(HOME)
        make_what_moto_cloudformation_skips(template, resolve)
        yield {"template": template, "resolve": resolve}


def test_acc4_trail_is_multi_region_validated_encrypted_and_logging(deployed: dict[str, Any]) -> None:
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


def test_acc4_cmp1_trail_and_config_deliver_to_the_kms_encrypted_audit_bucket(deployed: dict[str, Any]) -> None:
    """moto's CloudFormation applies only a bucket's encryption (not versioning, Object Lock, public access block,
    logging or lifecycle): those are proven on the template (tests/test_baseline_stack.py)."""
    (trail,) = boto3.client("cloudtrail").describe_trails()["trailList"]
    (channel,) = boto3.client("config").describe_delivery_channels()["DeliveryChannels"]
    assert trail["S3BucketName"] == channel["s3BucketName"] == f"baseline-audit-{ACCOUNT}-us-east-1"
    rule = boto3.client("s3").get_bucket_encryption(Bucket=trail["S3BucketName"])["ServerSideEncryptionConfiguration"]
    default = rule["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert default["KMSMasterKeyID"] == trail["KmsKeyId"]  # the trail and its bucket share the audit key


def test_acc4_enc3_log_groups_keep_the_configured_retention(deployed: dict[str, Any]) -> None:
    """moto's CloudFormation drops a log group's KmsKeyId; the key is proven on the template."""
    groups = {g["logGroupName"]: g for g in boto3.client("logs").describe_log_groups()["logGroups"]}
    (trail,) = boto3.client("cloudtrail").describe_trails()["trailList"]
    trail_group = trail["CloudWatchLogsLogGroupArn"].split(":log-group:")[1].removesuffix(":*")
    assert {"RDSOSMetrics", trail_group} <= set(groups)
    for name, group in groups.items():
        assert group["retentionInDays"] == 365, name


def test_net5_net6_guardduty_detector_runs_with_its_features(deployed: dict[str, Any]) -> None:
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


def test_net5_security_hub_is_enabled(deployed: dict[str, Any]) -> None:
    assert boto3.client("securityhub").describe_hub()["HubArn"].startswith("arn:aws:securityhub:us-east-1:")


def test_cmp1_config_records_all_supported_types_including_global_ones(deployed: dict[str, Any]) -> None:
    config = boto3.client("config")
    (recorder,) = config.describe_configuration_recorders()["ConfigurationRecorders"]
    assert recorder["recordingGroup"]["allSupported"] is True
    assert recorder["recordingGroup"]["includeGlobalResourceTypes"] is True
    (status,) = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    assert status["recording"] is True
    (channel,) = config.describe_delivery_channels()["DeliveryChannels"]
    assert channel["s3BucketName"] == "baseline-audit-111122223333-us-east-1"


def test_acc5_account_password_policy_is_cis_level(deployed: dict[str, Any]) -> None:
    policy = boto3.client("iam").get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] >= 14
    assert policy["PasswordReusePrevention"] == 24
    for requirement in ("Symbols", "Numbers", "UppercaseCharacters", "LowercaseCharacters"):
        assert policy[f"Require{requirement}"] is True, requirement


def test_enc3_ebs_encryption_by_default_and_account_public_access_block(deployed: dict[str, Any]) -> None:
    assert boto3.client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    block = boto3.client("s3control").get_public_access_block(AccountId=ACCOUNT)
    assert all(block["PublicAccessBlockConfiguration"].values())


def test_net5_inspector_scans_ec2(deployed: dict[str, Any]) -> None:
    (account,) = boto3.client("inspector2").batch_get_account_status(accountIds=[ACCOUNT])["accounts"]
    assert account["resourceState"]["ec2"]["status"] == "ENABLED"


def test_net5_finding_rules_and_encrypted_topic_exist(deployed: dict[str, Any]) -> None:
    rules = boto3.client("events").list_rules()["Rules"]
    patterns = [json.loads(rule["EventPattern"]) for rule in rules]
    assert {p["source"][0] for p in patterns} == {"aws.guardduty", "aws.securityhub"}
    (topic,) = boto3.client("sns").list_topics()["Topics"]
    attributes = boto3.client("sns").get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]
    assert attributes["KmsMasterKeyId"]
