"""BackupDrStack: the DR-region vault every backup tier copies into, and restore tests of those copies (BAK-5, BAK-6).

BAK-6: a restore testing plan in the DR region restores the latest copy of the data bucket from the DR vault every
week: that proves the copies are complete and that the DR vault and its key work in the region they would be needed
in. It tests the S3 copies only: restoring the database or the bastion needs a network to land in (a DB subnet group,
a subnet and security group, `constructs/restore_tests.py`), and the DR region holds data, not a network; an
inferred placement would fall back to a default VPC, which the gate refuses. The first restore of those copies is a
documented recovery step (docs/backups.md) after the network stack is deployed in the DR region.

It deploys before the backup stack. The vault name is deterministic (`dr_vault_name`), so the backup stack builds
the vault's ARN itself (`dr_vault_arn`) instead of referencing this stack across regions, which CDK cannot do.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from config import EnvironmentConfig
from constructs import Construct
from constructs.backup_service_role import backup_service_role
from constructs.locked_backup_vault import VAULT_KEY_SERVICES, LockedBackupVault, deployment_role_arn, vault_arn
from constructs.purpose_keys import PurposeKeys
from constructs.restore_tests import RestoreTests, RestoreTestTarget
from stacks.environment_stack import EnvironmentStack

PURPOSE = "backup-dr"


def dr_vault_name(env_config: EnvironmentConfig) -> str:
    return f"{env_config.name}-dr"


def dr_vault_arn(stack: cdk.Stack, env_config: EnvironmentConfig) -> str:
    """The DR vault's ARN in `stack`'s account, for a stack in any region (no cross-region reference)."""
    return vault_arn(stack, vault_name=dr_vault_name(env_config), region=env_config.dr_region)


class BackupDrStack(EnvironmentStack):
    """Exposes `vault` (a LockedBackupVault), `vault_name`, `vault_arn` and `keys`."""

    def __init__(self, scope: Construct, *, env_config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            PURPOSE,
            env_config=env_config,
            region=env_config.dr_region,
            description="DR-region backup vault, locked and KMS-encrypted (BAK-5, ENC-3)",
            **kwargs,
        )
        lock = env_config.backup.vault_lock
        self.keys = PurposeKeys(
            self,
            "Keys",
            alias_prefix=f"{env_config.name}/{PURPOSE}",
            purposes={"vault": list(VAULT_KEY_SERVICES)},
        ).keys
        self.vault = LockedBackupVault(
            self,
            "Vault",
            vault_name=dr_vault_name(env_config),
            key=self.keys["vault"],
            policy_admin_arn=deployment_role_arn(self),
            mode=lock.mode or "compliance",
            min_retention_days=lock.min_retention_days,
            max_retention_days=lock.max_retention_days,
            changeable_for_days=lock.changeable_for_days,
        )
        self.vault_name = self.vault.vault_name
        self.vault_arn = self.vault.vault_arn
        self.restore_role = backup_service_role(
            self, "RestoreTestRole", description="AWS Backup restore tests of the DR copies (BAK-5, BAK-6)"
        )
        self.restore_tests = RestoreTests(
            self,
            "RestoreTests",
            plan_name=f"{env_config.name.replace('-', '_')}_dr_restore_tests",
            vault_arns=[self.vault_arn],
            restore_role=self.restore_role,
            # Every S3 copy in the DR vault is this environment's data bucket: the vault holds nothing else.
            targets=[RestoreTestTarget("data_bucket_copy", "S3")],
            recovery_point_types=["SNAPSHOT"],  # copies are snapshots; continuous backups are not copied
        )
