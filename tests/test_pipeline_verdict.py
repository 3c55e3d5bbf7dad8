"""CMP-1: before prod, the pipeline's danger verdict compares the prod stages with what is deployed, read through
each target account's bootstrap lookup role, and stops on an unaccepted stateful deletion or replacement.

moto stands in for CloudFormation and STS (`GetTemplate`, `AssumeRole` into the target account); the verdict is the
project's own (diff_verdict/), on the two assemblies scripts/deployed_base.py writes.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from diff_verdict.__main__ import main as verdict_main
from scripts.deployed_base import main as deployed_base_main

BUCKET = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
TOPIC = {"Type": "AWS::SNS::Topic"}


def stage_assembly(root: Path, account: str, stacks: dict[str, dict[str, Any]]) -> Path:
    """A pipeline stage folder as the app writes it: manifest.json and one template per stack."""
    stage = root / "cdk.out" / "assembly-main-t000-prod"
    stage.mkdir(parents=True)
    artifacts = {}
    for name, resources in stacks.items():
        (stage / f"{name}.template.json").write_text(json.dumps({"Resources": resources}), encoding="utf-8")
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://{account}/us-east-1",
            "properties": {"templateFile": f"{name}.template.json"},
        }
    (stage / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": artifacts}), encoding="utf-8")
    return stage


def deploy(account: str, name: str, resources: dict[str, Any]) -> None:
    """Deploy a template into the target account (moto: assume a role there, then create the stack)."""
    credentials = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/deployer", RoleSessionName="setup"
    )["Credentials"]
    boto3.client(
        "cloudformation",
        region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    ).create_stack(StackName=name, TemplateBody=json.dumps({"Resources": resources}))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """moto, and a target account of this test's own (the suite may keep one moto backend for the session)."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield f"21{zlib.crc32(str(tmp_path).encode()):010d}"


def run(tmp_path: Path, allow: str = "") -> int:
    assert (
        deployed_base_main(
            [
                *("--assembly", str(tmp_path / "cdk.out"), "--stage", "assembly-main-t000-prod"),
                *("--base", str(tmp_path / "base.out"), "--head", str(tmp_path / "head.out")),
            ]
        )
        == 0
    )
    report = tmp_path / "report"
    report.mkdir()
    return verdict_main(
        [
            "--base",
            str(tmp_path / "base.out"),
            "--head",
            str(tmp_path / "head.out"),
            "--allow-replace",
            allow,
            "--report-dir",
            str(report),
        ]
    )


def test_cmp1_unchanged_prod_passes_the_verdict(aws: str, tmp_path: Path) -> None:
    deploy(aws, "t000-prod-data", {"Data": BUCKET})
    stage_assembly(tmp_path, aws, {"t000-prod-data": {"Data": BUCKET}, "t000-prod-new": {"Topic": TOPIC}})
    assert run(tmp_path) == 0
    manifest = json.loads((tmp_path / "base.out" / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["artifacts"]) == ["t000-prod-data"]  # the undeployed stack is new, not in the base


def test_cmp1_probe_deleting_a_deployed_bucket_stops_the_pipeline(aws: str, tmp_path: Path) -> None:
    deploy(aws, "t000-prod-data", {"Data": BUCKET, "Topic": TOPIC})
    stage_assembly(tmp_path, aws, {"t000-prod-data": {"Topic": TOPIC}})
    assert run(tmp_path) == 2


def test_cmp1_a_deletion_the_change_accepts_passes(aws: str, tmp_path: Path) -> None:
    deploy(aws, "t000-prod-data", {"Data": BUCKET, "Topic": TOPIC})
    stage_assembly(tmp_path, aws, {"t000-prod-data": {"Topic": TOPIC}})
    assert run(tmp_path, allow="t000-prod-data/Data") == 0


def test_cmp1_probe_a_missing_stage_is_one_line_and_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cdk.out").mkdir()
    code = deployed_base_main(
        ["--assembly", str(tmp_path / "cdk.out"), "--stage", "assembly-main-x", "--base", "b", "--head", "h"]
    )
    assert code == 3
    assert capsys.readouterr().err.strip().count("\n") == 0
