"""A backup vault under a customer-managed key, with Vault Lock and a policy that refuses deletion (BAK-5, ENC-3).

- ENC-3: every recovery point in the vault is encrypted with the vault's customer-managed key.
- BAK-3 / BAK-5: Vault Lock bounds the retention of every recovery point stored or copied into the vault.
  Compliance mode is immutable once `changeable_for_days` (the grace period) has passed; governance mode has no
  grace period (AWS sets none: `ChangeableForDays` is what makes a lock a compliance lock), so it is omitted.
- BAK-6: the vault access policy denies everyone the deletion of recovery points, the shortening of their
  lifecycle, changing or deleting the lock, and changing or deleting the access policy itself, so under a
  governance lock nobody can first drop the Deny and then delete (Backup Audit Manager's
  BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED requires `backup:PutBackupVaultAccessPolicy` in the Deny).
- How later deploys still change the policy: the Deny exempts exactly one principal, `policy_admin_arn`, the
  CDK bootstrap's CloudFormation execution role (`deployment_role_arn`). Only cloudformation.amazonaws.com can
  assume that role, so the exemption admits a reviewed `cdk deploy` and no console user, access key or other
  role, whatever its IAM policy says. The residual risk is whoever may deploy with that role (cdk deploy rights):
  they could ship a policy without the Deny, which is why deploy rights are the reviewed path, and why prod uses a
  compliance lock, which no policy change weakens. Denying the execution role too would make the policy permanent:
  every later update of the vault (notifications, the policy) would fail and roll back. The audit control is told
  about the exemption (`principalArnList`), so it stays green. Under a compliance lock, recovery points cannot be
  deleted before their retention ends by anyone, the execution role included: the lock, not the policy, is immutable.
- The vault has a fixed name, so it is retained except on a failed first create (`RETAIN_ON_UPDATE_OR_DELETE`):
  a failed create then leaves no vault behind whose name would block the retry; a vault with recovery points
  cannot be deleted anyway.
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
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:PutBackupVaultLockConfiguration",
    "backup:DeleteBackupVaultLockConfiguration",
)


def deployment_role_arn(stack: cdk.Stack) -> str:
    """The CDK bootstrap's CloudFormation execution role for `stack` (assumable only by CloudFormation)."""
    return cdk.Fn.sub(stack.synthesizer.cloud_formation_execution_role_arn)  # type: ignore[attr-defined]


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
        policy_admin_arn: str,
        mode: LockMode = "compliance",
        changeable_for_days: int = 3,
        protected_actions: Sequence[str] = PROTECTED_ACTIONS,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
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
                    conditions={"ArnNotEquals": {"aws:PrincipalArn": policy_admin_arn}},
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
        self.policy_admin_arn = policy_admin_arn

    def notify(self, topic: sns.ITopic, events: Sequence[str]) -> None:
        """Send `events` to `topic`. The caller grants backup.amazonaws.com sns:Publish (scoped to its account)."""
        self.cfn_vault.notifications = backup.CfnBackupVault.NotificationObjectTypeProperty(
            backup_vault_events=list(events), sns_topic_arn=topic.topic_arn
        )
