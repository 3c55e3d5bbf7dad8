"""Customer-managed KMS keys, one per purpose (ENC-2, ENC-3).

Each key rotates yearly, is retained when its stack is deleted, and carries an alias
`alias/<environment>/<purpose>` so that other regions and auditors can name it without a lookup.

The key policy grants only what uses the key (it replaces CDK's default, which gives the account root `kms:*`):
- the account may administer the key (create aliases, tag, rotate, schedule deletion), but not use it directly;
- principals of this account may use it only through the AWS services named for its purpose
  (`kms:ViaService`, e.g. RDS for the database key), and still only where their IAM policies allow;
- service principals (CloudWatch Logs, EventBridge, ...) get use actions, limited to this account;
- grants may be created only for AWS resources (Control Tower: an explicit deny of other grants).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs import Construct


@dataclass(frozen=True)
class ServiceUse:
    """A service principal allowed to use a key; `conditions` default to this account only."""

    principal: str
    conditions: Mapping[str, Any] = field(default_factory=dict)


ADMINISTRATION = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)
USE = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant")


def key_alias(prefix: str, purpose: str) -> str:
    return f"alias/{prefix}/{purpose}"


def logs_service_use(stack: cdk.Stack) -> ServiceUse:
    """CloudWatch Logs may use the key only for this account's log groups in this region."""
    log_groups = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
    return ServiceUse(
        f"logs.{stack.region}.amazonaws.com", {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}}
    )


def key_policy(stack: cdk.Stack, via_services: Sequence[str]) -> iam.PolicyDocument:
    """Administration by the account, use only through the named services, grants only for AWS resources."""
    account = iam.AccountRootPrincipal()
    statements = [
        iam.PolicyStatement(
            sid="AccountAdministersTheKey", principals=[account], actions=list(ADMINISTRATION), resources=["*"]
        ),
        deny_grants_not_for_aws_resources(),
    ]
    if via_services:
        statements.append(
            iam.PolicyStatement(
                sid="AccountUsesTheKeyOnlyThroughItsServices",
                principals=[account],
                actions=list(USE),
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "kms:CallerAccount": stack.account,
                        "kms:ViaService": [f"{service}.{stack.region}.amazonaws.com" for service in via_services],
                    }
                },
            )
        )
    return iam.PolicyDocument(statements=statements)


def deny_grants_not_for_aws_resources() -> iam.PolicyStatement:
    """Grants let a principal use a key without a policy change; allow them only when AWS services ask."""
    return iam.PolicyStatement(
        sid="DenyGrantsNotForAwsResources",
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=["kms:CreateGrant"],
        resources=["*"],
        conditions={"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
    )


class PurposeKeys(Construct):
    """Creates `keys[purpose]` for each purpose.

    `purposes[purpose]` names the AWS services (`rds`, `s3`, ...) through which this account's principals may
    use the key; `service_users[purpose]` lists service principals to admit directly.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias_prefix: str,
        purposes: Mapping[str, Sequence[str]],
        service_users: Mapping[str, Sequence[ServiceUse]] | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        pending_window: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.keys: dict[str, kms.Key] = {}
        for purpose, via_services in purposes.items():
            key = kms.Key(
                self,
                purpose.title().replace("-", ""),
                alias=key_alias(alias_prefix, purpose),
                description=f"{alias_prefix}: customer-managed key for {purpose} (ENC-3)",
                enable_key_rotation=True,
                removal_policy=removal_policy,
                pending_window=pending_window or cdk.Duration.days(30),
                policy=key_policy(stack, via_services),
            )
            for use in (service_users or {}).get(purpose, ()):
                key.add_to_resource_policy(
                    iam.PolicyStatement(
                        sid=f"Allow{use.principal.split('.')[0].title()}Use",
                        principals=[iam.ServicePrincipal(use.principal)],
                        actions=[
                            "kms:Encrypt*",
                            "kms:Decrypt*",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:Describe*",
                        ],
                        resources=["*"],
                        conditions=dict(use.conditions) or {"StringEquals": {"aws:SourceAccount": stack.account}},
                    )
                )
            self.keys[purpose] = key
