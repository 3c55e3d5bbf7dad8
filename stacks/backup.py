"""BackupStack: the environment's tiered, locked, cross-region AWS Backup setup (BAK-1..6, ENC-3).

It takes the database and bucket as plain ARNs, so it does not depend on how the data stack is built. The
bastion is selected by its backup and environment tags, never by ARN: revoking an operator key replaces the
bastion, and an import of its instance id would block that deploy (CloudFormation keeps an export in use).
It names the DR vault by its deterministic ARN (see stacks/backup_dr.py); the app makes it depend on
the DR stack so the vault exists before the first copy job.
"""

from __future__ import annotations

from typing import Any

from config import EnvironmentConfig
from config.limits import BACKUP_TAG_KEY, BACKUP_TAG_VALUE, ENVIRONMENT_TAG
from config.model import BackupSettings
from constructs import Construct
from constructs.alert_topic import TopicPublisher
from constructs.backup_assurance import BackupAssurance, ComplianceTargets
from constructs.backup_service_role import backup_service_role
from constructs.database_event_alerts import DatabaseEventAlerts, rds_event_publisher
from constructs.encrypted_bucket import REPLICATION_RULE_ID
from constructs.locked_backup_vault import VAULT_KEY_SERVICES, LockedBackupVault, deployment_role_arn
from constructs.purpose_keys import PurposeKeys
from constructs.replication_alarm import CLOUDWATCH_SERVICE, ReplicationFailureAlarm
from constructs.restore_tests import RestorePlacement, RestoreTestTarget
from constructs.tiered_backup_plan import (
    BackupTierSpec,
    ContinuousBackupPlan,
    TieredBackupPlan,
    backup_selection,
    cron,
)
from stacks.backup_dr import dr_vault_arn
from stacks.environment_stack import EnvironmentStack

PURPOSE = "backup"


def tiers_from_settings(settings: BackupSettings) -> list[BackupTierSpec]:
    """The four tiers of BAK-3 as cron schedules in UTC, all starting at `start_time_utc`.

    - daily: every day.
    - weekly: every `weekly.weekday`.
    - bi-weekly: AWS Backup has no "every 14 days" schedule (cron only), so this tier runs on the fixed
      `biweekly.days_of_month` of EVERY month. With the default [1, 15]: on the 1st and the 15th, i.e. 14 days from
      the 1st to the 15th, then 14 to 17 days from the 15th to the next 1st (28- to 31-day months). The longest gap
      is 17 days; the config (`BiweeklyTier`) refuses day sets whose longest gap in a 31-day month exceeds 17 days.
    - monthly: on `monthly.day_of_month` (1-28, so it exists in every month).

    A tier's `cold_storage_after_days` (none by default) moves recovery points to cold storage only for resource
    types that have one (EBS with the archive opt-in, EFS, DynamoDB advanced backups); AWS Backup ignores it for
    RDS, S3 and EC2 recovery points, which stay warm until they expire.

    Tiers that fall on the same day start in the same window.
    """
    hour, minute = (int(part) for part in settings.start_time_utc.split(":"))
    daily, weekly, biweekly, monthly = settings.daily, settings.weekly, settings.biweekly, settings.monthly
    return [
        BackupTierSpec("daily", cron(minute=minute, hour=hour), daily.retention_days, daily.cold_storage_after_days),
        BackupTierSpec(
            "weekly",
            cron(minute=minute, hour=hour, day_of_week=weekly.weekday),
            weekly.retention_days,
            weekly.cold_storage_after_days,
        ),
        BackupTierSpec(
            "biweekly",
            cron(minute=minute, hour=hour, day_of_month=",".join(map(str, biweekly.days_of_month))),
            biweekly.retention_days,
            biweekly.cold_storage_after_days,
        ),
        BackupTierSpec(
            "monthly",
            cron(minute=minute, hour=hour, day_of_month=str(monthly.day_of_month)),
            monthly.retention_days,
            monthly.cold_storage_after_days,
        ),
    ]


def shortest_plan_retention(settings: BackupSettings) -> int:
    """The shortest retention any rule of the environment's plans keeps (the daily tier or continuous backup)."""
    return min(settings.daily.retention_days, settings.continuous_retention_days)


class BackupStack(EnvironmentStack):
    def __init__(
        self,
        scope: Construct,
        *,
        env_config: EnvironmentConfig,
        database_arn: str,
        bucket_arn: str,
        bucket_name: str,
        replica_bucket_name: str,
        restore_placement: RestorePlacement,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            PURPOSE,
            env_config=env_config,
            description="Tiered AWS Backup plan, locked vault, DR copies, restore tests, audit framework",
            **kwargs,
        )
        settings = env_config.backup
        lock = settings.vault_lock
        name = env_config.name
        self.keys = PurposeKeys(
            self,
            "Keys",
            alias_prefix=f"{name}/{PURPOSE}",
            # AWS Backup is admitted to the notifications key by the alert topic, bound to that topic by encryption
            # context (constructs/alert_topic.py), not by aws:SourceAccount (ENC-3).
            purposes={"vault": list(VAULT_KEY_SERVICES), "notifications": ["sns"]},
        ).keys
        self.vault = LockedBackupVault(
            self,
            "Vault",
            vault_name=f"{name}-primary",
            key=self.keys["vault"],
            policy_admin_arn=deployment_role_arn(self),
            mode=lock.mode or "compliance",
            min_retention_days=lock.min_retention_days,
            max_retention_days=lock.max_retention_days,
            changeable_for_days=lock.changeable_for_days,
        )
        self.dr_vault_arn = dr_vault_arn(self, env_config)
        self.service_role = backup_service_role(
            self,
            "ServiceRole",
            description="AWS Backup jobs of this environment: backup, copy, restore, restore tests (BAK-1..6)",
        )
        recovery_point_tags = {ENVIRONMENT_TAG: name}
        backed_up_here = {BACKUP_TAG_KEY: BACKUP_TAG_VALUE, ENVIRONMENT_TAG: name}

        self.plan = TieredBackupPlan(
            self,
            "TieredPlan",
            plan_name=f"{name}-tiered",
            vault=self.vault.vault,
            copy_vault_arn=self.dr_vault_arn,
            tiers=tiers_from_settings(settings),
            start_window_minutes=settings.start_window_minutes,
            completion_window_minutes=settings.completion_window_minutes,
            recovery_point_tags=recovery_point_tags,
        )
        self.named_selection = backup_selection(
            self,
            "NamedResources",
            plan=self.plan.plan,
            selection_name=f"{name}-database-bucket",
            role=self.service_role,
            resources=[database_arn, bucket_arn],
        )
        self.tagged_selection = backup_selection(
            self,
            "TaggedResources",
            plan=self.plan.plan,
            selection_name=f"{name}-tagged",
            role=self.service_role,
            tags=backed_up_here,  # the bastion (BAK-1, AMI backups) and anything else tagged in this environment
        )

        hour, minute = (int(part) for part in settings.start_time_utc.split(":"))
        self.continuous_plan = ContinuousBackupPlan(
            self,
            "ContinuousPlan",
            plan_name=f"{name}-continuous",
            vault=self.vault.vault,
            retention_days=settings.continuous_retention_days,
            schedule=cron(minute=minute, hour=hour),
            start_window_minutes=settings.start_window_minutes,
            completion_window_minutes=settings.completion_window_minutes,
            recovery_point_tags=recovery_point_tags,
        )
        self.continuous_selection = backup_selection(
            self,
            "ContinuousDatabase",
            plan=self.continuous_plan.plan,
            selection_name=f"{name}-database-pitr",
            role=self.service_role,
            resources=[database_arn],
        )

        self.assurance = BackupAssurance(
            self,
            "Assurance",
            name_prefix=name.replace("-", "_"),
            vault=self.vault,
            topic_key=self.keys["notifications"],
            alert_email=str(env_config.alert_email),
            extra_publishers=[
                TopicPublisher(
                    "AllowCloudWatchAlarmsOfThisAccount",
                    CLOUDWATCH_SERVICE,
                    {
                        "ArnLike": {
                            "aws:SourceArn": f"arn:{self.partition}:cloudwatch:{self.region}:{self.account}:alarm:*"
                        }
                    },
                ),
                rds_event_publisher(self),
            ],
            restore_role=self.service_role,
            # BAK-6 / NET-1: restores land where the originals live: the database in the data tier's subnet group
            # behind the database security group, the bastion in its subnet behind its group.
            restore_targets=[
                RestoreTestTarget(
                    "database", "RDS", database_arn, metadata_overrides=restore_placement.for_type("RDS")
                ),
                RestoreTestTarget(
                    "bastion",
                    "EC2",
                    resource_tags=backed_up_here,
                    metadata_overrides=restore_placement.for_type("EC2"),
                ),
            ],
            compliance=ComplianceTargets(
                min_frequency_days=1,
                # Both plans are in scope: the threshold is the shorter of the daily tier and continuous backup.
                plan_min_retention_days=shortest_plan_retention(settings),
                recovery_point_min_retention_days=shortest_plan_retention(settings),
                lock_min_retention_days=lock.min_retention_days,
                lock_max_retention_days=lock.max_retention_days,
                copy_regions=[env_config.dr_region],
                protected_scope_tag=(BACKUP_TAG_KEY, BACKUP_TAG_VALUE),
                environment_scope_tag=(ENVIRONMENT_TAG, name),
                deletion_exempt_principal_arns=[self.vault.policy_admin_arn],
            ),
        )
        self.replication_alarm = ReplicationFailureAlarm(
            self,
            "ReplicationFailures",
            source_bucket_name=bucket_name,
            destination_bucket_name=replica_bucket_name,
            rule_id=REPLICATION_RULE_ID,
            topic=self.assurance.topic,
        )
        # ACC-4 / HA-1: the database's critical events and parameter/security group changes reach the same topic.
        self.database_events = DatabaseEventAlerts(
            self, "DatabaseEvents", instance_identifier=f"{name}-postgres", topic_arn=self.assurance.topic.topic_arn
        )
        # RDS checks at creation that it may publish: the topic policy first.
        if (topic_policy := self.assurance.topic.node.try_find_child("Policy")) is not None:
            self.database_events.node.add_dependency(topic_policy)
