"""Account settings CloudFormation has no resource for, set by CDK's `AwsCustomResource` (ACC-5, ENC-3, NET-5).

CDK runs every `AwsCustomResource` of a stack in one provider function. `AccountSdkCalls` gives that function its
role: a customer-managed policy holding exactly the statements of the calls made through it (each call names its
own actions; most account-setting actions take no resource ARN) plus writing to its own encrypted log group, and
nothing else: no AWS-managed policy, no inline policy. The provider is a prebuilt asset shipped with aws-cdk-lib:
synth needs no Docker and no bundling. `install_latest_aws_sdk=False`: the function uses its runtime's SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr

from constructs import Construct
from policies.acknowledgements import acknowledge, acknowledge_cause
from policies.causes import ACTIONS_WITHOUT_RESOURCE_ARN, DEPLOY_TIME_PROVIDER_OUTSIDE_VPC
from policies.rule_targets import COMPLIANCE_PACKS, in_compliance_packs

# The singleton provider's construct id in its stack (CDK derives it from AwsCustomResource.PROVIDER_FUNCTION_UUID).
PROVIDER_ID: Final = "AWS679f53fac002430cb0da5b7982bd2287"


class AccountSdkCalls(Construct):
    """Exposes `role`, `policy`, `log_group` and `calls[construct_id]`; make calls with `call(...)`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, logs_key: kms.IKey, log_retention: logs.RetentionDays
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", encryption_key=logs_key, retention=log_retention, removal_policy=cdk.RemovalPolicy.RETAIN
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Deploy-time account settings calls (ACC-5, ENC-3, NET-5); only the policy below",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Exactly the account-setting API calls of this baseline stack, and their log group",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn]
                )
            ],
        )
        self.calls: dict[str, cr.AwsCustomResource] = {}
        # The account-setting actions (EnableEbsEncryptionByDefault, Inspector2 Enable, Update/DeleteAccountPassword
        # Policy, PutAccountPublicAccessBlock) accept no resource ARN; each is named exactly.
        acknowledge_cause(self.policy, "AwsSolutions-IAM5[Resource::*]", ACTIONS_WITHOUT_RESOURCE_ARN)

    def call(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: str,
        action: str,
        parameters: Mapping[str, Any] | None,
        physical_id: str,
        statements: Sequence[iam.PolicyStatement],
        on_delete: cr.AwsSdkCall | None = None,
    ) -> cr.AwsCustomResource:
        """One API call on create and update (optionally another on delete), allowed exactly `statements`."""
        for statement in statements:
            self.policy.add_statements(statement)
        call = cr.AwsSdkCall(
            service=service,
            action=action,
            parameters=dict(parameters) if parameters else None,
            physical_resource_id=cr.PhysicalResourceId.of(physical_id),
        )
        resource = cr.AwsCustomResource(
            scope,
            construct_id,
            on_create=call,
            on_update=call,
            on_delete=on_delete,
            role=self.role,
            log_group=self.log_group,
            install_latest_aws_sdk=False,
        )
        resource.node.add_dependency(self.policy)
        self.calls[construct_id] = resource
        self._acknowledge_provider()
        return resource

    def _acknowledge_provider(self) -> None:
        stack = cdk.Stack.of(self)  # created in Python, so the same object on every call (the provider's proxy is not)
        provider = stack.node.try_find_child(PROVIDER_ID)
        if not isinstance(provider, lambda_.Function) or getattr(stack, "_sdk_provider_acknowledged", False):
            return
        stack._sdk_provider_acknowledged = True  # type: ignore[attr-defined]
        deploy_time = (
            "CDK's AwsCustomResource provider runs only while CloudFormation deploys this stack, to make the "
            "account-setting calls listed in its role's policy; it handles no data and serves no traffic"
        )
        outside_vpc = (*in_compliance_packs("LambdaInsideVPC"), "cdk-validator-cfnguard::lambda_inside_vpc_check")
        acknowledge_cause(provider, outside_vpc, DEPLOY_TIME_PROVIDER_OUTSIDE_VPC)
        nist_hipaa = COMPLIANCE_PACKS[:2]
        acknowledge(
            provider,
            in_compliance_packs("LambdaConcurrency", nist_hipaa),
            control="HA-1",
            basis="not applicable",
            how=f"{deploy_time}; it is invoked a handful of times per deploy, and reserving concurrency "
            "would fail in accounts at Lambda's minimum unreserved concurrency.",
        )
        acknowledge(
            provider,
            in_compliance_packs("LambdaDLQ", nist_hipaa),
            control="CMP-1",
            basis="met another way",
            how=f"{deploy_time}; a failed call fails the CloudFormation resource and the deploy, which is "
            "recorded in the stack events and CloudTrail: no event is lost silently.",
        )
