"""A tiered AWS Backup plan whose every tier is copied to a second region (BAK-1, BAK-3, BAK-5), and the
continuous-backup plan for point-in-time restore (BAK-2, BAK-4).

- BAK-3: one plan, one rule per tier (daily, weekly, bi-weekly, monthly by default). The construct refuses a tier
  set that misses a required tier, so a plan can never silently lose one. Retention grows with the tier (the config
  checks it); a tier with `cold_storage_after_days` moves its recovery points to cold storage, and with
  `OptInToArchiveForSupportedResources` AWS Backup does so for every resource type that supports a cold or archive
  tier (EBS, EFS, DynamoDB advanced backups, ...). AWS Backup ignores it for RDS, S3 and EC2 recovery points, which
  stay warm until they expire; since those are all the example plans protect, no tier sets it by default.
- BAK-5: every tier copies each recovery point to the DR vault with the same lifecycle (retention and cold storage),
  so the second region keeps exactly what the first keeps. `tiers_without_copy` checks this on a template.
- BAK-2 / BAK-4: `ContinuousBackupPlan` is a separate plan with one rule that has `EnableContinuousBackup`, so
  the selected database can be restored to any second inside its window (at most 35 days). It is a separate plan
  (not a fifth rule of the tiered plan) so that it selects only the resources meant for it: AWS Backup also runs
  continuous backup for S3, and a resource without continuous support (EC2) would get an extra daily snapshot.
- Schedules are cron expressions in UTC (`ScheduleExpressionTimezone: Etc/UTC`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_backup as backup
from aws_cdk import aws_iam as iam

from constructs import Construct

REQUIRED_TIERS: tuple[str, ...] = ("daily", "weekly", "biweekly", "monthly")
UTC = "Etc/UTC"


def cron(*, minute: int, hour: int, day_of_month: str = "*", day_of_week: str = "?") -> str:
    """An AWS Backup cron expression (minutes hours day-of-month month day-of-week year), evaluated in UTC."""
    if day_of_month != "*" and day_of_week != "?":
        raise ValueError("AWS cron takes a day of the month or a day of the week, not both")
    if day_of_week != "?":
        day_of_month = "?"
    return f"cron({minute} {hour} {day_of_month} * {day_of_week} *)"


@dataclass(frozen=True)
class BackupTierSpec:
    """One tier: when it runs (a cron expression in UTC), how long its recovery points live, when they go cold."""

    name: str
    schedule: str
    retention_days: int
    cold_storage_after_days: int | None = None


class MissingTierError(ValueError):
    """A tier set without every required tier (BAK-3)."""


def _lifecycle(
    tier: BackupTierSpec, *, archive_supported_resources: bool
) -> backup.CfnBackupPlan.LifecycleResourceTypeProperty:
    cold = tier.cold_storage_after_days
    return backup.CfnBackupPlan.LifecycleResourceTypeProperty(
        delete_after_days=tier.retention_days,
        move_to_cold_storage_after_days=cold,
        opt_in_to_archive_for_supported_resources=archive_supported_resources if cold is not None else None,
    )


def tiers_without_copy(template: Mapping[str, Any]) -> list[str]:
    """Names of the snapshot rules in `template` (a template dict) that do not copy to another vault with the
    same lifecycle (BAK-5). Continuous-backup rules are exempt: their snapshot tiers carry the copy.
    """
    missing: list[str] = []
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Backup::BackupPlan":
            continue
        for rule in resource.get("Properties", {}).get("BackupPlan", {}).get("BackupPlanRule", []):
            if rule.get("EnableContinuousBackup"):
                continue
            lifecycle = rule.get("Lifecycle", {})
            copies = [
                copy
                for copy in rule.get("CopyActions", [])
                if copy.get("DestinationBackupVaultArn") and copy.get("Lifecycle", {}) == lifecycle
            ]
            if not lifecycle or not copies:
                missing.append(rule.get("RuleName", "?"))
    return missing


def backup_selection(
    scope: Construct,
    construct_id: str,
    *,
    plan: backup.CfnBackupPlan,
    selection_name: str,
    role: iam.IRole,
    resources: Sequence[str] = ("*",),
    tags: Mapping[str, str] | None = None,
) -> backup.CfnBackupSelection:
    """Assign `resources` (ARNs, or "*") to `plan`; with `tags`, only those that carry ALL the tags (AND logic:
    the `Conditions` block, not `ListOfTags`, which would OR them).
    """
    conditions = None
    if tags:
        conditions = {
            "StringEquals": [
                {"ConditionKey": f"aws:ResourceTag/{key}", "ConditionValue": value} for key, value in tags.items()
            ]
        }
    return backup.CfnBackupSelection(
        scope,
        construct_id,
        backup_plan_id=plan.attr_backup_plan_id,
        backup_selection=backup.CfnBackupSelection.BackupSelectionResourceTypeProperty(
            iam_role_arn=role.role_arn,
            selection_name=selection_name,
            resources=list(resources),
            conditions=conditions,
        ),
    )


class TieredBackupPlan(Construct):
    """Exposes `plan` (the CfnBackupPlan), `plan_id`, `plan_arn`, `tiers` and `rules` (one per tier)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        plan_name: str,
        vault: backup.IBackupVault,
        copy_vault_arn: str,
        tiers: Iterable[BackupTierSpec],
        start_window_minutes: int = 60,
        completion_window_minutes: int = 720,
        required_tiers: Sequence[str] = REQUIRED_TIERS,
        recovery_point_tags: Mapping[str, str] | None = None,
        archive_supported_resources: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.tiers = list(tiers)
        names = [tier.name for tier in self.tiers]
        missing = [name for name in required_tiers if name not in names]
        if missing or len(set(names)) != len(names):
            raise MissingTierError(
                f"{plan_name}: the plan needs exactly one rule per tier {', '.join(required_tiers)} (BAK-3); "
                f"missing {', '.join(missing) or 'none'}, given {', '.join(names) or 'none'}"
            )
        self.rules: list[backup.CfnBackupPlan.BackupRuleResourceTypeProperty] = []
        for tier in self.tiers:
            lifecycle = _lifecycle(tier, archive_supported_resources=archive_supported_resources)
            self.rules.append(
                backup.CfnBackupPlan.BackupRuleResourceTypeProperty(
                    rule_name=tier.name,
                    target_backup_vault=vault.backup_vault_name,
                    schedule_expression=tier.schedule,
                    schedule_expression_timezone=UTC,
                    start_window_minutes=start_window_minutes,
                    completion_window_minutes=completion_window_minutes,
                    lifecycle=lifecycle,
                    copy_actions=[
                        backup.CfnBackupPlan.CopyActionResourceTypeProperty(
                            destination_backup_vault_arn=copy_vault_arn, lifecycle=lifecycle
                        )
                    ],
                    recovery_point_tags={**(recovery_point_tags or {}), "backup-tier": tier.name},
                )
            )
        self.plan = backup.CfnBackupPlan(
            self,
            "Plan",
            backup_plan=backup.CfnBackupPlan.BackupPlanResourceTypeProperty(
                backup_plan_name=plan_name, backup_plan_rule=self.rules
            ),
        )
        self.plan_id = self.plan.attr_backup_plan_id
        self.plan_arn = self.plan.attr_backup_plan_arn


class ContinuousBackupPlan(Construct):
    """A plan with one continuous-backup rule (point-in-time restore, one-second precision). Exposes `plan`,
    `plan_id` and `rule`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        plan_name: str,
        vault: backup.IBackupVault,
        retention_days: int = 35,
        schedule: str = "cron(0 5 * * ? *)",
        start_window_minutes: int = 60,
        completion_window_minutes: int = 720,
        recovery_point_tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rule = backup.CfnBackupPlan.BackupRuleResourceTypeProperty(
            rule_name="continuous",
            target_backup_vault=vault.backup_vault_name,
            enable_continuous_backup=True,
            schedule_expression=schedule,
            schedule_expression_timezone=UTC,
            start_window_minutes=start_window_minutes,
            completion_window_minutes=completion_window_minutes,
            lifecycle=backup.CfnBackupPlan.LifecycleResourceTypeProperty(delete_after_days=retention_days),
            recovery_point_tags={**(recovery_point_tags or {}), "backup-tier": "continuous"},
        )
        self.plan = backup.CfnBackupPlan(
            self,
            "Plan",
            backup_plan=backup.CfnBackupPlan.BackupPlanResourceTypeProperty(
                backup_plan_name=plan_name, backup_plan_rule=[self.rule]
            ),
        )
        self.plan_id = self.plan.attr_backup_plan_id
