"""The stacks of one environment and of one account baseline, wired by typed references (ACC-1).

The app (app.py) adds them standalone; a cell pipeline (stacks/cells.py) adds the same ones inside its stages, built
by this same code, so both synthesize byte-identical templates (the StageTwins gate).
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from config import AccountSettings, EnvironmentConfig
from constructs import Construct
from constructs.restore_tests import RestorePlacement
from stacks.backup import BackupStack
from stacks.backup_dr import BackupDrStack
from stacks.baseline import BaselineStack
from stacks.baseline_dr import BaselineDrStack
from stacks.bastion import BastionStack
from stacks.data import DataStack
from stacks.data_dr import DataDrStack
from stacks.edge import EdgeStack
from stacks.network import NetworkStack


@dataclass(frozen=True)
class EnvironmentStacks:
    network: NetworkStack
    bastion: BastionStack
    data_dr: DataDrStack
    data: DataStack
    backup_dr: BackupDrStack
    backup: BackupStack
    edge: EdgeStack | None = None

    def all(self) -> list[cdk.Stack]:
        stacks: list[cdk.Stack] = [self.network, self.bastion, self.data_dr, self.data, self.backup_dr, self.backup]
        return [*stacks, self.edge] if self.edge is not None else stacks


@dataclass(frozen=True)
class AccountBaseline:
    """An account's security baseline: the home-region and the DR-region stack."""

    home: BaselineStack
    dr: BaselineDrStack

    def depended_on_by(self, stacks: EnvironmentStacks) -> None:
        """Every tenant stack deploys after its region's baseline (the DR baseline after the home one): the
        bastion's CloudTrail and GuardDuty rules need the trail and the detector (ACC-2, ACC-4, NET-5)."""
        for stack in stacks.all():
            baseline = self.dr if stack.region == self.dr.region else self.home
            stack.add_stack_dependency(baseline, "the account baseline (trail, detector, RDSOSMetrics) comes first")


def add_baseline(scope: Construct, settings: AccountSettings, environment_names: list[str]) -> AccountBaseline:
    """The security baseline of one account (ACC-4, ACC-5, NET-4..6, CMP-1), shared by its environments."""
    home = BaselineStack(scope, settings=settings, environment_names=environment_names)
    return AccountBaseline(home=home, dr=BaselineDrStack(scope, settings=settings, home=home))


def add_environment(scope: Construct, env_config: EnvironmentConfig) -> EnvironmentStacks:
    """The stacks of one isolated environment (ACC-1), wired by typed references, never by lookups.

    `scope` is the App (standalone, `cdk deploy`) or a `cdk.Stage` of a cell pipeline: the stacks keep their names
    and templates in both (tests/test_pipeline_stages.py)."""
    network = NetworkStack(scope, env_config=env_config)
    bastion = BastionStack(scope, env_config=env_config, network=network)
    data_dr = DataDrStack(scope, env_config=env_config)
    data = DataStack(scope, env_config=env_config, network=network, data_dr=data_dr)
    backup_dr = BackupDrStack(scope, env_config=env_config)
    backup = BackupStack(
        scope,
        env_config=env_config,
        database_arn=data.database.instance.instance_arn,
        bucket_arn=data.data_bucket.bucket.bucket_arn,
        bucket_name=data.data_bucket.bucket.bucket_name,
        replica_bucket_name=data_dr.replica_target().bucket_name,
        # BAK-6: restore tests land where the originals live (the bastion's placement as the bastion stack uses it).
        restore_placement=RestorePlacement(
            database_subnet_group_name=data.database.subnet_group.subnet_group_name,
            database_security_group_id=network.security_groups.database.security_group_id,
            instance_subnet_id=network.network.public_subnets[0].subnet_id,
            instance_security_group_id=network.security_groups.bastion.security_group_id,
        ),
    )
    backup.add_stack_dependency(bastion, "the bastion is selected by tag: it must exist for its first backup")
    backup.add_stack_dependency(backup_dr, "the DR vault must exist before the first copy job (BAK-5)")
    edge = (
        EdgeStack(scope, env_config=env_config, settings=env_config.edge, network=network) if env_config.edge else None
    )
    return EnvironmentStacks(
        network=network, bastion=bastion, data_dr=data_dr, data=data, backup_dr=backup_dr, backup=backup, edge=edge
    )
