"""A backup vault under a customer-managed key, with Vault Lock and a policy that refuses deletion (BAK-5, ENC-3).

- ENC-3: every recovery point in the vault is encrypted with the vault's customer-managed key.
- BAK-3 / BAK-5: Vault Lock bounds the retention of every recovery point stored or copied into the vault.
  Compliance mode is immutable once `changeable_for_days` (the grace period) has passed; governance mode has no
  grace period (AWS sets none: `ChangeableForDays` is what makes a lock a compliance lock), so it is omitted.
- The vault access policy denies everyone the deletion of recovery points, the shortening of their lifecycle and
  the removal of the lock. It does not deny `backup:PutBackupVaultAccessPolicy`: that would make the policy
  itself permanent and break every later CloudFormation update of the vault; the lock is the immutable part.
- The vault outlives its stack (RETAIN): a vault with recovery points cannot be deleted anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from constructs import Construct

LockMode = Literal["governance", "compliance"]

PROTECTED_ACTIONS: tuple[str, ...] = (
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:DeleteBackupVaultLockConfiguration",
)

# A vault key is used by AWS Backup and, for copies and restores, through the services that own the recovery
# points (EBS snapshots and AMIs, RDS snapshots, S3): the principals of the account may use it only through these.
VAULT_KEY_SERVICES = ("backup", "ec2", "rds", "s3")


def vault_arn(stack: cdk.Stack, *, vault_name: str, region: str) -> str:
    """The ARN of a vault named `vault_name` in `region` of `stack`'s account, built without any reference."""
    return stack.format_arn(
        service="backup",
        region=region,
        resource="backup-vault",
        resource_name=vault_name,
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )


class LockedBackupVault(Construct):
    """Exposes `vault` (the L2 vault), `cfn_vault`, `vault_name`, `vault_arn` and `access_policy`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vault_name: str,
        key: kms.IKey,
        min_retention_days: int,
        max_retention_days: int,
        mode: LockMode = "compliance",
        changeable_for_days: int = 3,
        protected_actions: Sequence[str] = PROTECTED_ACTIONS,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_policy = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="DenyRecoveryPointDeletion",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=list(protected_actions),
                    resources=["*"],
                )
            ]
        )
        self.vault = backup.BackupVault(
            self,
            "Vault",
            backup_vault_name=vault_name,
            encryption_key=key,
            access_policy=self.access_policy,
            lock_configuration=backup.LockConfiguration(
                min_retention=cdk.Duration.days(min_retention_days),
                max_retention=cdk.Duration.days(max_retention_days),
                changeable_for=cdk.Duration.days(changeable_for_days) if mode == "compliance" else None,
            ),
            removal_policy=removal_policy,
        )
        cfn_vault = self.vault.node.default_child
        assert isinstance(cfn_vault, backup.CfnBackupVault)
        self.cfn_vault: backup.CfnBackupVault = cfn_vault
        self.vault_name = vault_name
        self.vault_arn = self.vault.backup_vault_arn

    def notify(self, topic: sns.ITopic, events: Sequence[str]) -> None:
        """Send `events` to `topic`. The caller grants backup.amazonaws.com sns:Publish (scoped to its account)."""
        self.cfn_vault.notifications = backup.CfnBackupVault.NotificationObjectTypeProperty(
            backup_vault_events=list(events), sns_topic_arn=topic.topic_arn
        )
