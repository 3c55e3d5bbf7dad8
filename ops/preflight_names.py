"""`preflight`, names: no existing resource already holds a name the stacks will create (CMP-1).

A create with a taken name fails the deploy (and a bucket name is global: another account may hold it). Names come
from config (`ops.names`) and, with `--assembly`, from every template of the environment. A name held by the
environment's own live stack is expected after a first deploy. A name that cannot be looked up is an `error` row.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from ops.assembly import EnvironmentAssembly
from ops.aws import error_code
from ops.environment import Environment
from ops.errors import guarded
from ops.names import PlannedName
from ops.report import Row, passed


def _exists(environment: Environment, planned: PlannedName) -> bool:
    """Whether something already holds the name (in this account, or for buckets anywhere)."""
    region, name = planned.region, planned.name
    probes: dict[str, tuple[Callable[[], Any], set[str]]] = {
        "bucket": (
            lambda: environment.aws.client("s3", region).head_bucket(Bucket=name),
            {"404", "NoSuchBucket", "NotFound"},
        ),
        "log group": (lambda: _log_group(environment, planned), set()),
        "backup vault": (
            lambda: environment.aws.client("backup", region).describe_backup_vault(BackupVaultName=name),
            {"ResourceNotFoundException"},
        ),
        "key pair": (
            lambda: environment.aws.client("ec2", region).describe_key_pairs(KeyNames=[name]),
            {"InvalidKeyPair.NotFound"},
        ),
        "DB instance": (
            lambda: environment.aws.client("rds", region).describe_db_instances(DBInstanceIdentifier=name),
            {"DBInstanceNotFound", "DBInstanceNotFoundFault"},
        ),
    }
    probe, absent = probes[planned.kind]
    try:
        return bool(probe())
    except ClientError as error:
        code = error_code(error)
        if code in absent:
            return False
        if planned.kind == "bucket" and code in {"403", "AccessDenied"}:
            return True  # the name is taken by another account
        raise


def _log_group(environment: Environment, planned: PlannedName) -> bool:
    groups = environment.aws.pages(
        "logs", planned.region, "describe_log_groups", "logGroups", logGroupNamePrefix=planned.name
    )
    return any(g["logGroupName"] == planned.name for g in groups)


def free_names(environment: Environment, assembly: EnvironmentAssembly | None) -> list[Row]:
    derived = environment.names.planned(environment.account)
    if assembly and any(p.kind == "key pair" for p in assembly.names):
        derived = [p for p in derived if p.kind != "key pair"]  # the templates' key-pair names are exact
    planned = {(p.kind, p.name, p.region): p for p in derived}
    for p in assembly.names if assembly else []:
        planned[(p.kind, p.name, p.region)] = p
    rows: list[Row] = []
    for p in sorted(planned.values(), key=lambda p: (p.kind, p.name)):
        check = f"{p.kind} name {p.name}"
        rows += guarded("CMP-1", check, "preflight", partial(_name_row, environment, p, check))
    return rows


def _name_row(environment: Environment, p: PlannedName, check: str) -> Row:
    if p.stack in environment.stacks:
        return passed("CMP-1", check, f"held by this environment's stack {p.stack}")
    if _exists(environment, p):
        return Row(
            "CMP-1",
            check,
            "fail",
            f"already exists in {p.region}",
            f"delete or import it before deploying {p.stack}, or rename the environment",
        )
    return passed("CMP-1", check, f"free in {p.region}")
