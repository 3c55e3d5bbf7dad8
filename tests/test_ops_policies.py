"""The published IAM policies (policies/iam/) cover every AWS call each operations command makes, and `preflight`,
`verify` and `keys` need only read access (ACC-3: least privilege for the auditor and the platform engineer).

Each command runs on the moto deployment with botocore's `before-call` recorder (tests/moto_stubs.py); each call
is mapped to the IAM action that authorizes it and matched against the policy's Allow statements.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from ops.errors import POLICY_OF
from policies.ops_policy_scope import is_read
from tests.moto_deploy import MotoDeployment, in_account
from tests.moto_ops import run_ops
from tests.moto_stubs import MotoGaps, healthy

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
POLICIES = Path("policies/iam")
# Where an API operation's IAM action is not <service>:<operation> (Service Authorization Reference).
ACTION_OF = {
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
}
READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Head")


def iam_action(service: str, operation: str) -> str:
    return ACTION_OF.get((service, operation), f"{service}:{operation}")


def allowed(policy: dict[str, Any]) -> list[str]:
    actions: list[str] = []
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions += [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
    return actions


def covered(action: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


@pytest.fixture(scope="module")
def recorded(moto_deployment: MotoDeployment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The IAM actions of every call each command made against the deployed acme-prod."""
    calls: dict[str, set[str]] = {}
    record = tmp_path_factory.mktemp("drill") / "drill.json"
    with in_account("111122223333"):
        for command, arguments in (
            ("preflight", ()),
            ("verify", ()),
            ("keys", ()),
            ("restore-drill", ("--yes", "--record", str(record))),
        ):
            gaps = healthy("acme-prod", "111122223333")
            run_ops(command, *arguments, gaps=gaps)
            calls[command] = {iam_action(service, operation) for service, operation in gaps.calls}
        # A first-deploy preflight probes every planned name: run one in an empty account too.
        account = "333344445555"
        config = tmp_path_factory.mktemp("config") / "environments.toml"
        text = Path("config/environments.toml").read_text(encoding="utf-8")
        config.write_text(text.replace('account = "111122223333"', f'account = "{account}"'), encoding="utf-8")
        with in_account(account):
            gaps = MotoGaps()
            run_ops("preflight", gaps=gaps, config=str(config))
            calls["preflight"] |= {iam_action(service, operation) for service, operation in gaps.calls}
    return calls


@pytest.mark.parametrize("command", sorted(POLICY_OF))
def test_the_published_policy_covers_every_call_the_command_makes(recorded: dict[str, set[str]], command: str) -> None:
    policy = json.loads((POLICIES / POLICY_OF[command]).read_text(encoding="utf-8"))
    assert policy["Version"] == "2012-10-17"
    missing = sorted(a for a in recorded[command] if not covered(a, allowed(policy)))
    assert missing == [], f"{POLICY_OF[command]} lacks {missing}"
    assert "sts:GetCallerIdentity" in recorded[command]
    assert len(recorded[command]) >= 2


@pytest.mark.parametrize("name", ["ops-preflight.json", "ops-verify.json"])
def test_acc3_preflight_and_verify_policies_are_read_only(name: str) -> None:
    for action in allowed(json.loads((POLICIES / name).read_text(encoding="utf-8"))):
        operation = action.split(":", 1)[1]
        assert operation.startswith(READ_ONLY_PREFIXES), action
        assert "*" not in operation or operation.rstrip("*") in READ_ONLY_PREFIXES, action


def test_acc3_the_drill_may_change_only_drill_instances() -> None:
    policy = json.loads((POLICIES / "ops-restore-drill.json").read_text(encoding="utf-8"))
    assert "rds:ModifyDBInstance" not in allowed(policy)  # master password, PubliclyAccessible: never called
    for statement in policy["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        if "rds:DeleteDBInstance" in actions:
            assert statement["Condition"] == {"StringEquals": {"aws:ResourceTag/purpose": "restore-drill"}}
            assert statement["Resource"].endswith(":db:${aws:PrincipalTag/environment}-postgres-drill-*")


def test_the_recorder_sees_calls_so_the_coverage_test_can_fail(recorded: dict[str, set[str]]) -> None:
    assert "rds:DescribeDBInstances" in recorded["verify"]
    assert "rds:RestoreDBInstanceToPointInTime" in recorded["restore-drill"]
    assert not covered("rds:DeleteDBInstance", ["rds:Describe*", "ec2:DescribeKeyPairs"])


# Writes AWS authorizes on the caller's behalf during a call the tool makes (tag-on-create; RDS's grant on the key).
IMPLIED_WRITES = {"rds:AddTagsToResource", "kms:CreateGrant"}


@pytest.mark.parametrize("command", sorted(POLICY_OF))
def test_acc3_the_published_policy_grants_no_write_the_command_never_makes(
    recorded: dict[str, set[str]], command: str
) -> None:
    policy = json.loads((POLICIES / POLICY_OF[command]).read_text(encoding="utf-8"))
    users = [c for c, name in POLICY_OF.items() if name == POLICY_OF[command]]
    made = set().union(*(recorded[c] for c in users))
    unused = sorted(a for a in allowed(policy) if not is_read(a) and a not in made | IMPLIED_WRITES)
    assert unused == [], f"{POLICY_OF[command]} grants writes its commands never make: {unused}"


def test_acc3_probe_a_write_the_drill_never_makes_is_caught(recorded: dict[str, set[str]]) -> None:
    assert "rds:ModifyDBInstance" not in recorded["restore-drill"] | IMPLIED_WRITES
