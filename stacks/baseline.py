"""BaselineStack: the account security baseline in the home region (ACC-4, ACC-5, ACC-8, NET-4..6, ENC-3, CMP-1).

Account-wide parts: the multi-region CloudTrail trail with its bucket and log group, the bucket AWS Config of every
region delivers to (without Object Lock, which Config does not support), the CIS metric filters and alarms, AWS
Config's service-linked role, the IAM account password policy, S3 account-level Block Public Access and the account's
`RDSOSMetrics` log group (RDS Enhanced Monitoring writes there, one per account and region). Then the regional
parts every baseline region holds (stacks/baseline_base.py). Every tenant stack of the account deploys after it, so the
bastion's CloudTrail and GuardDuty rules have a trail and a detector behind them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from aws_cdk import aws_iam as iam

from config import AccountSettings
from constructs import Construct
from constructs.account_hardening import S3AccountPublicAccessBlock
from constructs.account_password_policy import AccountPasswordPolicy
from constructs.audit_trail import AuditTrail, trail_arn
from constructs.cis_alarms import CisAlarms
from constructs.config_delivery_bucket import ConfigDeliveryBucket
from constructs.named_log_group import named_log_group
from constructs.purpose_keys import PurposeKeys, ServiceUse, logs_service_use
from constructs.support_role import SupportRole
from stacks.baseline_base import AccountBaselineStack, audit_bucket_name, baseline_name, config_bucket_name
from stacks.environment_stack import log_retention

TRAIL_NAME: Final = "account-audit-trail"
RDS_OS_METRICS: Final = "RDSOSMetrics"


class BaselineStack(AccountBaselineStack):
    def __init__(
        self, scope: Construct, *, settings: AccountSettings, environment_names: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            baseline_name(settings),
            settings=settings,
            region=settings.home_region,
            description="account security baseline, home region",
            **kwargs,
        )
        retention = log_retention(settings.log_retention_days)
        owned = not settings.organization_managed
        this_trail = trail_arn(self, self.region, TRAIL_NAME)
        # The audit key (trail and Config delivery) exists only where this stack creates the trail.
        audit: dict[str, list[str]] = {"audit": ["s3"]} if owned else {}
        self.keys = PurposeKeys(
            self,
            "Keys",
            alias_prefix="baseline",
            purposes={**audit, "logs": [], "alerts": ["sns"]},
            service_users={
                # CloudTrail encrypts log files and digests of this trail only: bound by the encryption
                # context CloudTrail sends (CloudTrail user guide, KMS key policy), not by aws:SourceArn (ENC-3 rule).
                "audit": [
                    ServiceUse(
                        "cloudtrail.amazonaws.com",
                        {"StringEquals": {"kms:EncryptionContext:aws:cloudtrail:arn": this_trail}},
                    )
                ],
                "logs": [logs_service_use(self)],
            },
        )
        if owned:
            # kms:DescribeKey carries no encryption context, so the statement above cannot admit it; CloudTrail
            # describes the key when the trail is created or updated, and sends aws:SourceArn with the call
            # (CloudTrail user guide, "Configure AWS KMS key policies for CloudTrail": "describe key").
            self.keys.keys["audit"].add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudTrailToDescribeTheKey",
                    principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                    actions=["kms:DescribeKey"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceArn": this_trail}},
                )
            )
            # The audit bucket uses an S3 Bucket Key, so whoever creates or updates the trail (CloudFormation's
            # execution role) needs kms:Decrypt on the key (CloudTrail user guide, "Configure AWS KMS key policies for
            # CloudTrail", required elements for trails, 2). CloudTrail makes that call for the caller, so it is
            # admitted through CloudTrail only (kms:ViaService, like every account use of this key, ENC-3), for this
            # account's principals, who still need kms:Decrypt in their own IAM policy.
            self.keys.keys["audit"].add_to_resource_policy(
                iam.PolicyStatement(
                    sid="TrailCreatorDecryptsThroughCloudTrail",
                    principals=[iam.AccountRootPrincipal()],
                    actions=["kms:Decrypt"],
                    resources=["*"],
                    conditions={
                        "StringEquals": {
                            "kms:CallerAccount": self.account,
                            "kms:ViaService": f"cloudtrail.{self.region}.amazonaws.com",
                        }
                    },
                )
            )
        self.rds_os_metrics = named_log_group(
            self, "RdsOsMetrics", name=RDS_OS_METRICS, key=self.keys.keys["logs"], retention=retention
        )
        self.trail: AuditTrail | None = None
        if owned:
            self.config_role = iam.CfnServiceLinkedRole(
                self,
                "ConfigServiceLinkedRole",
                aws_service_name="config.amazonaws.com",
                description="AWS Config records through its service-linked role (Security Hub Config.1, CMP-1)",
            )
            self.trail = AuditTrail(
                self,
                "AuditTrail",
                trail_name=TRAIL_NAME,
                bucket_name=audit_bucket_name(settings, self.account),
                key=self.keys.keys["audit"],
                logs_key=self.keys.keys["logs"],
                log_retention=retention,
                data_bucket_prefixes=[f"{name}-data-" for name in environment_names],
            )
            # Config cannot deliver to the trail's Object Lock bucket (constructs/config_delivery_bucket.py says why).
            self.config_bucket = ConfigDeliveryBucket(
                self,
                "ConfigBucket",
                bucket_name=config_bucket_name(settings, self.account),
                key=self.keys.keys["audit"],
                access_logs=self.trail.access_logs.bucket,
            )
        self.add_regional_services(keys=self.keys)
        self.password_policy = AccountPasswordPolicy(self, "PasswordPolicy", calls=self.sdk_calls)
        S3AccountPublicAccessBlock(self, "S3AccountPublicAccessBlock", calls=self.sdk_calls)
        self.support_role = SupportRole(self, "SupportRole")  # ACC-8, CIS 1.17: one per account, IAM is global
        if self.trail is not None:
            self.cis_alarms = CisAlarms(self, "CisAlarms", log_group=self.trail.log_group, topic=self.alerts.topic)
        if self.config_recorder is not None:
            self.config_recorder.recorder.node.add_dependency(self.config_role)
            # Config writes a test object when the channel is created: the bucket, its policy and the key first.
            self.config_recorder.delivery_channel.node.add_dependency(self.config_bucket)
