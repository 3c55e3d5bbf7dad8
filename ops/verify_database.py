"""`verify`, the database (BAK-2, BAK-4, BAK-5, HA-1, ENC-1, ENC-3, NET-2): the live instance keeps its promises."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ops.aws import error_code
from ops.environment import Environment
from ops.report import Row, judged

# BAK-2/BAK-4: "restored to very precise points in time, in most instances 5 minutes prior".
MAX_RESTORE_LAG_SECONDS = 300
NOT_FOUND = {"DBInstanceNotFound", "DBInstanceNotFoundFault"}


def source_instance(environment: Environment) -> dict[str, Any] | None:
    rds = environment.aws.client("rds", environment.env.region)
    try:
        return dict(rds.describe_db_instances(DBInstanceIdentifier=environment.names.database)["DBInstances"][0])
    except ClientError as error:
        if error_code(error) in NOT_FOUND:
            return None
        raise


def _force_ssl(environment: Environment, db: dict[str, Any]) -> str:
    values = []
    for group in db.get("DBParameterGroups", []):
        parameters = environment.aws.pages(
            "rds",
            environment.env.region,
            "describe_db_parameters",
            "Parameters",
            DBParameterGroupName=group["DBParameterGroupName"],
        )
        values += [p.get("ParameterValue", "") for p in parameters if p["ParameterName"] == "rds.force_ssl"]
    return values[0] if values else "unset"


def _replicated(environment: Environment, db: dict[str, Any]) -> list[dict[str, Any]]:
    """Automated backups of this instance held in the DR region (BAK-5)."""
    backups = environment.aws.pages(
        "rds",
        environment.env.dr_region,
        "describe_db_instance_automated_backups",
        "DBInstanceAutomatedBackups",
        DbiResourceId=db["DbiResourceId"],
    )
    return [
        b
        for b in backups
        if b.get("DBInstanceArn") == db["DBInstanceArn"] and b.get("Status") in {"replicating", "active"}
    ]


def run(environment: Environment) -> list[Row]:
    name = environment.names.database
    db = source_instance(environment)
    if db is None:
        return [
            Row(
                "BAK-4",
                "database",
                "not deployed",
                f"no DB instance {name} in {environment.env.region}",
                "deploy the data stack",
            )
        ]
    settings = environment.env.database
    key = environment.aws.client("kms", environment.env.region).describe_key(
        KeyId=environment.names.key_alias("data/database")
    )
    key_arn = key["KeyMetadata"]["Arn"]
    latest = db.get("LatestRestorableTime")
    lag = (datetime.now(UTC) - latest).total_seconds() if latest else None
    force_ssl = _force_ssl(environment, db)
    replicas = _replicated(environment, db)
    return [
        judged(
            "BAK-4",
            "database available",
            db["DBInstanceStatus"] == "available",
            db["DBInstanceStatus"],
            "see the RDS console's events for the instance",
        ),
        judged(
            "HA-1",
            "database Multi-AZ",
            bool(db.get("MultiAZ")),
            f"MultiAZ={db.get('MultiAZ')}",
            "modify the instance back to Multi-AZ (the data stack sets MultiAZ: true); check for drift",
        ),
        judged(
            "ENC-3",
            "database encrypted with the environment's key",
            bool(db.get("StorageEncrypted")) and db.get("KmsKeyId") == key_arn,
            f"encrypted={db.get('StorageEncrypted')} key={db.get('KmsKeyId')}",
            f"the instance must use {environment.names.key_alias('data/database')} ({key_arn}); "
            "restore into a new encrypted instance",
        ),
        judged(
            "BAK-4",
            "backup retention",
            db.get("BackupRetentionPeriod") == settings.backup_retention_days,
            f"{db.get('BackupRetentionPeriod')} days (config {settings.backup_retention_days})",
            "redeploy the data stack; check AWS Backup continuous backup owns the retention",
        ),
        judged(
            "NET-2",
            "database IAM authentication",
            bool(db.get("IAMDatabaseAuthenticationEnabled")),
            f"IAMDatabaseAuthenticationEnabled={db.get('IAMDatabaseAuthenticationEnabled')}",
            "redeploy the data stack (EnableIAMDatabaseAuthentication: true)",
        ),
        judged(
            "ENC-1",
            "rds.force_ssl",
            force_ssl == "1",
            f"rds.force_ssl={force_ssl}",
            "set rds.force_ssl=1 in the instance's parameter group (the data stack does) and reboot",
        ),
        judged(
            "BAK-2",
            "latest restorable time",
            lag is not None and lag <= MAX_RESTORE_LAG_SECONDS,
            f"{lag:.0f} s behind now" if lag is not None else "none",
            "automated backups are lagging: check the instance's backup status and AWS Backup continuous backup",
        ),
        judged(
            "BAK-5",
            "automated backups replicated to DR",
            bool(replicas),
            f"{len(replicas)} replicated in {environment.env.dr_region}",
            f"start automated backup replication to {environment.env.dr_region} with the data-dr database-replica key",
        ),
    ]
