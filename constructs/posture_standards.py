"""Posture in one region (NET-5, CMP-1, BAK-6): Security Hub with three standards and an AWS Config recorder.

Security Hub: AWS Foundational Security Best Practices v1.0.0, CIS AWS Foundations Benchmark v5.0.0 (the newest
Security Hub offers) and NIST SP 800-53 r5, consolidated control findings, new controls enabled automatically.
AWS Config: records every supported resource type, global types (IAM) only in the home region so they are
recorded once, delivering to the home region's Config bucket (constructs/config_delivery_bucket.py); it records
through its service-linked role (Security Hub Config.1), which the home region creates. The Backup Audit Manager
framework and Security Hub both need it.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_config as config
from aws_cdk import aws_securityhub as securityhub

from constructs import Construct

STANDARDS: Final = {
    "Fsbp": "standards/aws-foundational-security-best-practices/v/1.0.0",
    "Cis": "standards/cis-aws-foundations-benchmark/v/5.0.0",
    "Nist80053": "standards/nist-800-53/v/5.0.0",
}
CONFIG_ROLE_NAME: Final = "AWSServiceRoleForConfig"


def config_role_arn(stack: cdk.Stack) -> str:
    return f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/config.amazonaws.com/{CONFIG_ROLE_NAME}"


class SecurityHubStandards(Construct):
    """Exposes `hub` and `standards[name]`."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.hub = securityhub.CfnHub(
            self,
            "Hub",
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
        )
        self.standards: dict[str, securityhub.CfnStandard] = {}
        for name, path in STANDARDS.items():
            standard = securityhub.CfnStandard(
                self, name, standards_arn=f"arn:{stack.partition}:securityhub:{stack.region}::{path}"
            )
            standard.node.add_dependency(self.hub)
            self.standards[name] = standard


class ConfigRecorder(Construct):
    """Exposes `recorder` and `delivery_channel`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bucket_name: str, include_global_resource_types: bool
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.recorder = config.CfnConfigurationRecorder(
            self,
            "Recorder",
            role_arn=config_role_arn(stack),
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=include_global_resource_types
            ),
        )
        self.delivery_channel = config.CfnDeliveryChannel(
            self,
            "Delivery",
            s3_bucket_name=bucket_name,
            config_snapshot_delivery_properties=config.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency="TwentyFour_Hours"
            ),
        )
        self.delivery_channel.node.add_dependency(self.recorder)
