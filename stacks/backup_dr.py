"""BackupDrStack: the DR-region vault every backup tier copies into (BAK-5, ENC-3).

It deploys before the backup stack. The vault name is deterministic (`dr_vault_name`), so the backup stack builds
the vault's ARN itself (`dr_vault_arn`) instead of referencing this stack across regions, which CDK cannot do.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from config import EnvironmentConfig
from constructs import Construct
from constructs.locked_backup_vault import VAULT_KEY_SERVICES, LockedBackupVault, vault_arn
from constructs.purpose_keys import PurposeKeys
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
            mode=lock.mode or "compliance",
            min_retention_days=lock.min_retention_days,
            max_retention_days=lock.max_retention_days,
            changeable_for_days=lock.changeable_for_days,
        )
        self.vault_name = self.vault.vault_name
        self.vault_arn = self.vault.vault_arn
