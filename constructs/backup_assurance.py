"""Proof that backups work and stay compliant (BAK-3, BAK-5, BAK-6, ENC-3, CMP-1).

- Notifications: the vault reports finished backup jobs (their state says whether they failed, expired or were
  aborted), failed copy jobs, finished restore jobs (restore tests included) and failed S3 object backups/restores
  to an SNS topic under a customer-managed key, TLS-only, that only AWS Backup of this account may publish to;
  the alert address is subscribed by e-mail.
- BAK-6: a restore testing plan restores the latest recovery point of each selected resource (snapshot or
  continuous) on a schedule, keeps it for the validation window, then deletes it; the restore job outcome is
  reported through the notifications above.
- CMP-1: an AWS Backup Audit Manager framework evaluates, through AWS Config, the frequency and retention of the
  plan, encryption and minimum retention of recovery points, manual deletion being blocked, vault lock, cross-region
  copies and that every resource of the environment is in a plan. AWS Config recording must be on in the account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import aws_backup as backup
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs import Construct
from constructs.alert_topic import AlertTopic, TopicPublisher
from constructs.locked_backup_vault import LockedBackupVault
from policies.create_only_names import content_digest

BACKUP_SERVICE = "backup.amazonaws.com"

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
class RestoreTestTarget:
    """A resource whose recovery points are restored on schedule; `name` is alphanumeric or underscores."""

    name: str
    resource_type: str  # AWS Backup's protected resource type, e.g. "RDS", "EC2", "S3"
    resource_arn: str | None = None  # one resource by ARN, or
    resource_tags: Mapping[str, str] | None = None  # every resource of the type carrying all these tags
    metadata_overrides: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ComplianceTargets:
    """What the audit framework checks against (values from the validated config)."""

    min_frequency_days: int
    plan_min_retention_days: int
    recovery_point_min_retention_days: int
    lock_min_retention_days: int
    lock_max_retention_days: int
    copy_regions: Sequence[str]
    scope_tag: tuple[str, str]
    max_recovery_point_age_days: int = 1


def _tag_conditions(
    tags: Mapping[str, str] | None,
) -> backup.CfnRestoreTestingSelection.ProtectedResourceConditionsProperty | None:
    if not tags:
        return None
    return backup.CfnRestoreTestingSelection.ProtectedResourceConditionsProperty(
        string_equals=[
            backup.CfnRestoreTestingSelection.KeyValueProperty(key=f"aws:ResourceTag/{key}", value=value)
            for key, value in tags.items()
        ]
    )


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
    ) -> None:
        super().__init__(scope, construct_id)
        alerts = AlertTopic(
            self,
            "Alerts",
            display_name=f"{name_prefix} backup, copy and restore jobs",
            key=topic_key,
            email=alert_email,
            publishers=[TopicPublisher("AllowAwsBackupOfThisAccount", BACKUP_SERVICE)],
        )
        self.topic, self.subscription = alerts.topic, alerts.subscription
        vault.notify(self.topic, notification_events)

        self.restore_testing_plan = backup.CfnRestoreTestingPlan(
            self,
            "RestoreTestingPlan",
            restore_testing_plan_name=f"{name_prefix}_restore_tests",
            schedule_expression=restore_schedule,
            schedule_expression_timezone="Etc/UTC",
            start_window_hours=24,
            recovery_point_selection=backup.CfnRestoreTestingPlan.RestoreTestingRecoveryPointSelectionProperty(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[vault.vault_arn],
                recovery_point_types=["SNAPSHOT", "CONTINUOUS"],
                selection_window_days=restore_selection_window_days,
            ),
        )
        self.restore_testing_selections: list[backup.CfnRestoreTestingSelection] = []
        for target in restore_targets:
            selection = backup.CfnRestoreTestingSelection(
                self,
                f"Restore{target.name.title().replace('_', '')}",
                restore_testing_plan_name=self.restore_testing_plan.restore_testing_plan_name,
                # ACC-2 rule: the type is create-only, so the fixed name carries its digest and a change deploys.
                restore_testing_selection_name=(
                    f"{target.name}_{content_digest({'ProtectedResourceType': target.resource_type})}"
                ),
                protected_resource_type=target.resource_type,
                protected_resource_arns=[target.resource_arn or "*"],
                protected_resource_conditions=_tag_conditions(target.resource_tags),
                iam_role_arn=restore_role.role_arn,
                validation_window_hours=restore_validation_window_hours,
                restore_metadata_overrides=dict(target.metadata_overrides) if target.metadata_overrides else None,
            )
            selection.add_resource_dependency(self.restore_testing_plan)
            self.restore_testing_selections.append(selection)

        scope_key, scope_value = compliance.scope_tag
        control_scope = {"Tags": [{"Key": scope_key, "Value": scope_value}]}
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
            ("BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED", []),
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
                    control_scope=control_scope,
                )
                for name, parameters in controls
            ],
        )
