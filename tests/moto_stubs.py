"""Narrow stubs for the AWS calls moto 5.2.5 does not implement, and a recorder of every call the ops tool makes.

The stubs answer ONE operation each, from data a test controls, through botocore's `before-call` event on the
tool's own session (returning a response there skips the request, so moto never sees it). Nothing of the tool's
logic is stubbed. moto lacks:
- AWS Backup ListBackupJobs and ListRecoveryPointsByBackupVault (no jobs or recovery points at all), and
  DescribeRegionSettings (no service opt-in);
- RDS cross-region automated-backup replication (StartDBInstanceAutomatedBackupsReplication), so
  DescribeDBInstanceAutomatedBackups in the DR region is answered here; in the home region moto answers;
- the EC2 quotas of Service Quotas (it has only VPC's), so GetServiceQuota for ServiceCode ec2 is answered here;
- RDS DescribeOrderableDBInstanceOptions for any engine but Aurora PostgreSQL and Neptune (postgres is answered);
- Service Quotas GetAWSDefaultServiceQuota: in-process moto raises NotImplementedError, moto's server answers HTTP 500
  with Flask's HTML error page; an operation named in `moto_server_500` gets that page, parsed by botocore's own
  parser, as `ops` sees it against a moto server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.parsers import create_parser
from werkzeug.exceptions import InternalServerError

from tests.botocore_reuse import harness_client

Handler = Callable[[dict[str, Any], str], dict[str, Any] | None]


def _ok() -> AWSResponse:
    return AWSResponse(url="https://stub.invalid/", status_code=200, headers={}, raw=None)


@dataclass
class MotoGaps:
    """What the stubbed calls answer; tests change these fields to break one promise."""

    dr_region: str = "us-west-2"
    recovery_points: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)  # (region, vault)
    backup_jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # region -> jobs
    opted_in: dict[str, dict[str, bool]] = field(default_factory=dict)  # region -> type -> opted in
    replicated_backups: list[dict[str, Any]] = field(default_factory=list)  # in the DR region
    eip_quota: float | None = 5.0  # None: moto answers GetServiceQuota for ec2 (NoSuchResourceException)
    orderable: dict[str, list[str]] = field(default_factory=dict)  # postgres instance class -> zones offered
    calls: set[tuple[str, str]] = field(default_factory=set)  # (IAM service prefix, operation)
    # Optional rewrites of a real moto response, for conditions moto cannot produce (named in each test).
    after_call: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    # Operations answered as moto's server answers an action it lacks ("service.Operation").
    moto_server_500: set[str] = field(default_factory=set)

    def handlers(self) -> dict[str, Handler]:
        return {
            "backup.ListRecoveryPointsByBackupVault": lambda params, region: {
                "RecoveryPoints": self.recovery_points.get((region, params["BackupVaultName"]), [])
            },
            "backup.ListBackupJobs": lambda params, region: {"BackupJobs": self.backup_jobs.get(region, [])},
            "backup.DescribeRegionSettings": lambda params, region: {
                "ResourceTypeOptInPreference": self.opted_in.get(region, {})
            },
            "rds.DescribeDBInstanceAutomatedBackups": lambda params, region: (
                {"DBInstanceAutomatedBackups": self.replicated_backups} if region == self.dr_region else None
            ),
            "rds.DescribeOrderableDBInstanceOptions": lambda params, region: (
                {
                    "OrderableDBInstanceOptions": [
                        {
                            "Engine": "postgres",
                            "EngineVersion": version,
                            "DBInstanceClass": params["DBInstanceClass"],
                            "MultiAZCapable": True,
                            "AvailabilityZones": [
                                {"Name": z} for z in self.orderable.get(params["DBInstanceClass"], [])
                            ],
                        }
                        for version in ("16.4", "17.2")
                    ]
                }
                if params.get("Engine") == "postgres"
                else None
            ),
            "service-quotas.GetServiceQuota": lambda params, region: (
                {"Quota": {"QuotaCode": params["QuotaCode"], "Value": self.eip_quota}}
                if params["ServiceCode"] == "ec2" and self.eip_quota is not None
                else None
            ),
        }

    def session(self, **kwargs: Any) -> boto3.Session:
        """A boto3 session (the tool's `session_factory`) with the recorder and the stubs registered."""
        session = boto3.Session(**kwargs)
        events = session.events

        def record(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
            """Every call, stubbed or not (before-call handlers of a specific operation run before generic ones)."""
            self.calls.add((model.service_model.signing_name, model.name))
            context["api_params"] = dict(params)  # before-call sees only the serialized request

        events.register("before-parameter-build", record)
        for event, handler in self.handlers().items():
            events.register(f"before-call.{event}", self._answer(handler))
        for event in self.moto_server_500:
            events.register(f"before-call.{event}", _moto_server_500)
        for event, rewrite in self.after_call.items():
            events.register(f"after-call.{event}", lambda parsed, rewrite=rewrite, **_: rewrite(parsed))
        return session

    @staticmethod
    def _answer(handler: Handler) -> Callable[..., Any]:
        def answer(context: dict[str, Any], request_signer: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
            parsed = handler(context.get("api_params", {}), request_signer.region_name)
            return None if parsed is None else (_ok(), {**parsed, "ResponseMetadata": {"HTTPStatusCode": 200}})

        return answer


def _moto_server_500(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    """moto's server on an unimplemented action: HTTP 500, Flask's HTML page; botocore parses it into a ClientError."""
    body = InternalServerError().get_body().encode()
    response = {"status_code": 500, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": body}
    parsed = create_parser(model.service_model.protocol).parse(response, model.output_shape)
    return AWSResponse(url="https://moto.invalid/", status_code=500, headers={}, raw=None), parsed


def healthy(environment: str, account: str, region: str = "us-east-1", dr_region: str = "us-west-2") -> MotoGaps:
    """Answers for a deployed environment whose backups all ran: a fresh recovery point per tier, its copy in the DR
    vault, completed jobs, every type opted in, replicated automated backups. Reads the plan and DB from moto."""
    now = datetime.now(UTC)
    backup = harness_client("backup", region_name=region)
    plans = backup.list_backup_plans()["BackupPlansList"]
    (plan,) = [p for p in plans if p["BackupPlanName"] == f"{environment}-tiered"]
    rules = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
    primary = backup.describe_backup_vault(BackupVaultName=f"{environment}-primary")["BackupVaultArn"]
    points = [
        {
            "RecoveryPointArn": f"arn:aws:backup:{region}:{account}:recovery-point:{rule['RuleName']}-1",
            "BackupVaultName": f"{environment}-primary",
            "Status": "COMPLETED",
            "CreationDate": now - timedelta(hours=2),
            "CreatedBy": {"BackupPlanId": plan["BackupPlanId"], "BackupRuleId": rule["RuleId"]},
        }
        for rule in rules
    ]
    copies = [
        {
            "RecoveryPointArn": f"arn:aws:backup:{dr_region}:{account}:recovery-point:copy-1",
            "BackupVaultName": f"{environment}-dr",
            "SourceBackupVaultArn": primary,
            "Status": "COMPLETED",
            "CreationDate": now - timedelta(hours=1),
        }
    ]
    (db,) = harness_client("rds", region_name=region).describe_db_instances(
        DBInstanceIdentifier=f"{environment}-postgres"
    )["DBInstances"]
    return MotoGaps(
        dr_region=dr_region,
        recovery_points={(region, f"{environment}-primary"): points, (dr_region, f"{environment}-dr"): copies},
        backup_jobs={
            region: [{"BackupJobId": "job-1", "State": "COMPLETED", "CreationDate": now - timedelta(hours=2)}]
        },
        opted_in={r: {"RDS": True, "S3": True, "EC2": True, "EBS": True} for r in (region, dr_region)},
        replicated_backups=[
            {
                "DBInstanceArn": db["DBInstanceArn"],
                "DbiResourceId": db["DbiResourceId"],
                "Region": region,
                "Status": "replicating",
            }
        ],
        eip_quota=10.0,
        orderable=offered_everywhere(region),
        after_call={"rds.RestoreDBInstanceToPointInTime": deletion_protection_as_requested(region)},
    )


def deletion_protection_as_requested(region: str) -> Callable[[dict[str, Any]], None]:
    """moto 5.2.5 gives a point-in-time restore the source's deletion protection, ignoring the request's
    `DeletionProtection=False` (RDS honours it); `restore-drill` always sends False, so apply that (unrecorded)."""

    def rewrite(parsed: dict[str, Any]) -> None:
        identifier = parsed["DBInstance"]["DBInstanceIdentifier"]
        harness_client("rds", region_name=region).modify_db_instance(
            DBInstanceIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True
        )
        parsed["DBInstance"]["DeletionProtection"] = False

    return rewrite


def offered_everywhere(region: str) -> dict[str, list[str]]:
    """The example config's instance classes, offered in every zone of moto's region."""
    zones = [
        z["ZoneName"]
        for z in harness_client("ec2", region_name=region).describe_availability_zones()["AvailabilityZones"]
    ]
    return {"db.m7g.large": zones, "db.t4g.medium": zones}
