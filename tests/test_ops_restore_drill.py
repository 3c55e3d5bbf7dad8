"""`python -m ops restore-drill` end to end on moto's RDS (BAK-4, BAK-2): a point-in-time restore into a new named,
tagged drill instance in the source's data subnets and security group, a JSON drill record with RPO and RTO, and
the instance deleted unless --keep. Bad input is refused before any AWS call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.moto_deploy import MotoDeployment, in_account
from tests.moto_ops import failing, run_ops
from tests.moto_stubs import MotoGaps, healthy

PROD = "acme-prod"
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")


@pytest.fixture
def gaps(moto_deployment: MotoDeployment) -> Iterator[MotoGaps]:
    with in_account("111122223333"):
        yield healthy(PROD, "111122223333")


def drill_instances() -> list[dict[str, Any]]:
    instances = boto3.client("rds", region_name="us-east-1").describe_db_instances()["DBInstances"]
    return [i for i in instances if i["DBInstanceIdentifier"].startswith(f"{PROD}-postgres-drill-")]


def test_bak4_drill_restores_records_rpo_and_rto_and_deletes_the_instance(gaps: MotoGaps, tmp_path: Path) -> None:
    record = tmp_path / "drill.json"
    code, document = run_ops("restore-drill", "--yes", "--minutes-ago", "0", "--record", str(record), gaps=gaps)
    assert failing(document) == []
    assert code == 0
    drill = json.loads(record.read_text(encoding="utf-8"))
    assert drill["drill_instance"].startswith(f"{PROD}-postgres-drill-")
    assert drill["placement_matches_source"] is True
    assert drill["encrypted"] is True
    assert drill["rpo_seconds"] is not None
    assert drill["rto_seconds"] >= 0
    assert drill["kept"] is False
    assert drill_instances() == []
    assert ("rds", "RestoreDBInstanceToPointInTime") in gaps.calls
    assert ("rds", "DeleteDBInstance") in gaps.calls


def test_bak4_keep_leaves_a_tagged_instance_in_the_data_subnets_and_database_group(
    gaps: MotoGaps, tmp_path: Path
) -> None:
    code, _ = run_ops("restore-drill", "--yes", "--keep", "--record", str(tmp_path / "drill.json"), gaps=gaps)
    rds = boto3.client("rds", region_name="us-east-1")
    try:
        assert code == 0
        (drill,) = drill_instances()
        (source,) = rds.describe_db_instances(DBInstanceIdentifier=f"{PROD}-postgres")["DBInstances"]
        assert drill["DBSubnetGroup"]["DBSubnetGroupName"] == source["DBSubnetGroup"]["DBSubnetGroupName"]
        assert drill["VpcSecurityGroups"] == source["VpcSecurityGroups"]
        tags = {t["Key"]: t["Value"] for t in drill["TagList"]}
        assert tags["purpose"] == "restore-drill"
        assert tags["environment"] == PROD
    finally:
        for instance in drill_instances():
            rds.modify_db_instance(DBInstanceIdentifier=instance["DBInstanceIdentifier"], DeletionProtection=False)
            rds.delete_db_instance(DBInstanceIdentifier=instance["DBInstanceIdentifier"], SkipFinalSnapshot=True)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "is a production environment: pass --yes"),
        (("--yes", "--minutes-ago", str(36 * 24 * 60)), "outside the restore window of acme-prod (the last 35 days"),
        (("--yes", "--to-time", "2999-01-01T00:00:00Z"), "outside the restore window"),
        (("--yes", "--to-time", "yesterday"), "not an ISO 8601 time"),
        (("--yes", "--to-time", "2026-12-01T10:00:00"), "add a UTC offset"),
        (("--yes", "--minutes-ago", "-5"), "must not be negative"),
    ],
)
def test_bak4_bad_input_is_refused_before_any_call(
    arguments: tuple[str, ...], message: str, gaps: MotoGaps, capsys: Any
) -> None:
    code, _ = run_ops("restore-drill", *arguments, gaps=gaps)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert gaps.calls == set()


def test_an_unknown_environment_is_refused_before_any_call(gaps: MotoGaps, capsys: Any) -> None:
    code, _ = run_ops("restore-drill", "--yes", gaps=gaps, env="acme-qa")
    assert code == 2
    assert "--env acme-qa: no such environment in config/environments.toml; it defines: acme-prod, globex-dev" in (
        capsys.readouterr().err
    )
    assert gaps.calls == set()


def test_a_time_before_the_live_restore_window_is_refused(gaps: MotoGaps, capsys: Any) -> None:
    """Inside the configured 35 days, but before the instance existed: moto's window starts at its creation."""
    code, _ = run_ops("restore-drill", "--yes", "--minutes-ago", str(24 * 60), gaps=gaps)
    assert code == 2
    assert "outside acme-prod-postgres's restore window" in capsys.readouterr().err
    assert ("rds", "RestoreDBInstanceToPointInTime") not in gaps.calls


def test_a_missing_database_is_one_line(moto_deployment: MotoDeployment, capsys: Any) -> None:
    with in_account("999900001111"):
        code, _ = run_ops("restore-drill", "--yes", gaps=MotoGaps(), env="globex-dev")
    assert code == 2
    assert "no DB instance globex-dev-postgres in 999900001111/us-east-1: deploy the data stack first" in (
        capsys.readouterr().err
    )
