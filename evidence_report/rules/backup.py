"""Evidence rules for backup and recovery (BAK-1..6), read from the backup, data and bastion templates."""

from __future__ import annotations

import itertools
import re
from typing import Any

from config.limits import (
    BACKUP_TAG_KEY,
    BACKUP_TAG_VALUE,
    BIWEEKLY_MAX_GAP_DAYS,
    BIWEEKLY_MIN_RUNS_PER_MONTH,
    ENVIRONMENT_TAG,
    LONGEST_MONTH_DAYS,
    RDS_BACKUP_RETENTION_MIN,
)
from evidence_report.assembly import Resource
from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.registry import evidence_rule
from evidence_report.rules.reading import text_of

PLAN = "AWS::Backup::BackupPlan"
SELECTION = "AWS::Backup::BackupSelection"
DB = "AWS::RDS::DBInstance"
RESTORE_PLAN = "AWS::Backup::RestoreTestingPlan"
RESTORE_SELECTION = "AWS::Backup::RestoreTestingSelection"
_CRON = re.compile(r"^cron\((?P<min>\S+) (?P<hour>\S+) (?P<dom>\S+) (?P<month>\S+) (?P<dow>\S+) (?P<year>\S+)\)$")


def plan_rules(plan: Resource) -> list[dict[str, Any]]:
    rules = plan.get("BackupPlan.BackupPlanRule", [])
    return [rule for rule in rules if isinstance(rule, dict)]


def tier_of(schedule: str) -> str | None:
    """Classify an AWS Backup cron schedule: daily, weekly, bi-weekly (fixed days, gap <= 17) or monthly."""
    match = _CRON.match(schedule)
    if not match or match["month"] != "*" or match["year"] != "*":
        return None
    dom, dow = match["dom"], match["dow"]
    if dom in ("*", "?") and dow in ("*", "?"):
        return "daily"
    if dom == "?" and re.fullmatch(r"[A-Z]{3}|[1-7]", dow):
        return "weekly"
    if dow == "?" and re.fullmatch(r"\d{1,2}(,\d{1,2})*", dom):
        days = sorted({int(day) for day in dom.split(",")})
        if len(days) == 1:
            return "monthly"
        gaps = [b - a for a, b in itertools.pairwise(days)] + [LONGEST_MONTH_DAYS - days[-1] + days[0]]
        if len(days) >= BIWEEKLY_MIN_RUNS_PER_MONTH and max(gaps) <= BIWEEKLY_MAX_GAP_DAYS:
            return "bi-weekly"
    return None


TIERS = ("daily", "weekly", "bi-weekly", "monthly")


@evidence_rule("BAK-3", looks_for=(PLAN,))
def bak3_four_tiers_with_growing_retention(env: EnvironmentView, out: Evidence) -> None:
    """One backup plan runs daily, weekly, bi-weekly and monthly rules whose retention grows with the tier."""
    best: list[str] = []
    for plan in env.resources(PLAN):
        found: dict[str, tuple[int, dict[str, Any]]] = {}
        for index, rule in enumerate(plan_rules(plan)):
            tier = tier_of(str(rule.get("ScheduleExpression", "")))
            if tier and not rule.get("EnableContinuousBackup"):
                found.setdefault(tier, (index, rule))
        if not found:
            continue
        missing = [tier for tier in TIERS if tier not in found]
        if missing:
            best.append(f"plan {plan.logical_id} has no {', '.join(missing)} rule")
            continue
        retentions = [found[tier][1].get("Lifecycle", {}).get("DeleteAfterDays") for tier in TIERS]
        if not all(isinstance(days, int) for days in retentions) or retentions != sorted(set(retentions)):
            best.append(f"plan {plan.logical_id}: retention does not grow with the tier ({retentions})")
            continue
        for tier in TIERS:
            index, rule = found[tier]
            path = f"BackupPlan.BackupPlanRule[{index}]"
            out.row(
                plan,
                f"{path}.ScheduleExpression / Lifecycle.DeleteAfterDays",
                f"{rule.get('RuleName')}: {rule.get('ScheduleExpression')}, "
                f"kept {rule['Lifecycle']['DeleteAfterDays']} days",
                f"the {tier} tier; retention grows with the tier",
            )
        return
    for text in best or ["no backup plan with daily, weekly, bi-weekly and monthly rules"]:
        out.problem(text)


def _selected_arns(env: EnvironmentView, plan: Resource) -> list[tuple[Resource, Any]]:
    out: list[tuple[Resource, Any]] = []
    for selection in env.resources(SELECTION):
        if env.refers_to(selection, selection.get("BackupPlanId"), plan):
            out.extend((selection, arn) for arn in selection.get("BackupSelection.Resources", []))
    return out


def _tag_conditions(selection: Resource) -> dict[str, str]:
    conditions = selection.get("BackupSelection.Conditions.StringEquals", [])
    return {
        str(c.get("ConditionKey", "")).removeprefix("aws:ResourceTag/"): str(c.get("ConditionValue"))
        for c in conditions
        if isinstance(c, dict)
    }


@evidence_rule("BAK-1", looks_for=("AWS::EC2::Instance",))
def bak1_instances_selected_for_image_backups(env: EnvironmentView, out: Evidence) -> None:
    """Every EC2 instance carries the backup tag that a backup plan's tag selection (AMI backups) matches."""
    tag_selections = [
        (selection, plan)
        for plan in env.resources(PLAN)
        for selection in env.resources(SELECTION)
        if env.refers_to(selection, selection.get("BackupPlanId"), plan)
        and _tag_conditions(selection).get(BACKUP_TAG_KEY) == BACKUP_TAG_VALUE
        and _tag_conditions(selection).get(ENVIRONMENT_TAG) == env.name
    ]
    instances = list(env.resources("AWS::EC2::Instance"))
    if not tag_selections:
        out.problem(f"no backup selection matches {BACKUP_TAG_KEY}={BACKUP_TAG_VALUE} in {env.name}")
        return
    selection, plan = tag_selections[0]
    out.row(
        selection,
        "BackupSelection.Conditions.StringEquals",
        _tag_conditions(selection),
        f"selects every resource tagged {BACKUP_TAG_KEY}={BACKUP_TAG_VALUE} in {env.name} into plan "
        f"{plan.get('BackupPlan.BackupPlanName')}",
    )
    for instance in instances:
        if instance.tags.get(BACKUP_TAG_KEY) != BACKUP_TAG_VALUE:
            out.problem(f"instance {instance.logical_id} is not tagged {BACKUP_TAG_KEY}={BACKUP_TAG_VALUE}")
            continue
        out.row(instance, f"Tags.{BACKUP_TAG_KEY}", BACKUP_TAG_VALUE, "so AWS Backup takes an AMI of it (full rebuild)")


@evidence_rule("BAK-2", looks_for=(DB,))
def bak2_database_backed_up_continuously(env: EnvironmentView, out: Evidence) -> None:
    """The database keeps automated backups (point in time), and a plan rule takes continuous backups of it."""
    for db in env.resources(DB):
        retention = int(db.get("BackupRetentionPeriod", 1))
        if retention < RDS_BACKUP_RETENTION_MIN:
            out.problem(f"{db.logical_id}: BackupRetentionPeriod {retention} < {RDS_BACKUP_RETENTION_MIN} days")
            continue
        out.row(db, "BackupRetentionPeriod", retention, "automated backups with transaction logs every five minutes")
        continuous = [
            (plan, index, selection)
            for plan in env.resources(PLAN)
            for index, rule in enumerate(plan_rules(plan))
            if rule.get("EnableContinuousBackup") is True
            for selection, arn in _selected_arns(env, plan)
            if _names_database(env, selection, arn, db)
        ]
        if not continuous:
            out.problem(f"{db.logical_id}: no backup plan rule with EnableContinuousBackup selects it")
            continue
        plan, index, selection = continuous[0]
        out.row(plan, f"BackupPlan.BackupPlanRule[{index}].EnableContinuousBackup", True, "continuous backup (PITR)")
        out.row(selection, "BackupSelection.Resources", selection.get("BackupSelection.Resources"), "selects it")


def _names_database(env: EnvironmentView, origin: Resource, arn: Any, db: Resource) -> bool:
    """Whether a selection ARN (a Fn::Join around the instance's exported Ref) names this database."""
    if isinstance(arn, dict) and "Fn::Join" in arn:
        return any(env.refers_to(origin, part, db) for part in arn["Fn::Join"][1] if isinstance(part, dict))
    return env.refers_to(origin, arn, db)


@evidence_rule("BAK-4", looks_for=(DB,))
def bak4_point_in_time_restore_is_tested(env: EnvironmentView, out: Evidence) -> None:
    """The database keeps a point-in-time window, and a restore-testing plan restores it on a schedule."""
    for db in env.resources(DB):
        retention = int(db.get("BackupRetentionPeriod", 1))
        if retention < RDS_BACKUP_RETENTION_MIN:
            out.problem(f"{db.logical_id}: point-in-time window {retention} days < {RDS_BACKUP_RETENTION_MIN}")
            continue
        out.row(db, "BackupRetentionPeriod", retention, f"restorable to any second of the last {retention} days")
        tested = [
            selection
            for selection in env.resources(RESTORE_SELECTION)
            if selection.get("ProtectedResourceType") == "RDS"
            and any(_names_database(env, selection, arn, db) for arn in selection.get("ProtectedResourceArns", []))
        ]
        if not tested:
            out.problem(f"{db.logical_id}: no restore-testing selection restores it")
            continue
        plan_name = tested[0].get("RestoreTestingPlanName")
        plans = [p for p in env.resources(RESTORE_PLAN) if p.get("RestoreTestingPlanName") == plan_name]
        if not plans:
            out.problem(f"restore-testing selection {tested[0].logical_id} names no plan of this environment")
            continue
        out.row(tested[0], "ProtectedResourceArns", tested[0].get("ProtectedResourceArns"), "restore-tested")
        out.row(plans[0], "ScheduleExpression", plans[0].get("ScheduleExpression"), "the restore test's schedule")


@evidence_rule("BAK-5", looks_for=(PLAN, DB, "AWS::S3::Bucket"))
def bak5_copies_leave_the_region(env: EnvironmentView, out: Evidence) -> None:
    """Every scheduled plan rule copies to another region; the database and the data bucket replicate there."""
    for plan in env.resources(PLAN):
        for index, rule in enumerate(plan_rules(plan)):
            if rule.get("EnableContinuousBackup"):
                continue  # continuous recovery points do not copy; RDS replication covers them (below)
            regions = [_region_of(action.get("DestinationBackupVaultArn")) for action in rule.get("CopyActions", [])]
            remote = [region for region in regions if region and region != plan.stack.region]
            if not remote:
                out.problem(f"plan {plan.logical_id} rule {rule.get('RuleName')}: no copy to another region")
                continue
            out.row(plan, f"BackupPlan.BackupPlanRule[{index}].CopyActions", remote, f"{rule.get('RuleName')} copies")
    for db in env.resources(DB):
        region = db.get("AutomaticBackupReplicationRegion")
        if not region or region == db.stack.region:
            out.problem(f"{db.logical_id}: automated backups are not replicated to another region")
        else:
            out.row(db, "AutomaticBackupReplicationRegion", region, "automated backups replicate there")
    for bucket in env.resources("AWS::S3::Bucket"):
        rules = bucket.get("ReplicationConfiguration.Rules", [])
        for rule in rules:
            destination = text_of(rule.get("Destination", {}).get("Bucket", "")).removeprefix("arn:aws:s3:::")
            replica = [b for b in env.resources("AWS::S3::Bucket") if text_of(b.get("BucketName")) == destination]
            if rule.get("Status") != "Enabled" or not replica or replica[0].stack.region == bucket.stack.region:
                out.problem(f"bucket {bucket.logical_id}: replication to {destination!r} is not to another region")
                continue
            out.row(bucket, "ReplicationConfiguration.Rules", destination, f"replicates to {replica[0].stack.region}")
    if not any(row.resource_type == PLAN for row in out.rows):
        out.problem("no backup plan copies to another region")


def _region_of(arn: Any) -> str | None:
    parts = text_of(arn).split(":") if arn is not None else []
    return parts[3] if len(parts) > 3 else None


# The restore styles (BAK-6) and what restore testing must cover to show each: a server rebuilt from its image
# (EC2 snapshot), and the database restored incrementally to a point in time (RDS continuous recovery points).
RESTORE_STYLES = {
    "full rebuild": ("EC2", "SNAPSHOT"),
    "incremental, point-in-time restore": ("RDS", "CONTINUOUS"),
}


@evidence_rule("BAK-6", looks_for=(RESTORE_PLAN,))
def bak6_restore_styles_are_tested(env: EnvironmentView, out: Evidence) -> None:
    """Scheduled restore tests cover every restore style: servers rebuilt from snapshots (EC2) and the database
    restored from continuous (point-in-time) recovery points (RDS); every plan's tests are listed."""
    covered: set[str] = set()
    for plan in env.resources(RESTORE_PLAN):
        types = plan.get("RecoveryPointSelection.RecoveryPointTypes", [])
        selections = [
            s
            for s in env.resources(RESTORE_SELECTION)
            if s.stack is plan.stack and s.get("RestoreTestingPlanName") == plan.get("RestoreTestingPlanName")
        ]
        if not selections:
            continue
        out.row(plan, "RecoveryPointSelection.RecoveryPointTypes", types, f"{plan.stack.region}: recovery point kinds")
        out.row(plan, "ScheduleExpression", plan.get("ScheduleExpression"), "restores run on this schedule")
        for selection in selections:
            resource_type = selection.get("ProtectedResourceType")
            styles = [
                style for style, (kind, point) in RESTORE_STYLES.items() if kind == resource_type and point in types
            ]
            covered.update(styles)
            out.row(
                selection,
                "ProtectedResourceType",
                resource_type,
                f"restored and validated ({', '.join(styles) or f'{resource_type} restore in {plan.stack.region}'})",
            )
    for style, (kind, point) in RESTORE_STYLES.items():
        if style not in covered:
            out.problem(f"no restore-testing plan restores {kind} from {point} recovery points ({style})")
