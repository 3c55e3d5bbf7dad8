"""`verify`, AWS Backup (BAK-3, BAK-5): locked vaults, a four-tier plan copying to DR, fresh jobs and points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from config.model import longest_gap_days
from ops.aws import error_code
from ops.environment import Environment
from ops.names import TIERS
from ops.report import Row, judged


def tier_periods(environment: Environment) -> dict[str, timedelta]:
    """How old a tier's newest recovery point may be: its schedule's longest gap plus the start and completion
    windows (BAK-3)."""
    settings = environment.env.backup
    slack = timedelta(minutes=settings.start_window_minutes + settings.completion_window_minutes)
    days = {"daily": 1, "weekly": 7, "biweekly": longest_gap_days(settings.biweekly.days_of_month), "monthly": 31}
    return {tier: timedelta(days=d) + slack for tier, d in days.items()}


def _vault(environment: Environment, name: str, region: str, control: str) -> tuple[Row, dict[str, Any] | None]:
    check = f"vault {name} locked"
    try:
        vault = environment.aws.client("backup", region).describe_backup_vault(BackupVaultName=name)
    except ClientError as error:
        if error_code(error) not in {"ResourceNotFoundException", "AccessDeniedException"}:
            raise
        return Row(control, check, "not deployed", f"no vault {name} in {region}", "deploy the backup stacks"), None
    lock = environment.env.backup.vault_lock
    ok = bool(vault.get("Locked")) and vault.get("MinRetentionDays") == lock.min_retention_days
    observed = (
        f"Locked={vault.get('Locked')} min={vault.get('MinRetentionDays')} max={vault.get('MaxRetentionDays')} days"
    )
    return judged(
        control,
        check,
        ok,
        observed,
        "put the vault lock back (backup stacks' LockConfiguration); a compliance lock cannot be removed once fixed",
    ), vault


def _plan_rules(environment: Environment) -> list[dict[str, Any]] | None:
    backup = environment.aws.client("backup", environment.env.region)
    plans = environment.aws.pages("backup", environment.env.region, "list_backup_plans", "BackupPlansList")
    plan = next((p for p in plans if p["BackupPlanName"] == environment.names.tiered_plan), None)
    if plan is None:
        return None
    return list(backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"])


def _points(environment: Environment, vault: str, region: str) -> list[dict[str, Any]]:
    return list(
        environment.aws.pages(
            "backup", region, "list_recovery_points_by_backup_vault", "RecoveryPoints", BackupVaultName=vault
        )
    )


def run(environment: Environment) -> list[Row]:
    env, names = environment.env, environment.names
    primary_row, primary = _vault(environment, names.primary_vault, env.region, "BAK-3")
    dr_row, dr = _vault(environment, names.dr_vault, env.dr_region, "BAK-5")
    rows = [primary_row, dr_row]
    rules = _plan_rules(environment)
    if rules is None:
        return [
            *rows,
            Row(
                "BAK-3", "backup plan tiers", "not deployed", f"no plan {names.tiered_plan}", "deploy the backup stack"
            ),
        ]
    by_name = {r["RuleName"]: r for r in rules}
    missing = [t for t in TIERS if t not in by_name]
    rows.append(
        judged(
            "BAK-3",
            "backup plan tiers",
            not missing,
            f"rules: {', '.join(by_name)}",
            f"missing tiers {missing}: redeploy the backup stack",
        )
    )
    dr_arn = f"arn:aws:backup:{env.dr_region}:{environment.account}:backup-vault:{names.dr_vault}"
    uncopied = [
        t
        for t in TIERS
        if t in by_name and dr_arn not in {c["DestinationBackupVaultArn"] for c in by_name[t].get("CopyActions", [])}
    ]
    rows.append(
        judged(
            "BAK-5",
            "every tier copies to the DR vault",
            not uncopied,
            f"not copied: {', '.join(uncopied)}" if uncopied else f"all {len(TIERS)} tiers copy to {names.dr_vault}",
            "redeploy the backup stack (copy actions to the DR vault)",
        )
    )
    periods, now = tier_periods(environment), datetime.now(UTC)
    lookback = now - periods["daily"]
    jobs = list(
        environment.aws.pages(
            "backup",
            env.region,
            "list_backup_jobs",
            "BackupJobs",
            ByBackupVaultName=names.primary_vault,
            ByCreatedAfter=lookback,
        )
    )
    completed = [j for j in jobs if j.get("State") == "COMPLETED"]
    failed = [j for j in jobs if j.get("State") in {"FAILED", "ABORTED", "EXPIRED", "PARTIAL"}]
    rows.append(
        judged(
            "BAK-3",
            "recent backup jobs completed",
            bool(completed) and not failed,
            f"since {lookback:%Y-%m-%d %H:%M}Z: {len(completed)} completed, {len(failed)} failed",
            "read the failed jobs' StatusMessage in AWS Backup; check the service role and opt-in",
        )
    )
    rule_tier = {r["RuleId"]: r["RuleName"] for r in rules if "RuleId" in r}
    points = _points(environment, names.primary_vault, env.region) if primary else []
    for tier in TIERS:
        newest = max(
            (
                p["CreationDate"]
                for p in points
                if rule_tier.get(p.get("CreatedBy", {}).get("BackupRuleId", "")) == tier
            ),
            default=None,
        )
        ok = newest is not None and now - newest <= periods[tier]
        observed = f"newest {newest:%Y-%m-%d %H:%M}Z" if newest else "no recovery point"
        rows.append(
            judged(
                "BAK-3",
                f"{tier} recovery point within {periods[tier].days} d",
                ok,
                observed,
                f"run an on-demand backup with the {tier} rule, then find why the schedule did not",
            )
        )
    copies = [
        p
        for p in (_points(environment, names.dr_vault, env.dr_region) if dr else [])
        if p.get("SourceBackupVaultArn") == (primary or {}).get("BackupVaultArn")
    ]
    newest_copy = max((p["CreationDate"] for p in copies), default=None)
    ok = newest_copy is not None and now - newest_copy <= periods["daily"] + timedelta(days=1)
    rows.append(
        judged(
            "BAK-5",
            "copies in the DR vault",
            ok,
            f"{len(copies)} copies, newest {newest_copy:%Y-%m-%d %H:%M}Z" if newest_copy else "no copy",
            f"check copy jobs to {names.dr_vault} (AWS Backup > Jobs > Copy jobs) and the DR vault key's policy",
        )
    )
    return rows
