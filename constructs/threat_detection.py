"""Threat detection in one region (NET-4, NET-5, NET-6): a GuardDuty detector and Inspector EC2 and Lambda scanning.

GuardDuty features enabled: S3 data events (S3 API anomalies), EBS malware protection (scans a flagged
instance's volumes, NET-6), RDS login activity (brute force against the database, NET-4), runtime monitoring
for EC2 with GuardDuty managing the agent (the bastion). EKS, ECS Fargate and Lambda protections are off: this
app runs none of them. Malware Protection for S3 is per bucket and lives with the data bucket
(constructs/s3_malware_protection.py).

Inspector v2 has no CloudFormation resource that enables scanning (cfn-lint's schemas list only filters and CIS
scan configurations), so `Inspector2.enable` is one scoped `AwsCustomResource` call; Inspector creates its own
service-linked role on first enable. It scans EC2 instances (the bastion) and Lambda functions (standard scanning,
resource type `LAMBDA`: the functions' package dependencies; the accounts run the baseline's and CDK's provider
functions). Lambda code scanning (`LAMBDA_CODE`) is left off: the only functions are AWS's and CDK's own handlers.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam

from constructs import Construct
from constructs.account_sdk_call import AccountSdkCalls
from policies.acknowledgements import acknowledge

ENABLED_FEATURES: Final = ("S3_DATA_EVENTS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING")
RUNTIME_AGENTS: Final = {"EC2_AGENT_MANAGEMENT": "ENABLED", "ECS_FARGATE_AGENT_MANAGEMENT": "DISABLED"}
INSPECTOR_ACTIONS: Final = ("inspector2:Enable",)
# NET-5: what Inspector scans (Inspector2 Enable API, resourceTypes).
INSPECTOR_RESOURCE_TYPES: Final = ("EC2", "LAMBDA")


class GuardDutyDetector(Construct):
    """Exposes `detector`."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        feature = guardduty.CfnDetector.CFNFeatureConfigurationProperty
        agent = guardduty.CfnDetector.CFNFeatureAdditionalConfigurationProperty
        self.detector = guardduty.CfnDetector(
            self,
            "Detector",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            features=[
                feature(
                    name=name,
                    status="ENABLED",
                    additional_configuration=[agent(name=a, status=s) for a, s in RUNTIME_AGENTS.items()]
                    if name == "RUNTIME_MONITORING"
                    else None,
                )
                for name in ENABLED_FEATURES
            ],
        )
        acknowledge(
            self.detector,
            "cdk-validator-cfnguard::guardduty_s3_protection_enabled_check",
            control="NET-5",
            basis="met another way",
            how="S3 protection is on through Features (S3_DATA_EVENTS ENABLED), the successor of DataSources.S3Logs; "
            "GuardDuty refuses a detector that sets both, and the rule reads only DataSources.",
        )


class InspectorScanning(Construct):
    """Inspector scanning of this account's EC2 instances and Lambda functions in this region (NET-5)."""

    def __init__(self, scope: Construct, construct_id: str, *, calls: AccountSdkCalls) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.resource = calls.call(
            self,
            "Resource",
            service="Inspector2",
            action="enable",
            parameters={"resourceTypes": list(INSPECTOR_RESOURCE_TYPES), "accountIds": [stack.account]},
            physical_id="inspector-ec2-scanning",
            statements=[
                # inspector2:Enable takes no resource ARN.
                iam.PolicyStatement(actions=list(INSPECTOR_ACTIONS), resources=["*"]),
                iam.PolicyStatement(
                    actions=["iam:CreateServiceLinkedRole"],
                    resources=[
                        f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/"
                        "inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2"
                    ],
                    conditions={"StringEquals": {"iam:AWSServiceName": "inspector2.amazonaws.com"}},
                ),
            ],
        )
