"""Proof that backups work and stay compliant (BAK-3, BAK-5, BAK-6, ENC-3, CMP-1).

- Notifications: the vault reports finished backup jobs (their state says whether they failed, expired or were
  aborted), failed copy jobs, finished restore jobs (restore tests included) and failed S3 object backups/restores
  to an SNS topic under a customer-managed key, TLS-only, that only AWS Backup of this account may publish to;
  the alert address is subscribed by e-mail.
- BAK-6: a restore testing plan (constructs/restore_tests.py) restores the latest recovery point of each selected
  resource (snapshot or continuous) on a schedule, into the placement it names, keeps it for the validation window,
  then deletes it; the restore job outcome is reported through the notifications above.
- CMP-1: an AWS Backup Audit Manager framework evaluates, through AWS Config, the frequency and retention of the
  plans, encryption and minimum retention of recovery points, manual deletion being blocked, vault lock, cross-region
  copies and that every protected resource is in a plan. AWS Config recording must be on in the account.
  Each control is scoped to what it is about, never to the `environment` tag every resource carries (which would
  also evaluate the access-log buckets no plan selects, red forever): resource controls to the tag that marks what
  the plans protect (`protected_scope_tag`), recovery-point, vault and plan controls to this environment's tag,
  which its recovery points, vaults and plans carry. The plan-retention threshold is the shortest retention of any
  plan in scope (the continuous plan may keep less than the daily tier), so the control reports a real shortfall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_backup as backup
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from config.limits import BACKUP_RESOURCE_CONTROLS
from constructs import Construct
from constructs.alert_topic import AlertTopic, TopicPublisher
from constructs.backup_service_role import BACKUP_SERVICE
from constructs.locked_backup_vault import LockedBackupVault
from constructs.restore_tests import RestoreTests, RestoreTestTarget

# Supported vault events that cover failed backup, copy and restore jobs. BACKUP_JOB_COMPLETED and
# RESTORE_JOB_COMPLETED carry the final state (COMPLETED, FAILED, ABORTED, EXPIRED); AWS Backup has no
# separate "backup failed" or "restore failed" vault event any more.
NOTIFICATION_EVENTS: tuple[str, ...] = (
    "BACKUP_JOB_COMPLETED",
    "COPY_JOB_FAILED",
    "RESTORE_JOB_COMPLETED",
    "S3_BACKUP_OBJECT_FAILED",
    "S3_RESTORE_OBJECT_FAILED",
)


@dataclass(frozen=True)
class ComplianceTargets:
    """What the audit framework checks against (values from the validated config)."""

    min_frequency_days: int
    plan_min_retention_days: int
    recovery_point_min_retention_days: int
    lock_min_retention_days: int
    lock_max_retention_days: int
    copy_regions: Sequence[str]
    protected_scope_tag: tuple[str, str]  # carried by exactly the resources the plans select (RDS, S3, EC2, EBS)
    environment_scope_tag: tuple[str, str]  # carried by this environment's recovery points, vaults and plans
    deletion_exempt_principal_arns: Sequence[str] = ()  # the vault policy's one exemption (the deploy role)
    max_recovery_point_age_days: int = 1


RESOURCE_CONTROLS = BACKUP_RESOURCE_CONTROLS  # evaluated on protected resources: scoped to what plans select


def _scope(tag: tuple[str, str]) -> dict[str, list[dict[str, str]]]:
    key, value = tag
    return {"Tags": [{"Key": key, "Value": value}]}


def _parameters(**values: object) -> list[backup.CfnFramework.ControlInputParameterProperty]:
    return [
        backup.CfnFramework.ControlInputParameterProperty(parameter_name=name, parameter_value=str(value))
        for name, value in values.items()
    ]


class BackupAssurance(Construct):
    """Exposes `topic`, `subscription`, `restore_testing_plan`, `restore_testing_selections` and `framework`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        vault: LockedBackupVault,
        topic_key: kms.IKey,
        alert_email: str,
        restore_role: iam.IRole,
        restore_targets: Sequence[RestoreTestTarget],
        compliance: ComplianceTargets,
        notification_events: Sequence[str] = NOTIFICATION_EVENTS,
        restore_schedule: str = "cron(0 9 ? * WED *)",
        restore_selection_window_days: int = 7,
        restore_validation_window_hours: int = 1,
        extra_publishers: Sequence[TopicPublisher] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        alerts = AlertTopic(
            self,
            "Alerts",
            display_name=f"{name_prefix} backup, copy and restore jobs",
            key=topic_key,
            email=alert_email,
            publishers=[TopicPublisher("AllowAwsBackupOfThisAccount", BACKUP_SERVICE), *extra_publishers],
        )
        self.topic, self.subscription = alerts.topic, alerts.subscription
        vault.notify(self.topic, notification_events)

        self.restore_tests = RestoreTests(
            self,
            "RestoreTests",
            plan_name=f"{name_prefix}_restore_tests",
            vault_arns=[vault.vault_arn],
            restore_role=restore_role,
            targets=restore_targets,
            schedule=restore_schedule,
            selection_window_days=restore_selection_window_days,
            validation_window_hours=restore_validation_window_hours,
        )
        self.restore_testing_plan = self.restore_tests.plan
        self.restore_testing_selections = self.restore_tests.selections

        controls = [
            (
                "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
                _parameters(
                    requiredFrequencyUnit="days",
                    requiredFrequencyValue=compliance.min_frequency_days,
                    requiredRetentionDays=compliance.plan_min_retention_days,
                ),
            ),
            ("BACKUP_RECOVERY_POINT_ENCRYPTED", []),
            (
                "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK",
                _parameters(requiredRetentionDays=compliance.recovery_point_min_retention_days),
            ),
            (
                "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED",
                _parameters(principalArnList=",".join(compliance.deletion_exempt_principal_arns))
                if compliance.deletion_exempt_principal_arns
                else [],
            ),
            (
                "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK",
                _parameters(
                    minRetentionDays=compliance.lock_min_retention_days,
                    maxRetentionDays=compliance.lock_max_retention_days,
                ),
            ),
            (
                "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION",
                _parameters(crossRegionList=",".join(compliance.copy_regions)),
            ),
            ("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN", []),
            (
                "BACKUP_LAST_RECOVERY_POINT_CREATED",
                _parameters(recoveryPointAgeUnit="days", recoveryPointAgeValue=compliance.max_recovery_point_age_days),
            ),
        ]
        self.framework = backup.CfnFramework(
            self,
            "Framework",
            framework_name=f"{name_prefix}_backup_controls",
            framework_description=f"{name_prefix}: tiered, locked, encrypted, cross-region backups (BAK-3, BAK-5)",
            framework_controls=[
                backup.CfnFramework.FrameworkControlProperty(
                    control_name=name,
                    control_input_parameters=parameters or None,
                    control_scope=_scope(
                        compliance.protected_scope_tag
                        if name in RESOURCE_CONTROLS
                        else compliance.environment_scope_tag
                    ),
                )
                for name, parameters in controls
            ],
        )
