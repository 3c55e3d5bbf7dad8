"""`restore-drill`: restore the database to a point in time into a new drill instance and time it (BAK-4, BAK-2).

The drill instance is named `<db>-drill-<UTC stamp>`, tagged `purpose=restore-drill` with the environment's tag,
placed in the source's subnet group (the data subnets) and security groups, and encrypted like the source. The
drill record (JSON) holds the restore point's distance from the latest restorable time (RPO) and the time from the
request to an available instance (RTO). The instance is deleted without a final snapshot unless `--keep`.
Bad input is refused before any AWS call: a time outside the configured restore window, an unknown environment,
a production environment without `--yes`.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from config import EnvironmentConfig
from ops.environment import Environment
from ops.errors import OpsError
from ops.report import Row, judged
from ops.verify_database import source_instance

DRILL_TAG = ("purpose", "restore-drill")


def add_arguments(command: argparse.ArgumentParser) -> None:
    when = command.add_mutually_exclusive_group()
    when.add_argument("--minutes-ago", type=float, help="restore to this many minutes before now")
    when.add_argument("--to-time", help="restore to this UTC time (ISO 8601, e.g. 2026-12-01T10:15:00Z)")
    command.add_argument("--keep", action="store_true", help="keep the drill instance (else it is deleted)")
    command.add_argument("--yes", action="store_true", help="required for a production environment")
    command.add_argument(
        "--record", type=Path, help="drill record path (when absent: restore-drill-<env>-<stamp>.json)"
    )
    command.add_argument("--timeout-minutes", type=float, default=120.0, help="give up waiting after this long")
    command.add_argument("--poll-seconds", type=float, default=30.0, help="how often to check the drill instance")


@dataclass(frozen=True)
class DrillPlan:
    restore_time: datetime | None  # None: the latest restorable time
    keep: bool
    record: Path
    timeout: timedelta
    poll_seconds: float
    started: datetime


def plan(env: EnvironmentConfig, arguments: argparse.Namespace) -> DrillPlan:
    """Validate everything that needs no AWS call; raise OpsError with the one line otherwise."""
    now = datetime.now(UTC)
    if env.is_production and not arguments.yes:
        raise OpsError(
            f"{env.name} is a production environment: pass --yes to run a restore drill there "
            "(it creates a billed DB instance)"
        )
    restore_time = None
    if arguments.minutes_ago is not None:
        if arguments.minutes_ago < 0:
            raise OpsError(f"--minutes-ago {arguments.minutes_ago:g}: must not be negative")
        restore_time = now - timedelta(minutes=arguments.minutes_ago)
    elif arguments.to_time:
        try:
            restore_time = datetime.fromisoformat(arguments.to_time.replace("Z", "+00:00"))
        except ValueError:
            raise OpsError(f"--to-time {arguments.to_time}: not an ISO 8601 time; e.g. 2026-12-01T10:15:00Z") from None
        if restore_time.tzinfo is None:
            raise OpsError(f"--to-time {arguments.to_time}: add a UTC offset (Z or +00:00)")
    window = timedelta(days=env.database.backup_retention_days)
    if restore_time is not None and not now - window <= restore_time <= now:
        raise OpsError(
            f"restore time {restore_time:%Y-%m-%dT%H:%M:%SZ} is outside the restore window of {env.name} "
            f"(the last {env.database.backup_retention_days} days, up to now)"
        )
    stamp = f"{now:%Y%m%dT%H%M%SZ}"
    return DrillPlan(
        restore_time=restore_time,
        keep=arguments.keep,
        record=arguments.record or Path(f"restore-drill-{env.name}-{stamp}.json"),
        timeout=timedelta(minutes=arguments.timeout_minutes),
        poll_seconds=arguments.poll_seconds,
        started=now,
    )


def _window(environment: Environment, db: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    backups = environment.aws.pages(
        "rds",
        environment.env.region,
        "describe_db_instance_automated_backups",
        "DBInstanceAutomatedBackups",
        DBInstanceIdentifier=db["DBInstanceIdentifier"],
    )
    for backup in backups:
        window = backup.get("RestoreWindow", {})
        if window.get("EarliestTime"):
            return window["EarliestTime"], window.get("LatestTime") or db.get("LatestRestorableTime")
    return db.get("InstanceCreateTime"), db.get("LatestRestorableTime")


def _wait(environment: Environment, identifier: str, drill: DrillPlan, out: TextIO, quiet: bool) -> dict[str, Any]:
    rds = environment.aws.client("rds", environment.env.region)
    deadline = time.monotonic() + drill.timeout.total_seconds()
    console = Console(file=out) if out.isatty() and not quiet else None
    status_display = console.status(f"restoring {identifier}") if console else None
    if status_display:
        status_display.start()
    try:
        while True:
            instance = dict(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0])
            status = instance["DBInstanceStatus"]
            if status_display:
                status_display.update(f"restoring {identifier}: {status}")
            elif not quiet:
                out.write(f"{datetime.now(UTC):%H:%M:%S} {identifier}: {status}\n")
            if status == "available":
                return instance
            if status in {"failed", "incompatible-restore", "incompatible-parameters", "incompatible-network"}:
                raise OpsError(
                    f"drill instance {identifier} ended {status}: see its RDS events; delete it with --keep off"
                )
            if time.monotonic() > deadline:
                raise OpsError(
                    f"drill instance {identifier} not available after {drill.timeout}; "
                    "it is left for inspection (delete it by hand)"
                )
            time.sleep(drill.poll_seconds)
    finally:
        if status_display:
            status_display.stop()


def run(environment: Environment, drill: DrillPlan, *, out: TextIO, quiet: bool) -> list[Row]:
    env, names = environment.env, environment.names
    db = source_instance(environment)
    if db is None:
        raise OpsError(
            f"no DB instance {names.database} in {environment.account}/{env.region}: deploy the data stack first"
        )
    earliest, latest = _window(environment, db)
    point = drill.restore_time
    if point is not None and earliest and latest and not earliest <= point <= latest:
        raise OpsError(
            f"restore time {point:%Y-%m-%dT%H:%M:%SZ} is outside {names.database}'s restore window "
            f"{earliest:%Y-%m-%dT%H:%M:%SZ} to {latest:%Y-%m-%dT%H:%M:%SZ}"
        )
    identifier = f"{names.database}-drill-{drill.started:%Y%m%d%H%M%S}"[:63]
    point_arguments: dict[str, Any] = {"RestoreTime": point} if point else {"UseLatestRestorableTime": True}
    rds = environment.aws.client("rds", env.region)
    requested = time.monotonic()
    rds.restore_db_instance_to_point_in_time(
        SourceDBInstanceIdentifier=names.database,
        TargetDBInstanceIdentifier=identifier,
        DBSubnetGroupName=db["DBSubnetGroup"]["DBSubnetGroupName"],
        VpcSecurityGroupIds=[g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])],
        DBParameterGroupName=db["DBParameterGroups"][0]["DBParameterGroupName"],
        MultiAZ=False,
        PubliclyAccessible=False,
        DeletionProtection=False,
        CopyTagsToSnapshot=True,
        Tags=[
            {"Key": names.tag[0], "Value": env.name},
            {"Key": DRILL_TAG[0], "Value": DRILL_TAG[1]},
            {"Key": "restore-source", "Value": names.database},
        ],
        **point_arguments,
    )
    instance = _wait(environment, identifier, drill, out, quiet)
    rto = time.monotonic() - requested
    restored_to = point or latest
    rpo = (latest - restored_to).total_seconds() if latest and restored_to else None
    placement_ok = instance["DBSubnetGroup"]["DBSubnetGroupName"] == db["DBSubnetGroup"]["DBSubnetGroupName"] and {
        g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups", [])
    } == {g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])}
    if not drill.keep:
        # Restored with DeletionProtection=False: the drill never modifies an instance (ops-restore-drill.json
        # grants no rds:ModifyDBInstance), it deletes only its own drill instance.
        rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
    record = {
        "environment": env.name,
        "account": environment.account,
        "region": env.region,
        "source": names.database,
        "drill_instance": identifier,
        "restore_point": restored_to.isoformat() if restored_to else None,
        "latest_restorable_time": latest.isoformat() if latest else None,
        "rpo_seconds": rpo,
        "rto_seconds": round(rto, 1),
        "encrypted": bool(instance.get("StorageEncrypted")),
        "placement_matches_source": placement_ok,
        "kept": drill.keep,
        "started": drill.started.isoformat(),
    }
    drill.record.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return [
        Row("BAK-4", "drill instance available", "pass", f"{identifier} available after {rto:.0f} s (RTO)"),
        judged(
            "BAK-4",
            "drill instance in the data subnets and DB security group",
            placement_ok,
            f"subnet group {instance['DBSubnetGroup']['DBSubnetGroupName']}",
            "the restore did not take the source's placement: check the request",
        ),
        judged(
            "ENC-3",
            "drill instance encrypted",
            bool(instance.get("StorageEncrypted")),
            f"KmsKeyId={instance.get('KmsKeyId')}",
            "the source must be encrypted: see the ENC-3 rows of verify",
        ),
        Row(
            "BAK-2",
            "restore point distance (RPO)",
            "pass",
            f"{rpo:.0f} s before the latest restorable time" if rpo is not None else "latest restorable time",
        ),
        Row("BAK-4", "drill record", "pass", f"{drill.record} ({'kept' if drill.keep else 'instance deleted'})"),
    ]
