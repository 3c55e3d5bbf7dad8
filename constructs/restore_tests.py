"""Scheduled restore tests of the recovery points in one or more vaults (BAK-6, BAK-4).

AWS Backup restores the latest recovery point of each selected resource on a schedule, keeps the restored copy for
the validation window, then deletes it; the job outcome reaches the vault's notifications.

Placement: without `RestoreMetadataOverrides`, AWS Backup infers where to restore, which is the account's default
VPC: it fails where there is none and, where there is one, puts a copy of restricted data outside the isolated data
tier. So every test of a resource type that lands in a network names its placement (`PLACEMENT_KEYS`, from the AWS
Backup Developer Guide, "Restore testing inferred metadata", overridable keys), and `placement_overrides` builds the
values in the form AWS Backup reads (security group lists as JSON arrays). The deploy-readiness gate refuses a
restore test of such a type without them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_iam as iam

from config.limits import RESTORE_PLACEMENT_KEYS
from constructs import Construct
from policies.create_only_names import content_digest

PLACEMENT_KEYS = RESTORE_PLACEMENT_KEYS


@dataclass(frozen=True)
class RestorePlacement:
    """Where restore tests land: the database in the data tier, an instance in the bastion's subnet (BAK-6, NET-1)."""

    database_subnet_group_name: str
    database_security_group_id: str
    instance_subnet_id: str
    instance_security_group_id: str

    def for_type(self, resource_type: str) -> dict[str, str]:
        if resource_type == "EC2":
            return {
                "subnetId": self.instance_subnet_id,
                "securityGroupIds": json_list(self.instance_security_group_id),
            }
        if PLACEMENT_KEYS.get(resource_type) == PLACEMENT_KEYS["RDS"]:
            return {
                "dbSubnetGroupName": self.database_subnet_group_name,
                "vpcSecurityGroupIds": json_list(self.database_security_group_id),
            }
        return {}


def json_list(*values: str) -> str:
    """`["a","b"]` built with Fn::Join, so tokens (security group ids) resolve at deploy time."""
    return cdk.Fn.join("", ['["', cdk.Fn.join('","', list(values)), '"]'])


@dataclass(frozen=True)
class RestoreTestTarget:
    """A resource whose recovery points are restored on schedule; `name` is alphanumeric or underscores."""

    name: str
    resource_type: str  # AWS Backup's protected resource type, e.g. "RDS", "EC2", "S3"
    resource_arn: str | None = None  # one resource by ARN, or
    resource_tags: Mapping[str, str] | None = None  # every resource of the type carrying all these tags
    metadata_overrides: Mapping[str, str] | None = None  # placement (PLACEMENT_KEYS) and any other override


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


class RestoreTests(Construct):
    """Exposes `plan` (the CfnRestoreTestingPlan) and `selections`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        plan_name: str,
        vault_arns: Sequence[str],
        restore_role: iam.IRole,
        targets: Sequence[RestoreTestTarget],
        schedule: str = "cron(0 9 ? * WED *)",
        recovery_point_types: Sequence[str] = ("SNAPSHOT", "CONTINUOUS"),
        selection_window_days: int = 7,
        validation_window_hours: int = 1,
    ) -> None:
        super().__init__(scope, construct_id)
        self.plan = backup.CfnRestoreTestingPlan(
            self,
            "Plan",
            restore_testing_plan_name=plan_name,
            schedule_expression=schedule,
            schedule_expression_timezone="Etc/UTC",
            start_window_hours=24,
            recovery_point_selection=backup.CfnRestoreTestingPlan.RestoreTestingRecoveryPointSelectionProperty(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=list(vault_arns),
                recovery_point_types=list(recovery_point_types),
                selection_window_days=selection_window_days,
            ),
        )
        self.selections: list[backup.CfnRestoreTestingSelection] = []
        for target in targets:
            selection = backup.CfnRestoreTestingSelection(
                self,
                f"Restore{target.name.title().replace('_', '')}",
                restore_testing_plan_name=self.plan.restore_testing_plan_name,
                # ACC-2 rule: the type is create-only, so the fixed name carries its digest and a change deploys.
                restore_testing_selection_name=(
                    f"{target.name}_{content_digest({'ProtectedResourceType': target.resource_type})}"
                ),
                protected_resource_type=target.resource_type,
                protected_resource_arns=[target.resource_arn or "*"],
                protected_resource_conditions=_tag_conditions(target.resource_tags),
                iam_role_arn=restore_role.role_arn,
                validation_window_hours=validation_window_hours,
                restore_metadata_overrides=dict(target.metadata_overrides) if target.metadata_overrides else None,
            )
            selection.add_resource_dependency(self.plan)
            self.selections.append(selection)
