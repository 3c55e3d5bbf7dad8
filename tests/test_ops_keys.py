"""`python -m ops keys` (ACC-2): the key-pair inventory against the operators in config, on the moto deployment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.moto_deploy import MotoDeployment, in_account
from tests.moto_ops import failing, row, run_ops
from tests.moto_stubs import MotoGaps

PROD = "acme-prod"
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")


@pytest.fixture
def prod(moto_deployment: MotoDeployment) -> Iterator[None]:
    with in_account("111122223333"):
        yield


def test_acc2_every_operator_has_exactly_their_key(prod: None) -> None:
    code, document = run_ops("keys", gaps=MotoGaps())
    assert code == 0
    checks = [r["check"] for r in document["rows"]]
    assert len(checks) == 2
    assert checks[0].startswith(f"key pair {PROD}-alice")
    assert checks[1].startswith(f"key pair {PROD}-bob")
    alice = document["rows"][0]["observed"]
    assert "operator=alice" in alice
    assert "type=ed25519" in alice
    assert "created=" in alice
    assert "environment=acme-prod" in alice


def test_acc2_a_stray_key_is_reported_with_its_revocation(prod: None) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ec2.create_key_pair(
        KeyName=f"{PROD}-eve",
        KeyType="ed25519",
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "environment", "Value": PROD}]}],
    )
    try:
        code, document = run_ops("keys", gaps=MotoGaps())
    finally:
        ec2.delete_key_pair(KeyName=f"{PROD}-eve")
    assert failing(document) == [f"key pair {PROD}-eve"]
    stray = row(document, f"key pair {PROD}-eve")
    assert stray["observed"].startswith("not in config (revocation pending or a stray key)")
    assert f"delete-key-pair --key-name {PROD}-eve" in stray["fix"]
    assert code == 1


def test_acc2_a_revoked_operator_whose_key_is_still_present_fails(prod: None, tmp_path: Path) -> None:
    """Deleting bob from config revokes his key only once the bastion stack is deployed: until then it fails."""
    text = Path("config/environments.toml").read_text(encoding="utf-8")
    start = text.index('[[environments.operators]]\nname = "bob"')
    end = text.index("[environments.database]")
    config = tmp_path / "revoked.toml"
    config.write_text(text[:start] + text[end:], encoding="utf-8")
    code, document = run_ops("keys", gaps=MotoGaps(), config=str(config))
    (failed,) = failing(document)
    assert failed.startswith(f"key pair {PROD}-bob")
    assert code == 1


def test_acc2_an_operator_without_a_key_fails(prod: None) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    pairs = ec2.describe_key_pairs(Filters=[{"Name": "tag:environment", "Values": [PROD]}], IncludePublicKey=True)
    (pair,) = [p for p in pairs["KeyPairs"] if p["KeyName"].startswith(f"{PROD}-alice-")]
    ec2.delete_key_pair(KeyName=pair["KeyName"])
    try:
        code, document = run_ops("keys", gaps=MotoGaps())
    finally:
        ec2.import_key_pair(
            KeyName=pair["KeyName"],
            PublicKeyMaterial=pair["PublicKey"].encode(),
            TagSpecifications=[{"ResourceType": "key-pair", "Tags": pair["Tags"]}],
        )
    assert failing(document) == ["operator alice"]
    assert code == 1


def test_acc2_keys_and_verify_agree_on_an_environment_not_deployed(moto_deployment: MotoDeployment) -> None:
    """One status vocabulary: where `verify` says the key pairs are not deployed, `keys` does not say FAIL."""
    with in_account("111122223333"):
        keys_code, keys_document = run_ops("keys", gaps=MotoGaps(), env="globex-dev")
        _, verify_document = run_ops("verify", gaps=MotoGaps(), env="globex-dev")
    assert row(verify_document, "key pairs equal the operators in config")["status"] == "not deployed"
    assert keys_document["rows"]
    assert {r["status"] for r in keys_document["rows"]} == {"not deployed"}
    assert all(r["fix"] == "deploy the bastion stack" for r in keys_document["rows"])
    assert keys_code == 1
