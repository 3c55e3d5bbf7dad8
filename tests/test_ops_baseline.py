"""`verify`'s account-baseline rows (ACC-4, NET-5): `not deployed` until a stack of the environment declares the
service, then pass only while the trail logs, GuardDuty and Security Hub are on and the Config recorder records.

The baseline stack is being added elsewhere; here its resources are created through moto's service APIs in an
account of their own and handed to the check as the environment's stack resources, so each probe can fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from config import AppConfig
from ops.aws import Aws
from ops.environment import Environment, StackResource
from ops.verify_access import baseline
from tests.moto_deploy import MotoDeployment, in_account

ACCOUNT = "444400001111"
REGION = "us-east-1"


@pytest.fixture
def environment(moto_deployment: MotoDeployment, example_config: AppConfig) -> Iterator[Environment]:
    with in_account(ACCOUNT):
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=f"trail-{ACCOUNT}")
        cloudtrail = boto3.client("cloudtrail", region_name=REGION)
        trail = cloudtrail.create_trail(Name="baseline", S3BucketName=f"trail-{ACCOUNT}", IsMultiRegionTrail=True)
        cloudtrail.start_logging(Name="baseline")
        detector = boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)["DetectorId"]
        boto3.client("securityhub", region_name=REGION).enable_security_hub()
        config = boto3.client("config", region_name=REGION)
        config.put_configuration_recorder(
            ConfigurationRecorder={"name": "baseline", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config"}
        )
        config.put_delivery_channel(DeliveryChannel={"name": "baseline", "s3BucketName": f"trail-{ACCOUNT}"})
        config.start_configuration_recorder(ConfigurationRecorderName="baseline")
        env_config = next(e for e in example_config.environments if e.name == "globex-dev")
        found = Environment(env_config, Aws(boto3.Session()))
        stack = "globex-dev-baseline"
        for resource_type, physical in (
            ("AWS::CloudTrail::Trail", trail["TrailARN"]),
            ("AWS::GuardDuty::Detector", detector),
            ("AWS::SecurityHub::Hub", f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default"),
            ("AWS::Config::ConfigurationRecorder", "baseline"),
        ):
            found._resources[resource_type] = [StackResource(stack, REGION, "Baseline", physical, resource_type)]
        yield found


def statuses(environment: Environment) -> dict[str, str]:
    return {row.check: row.status for row in baseline(environment)}


def test_acc4_net5_an_enabled_baseline_passes(environment: Environment) -> None:
    assert set(statuses(environment).values()) == {"pass"}


def test_acc4_a_trail_that_stopped_logging_fails(environment: Environment) -> None:
    boto3.client("cloudtrail", region_name=REGION).stop_logging(Name="baseline")
    assert statuses(environment)["CloudTrail logging"] == "fail"


def test_net5_a_suspended_guardduty_detector_fails(environment: Environment) -> None:
    detector = environment._resources["AWS::GuardDuty::Detector"][0].physical_id
    boto3.client("guardduty", region_name=REGION).update_detector(DetectorId=detector, Enable=False)
    assert statuses(environment)["GuardDuty enabled"] == "fail"


def test_acc4_a_stopped_config_recorder_fails(environment: Environment) -> None:
    boto3.client("config", region_name=REGION).stop_configuration_recorder(ConfigurationRecorderName="baseline")
    assert statuses(environment)["AWS Config recorder on"] == "fail"
