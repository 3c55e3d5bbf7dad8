"""ACC-3: the published ops policies grant only what the tools use, scoped to what they read and write
(policies/ops_policy_scope.py). The published files pass; probes (the statements these files held before, and other
over-broad forms) are caught; the names the policies scope to come from ops/names.py and the synthesized stacks."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from config import AppConfig
from config.limits import ENVIRONMENT_TAG
from ops.errors import POLICY_OF
from ops.names import BOOTSTRAP_PARAMETER, EnvironmentNames
from policies.ops_policy_scope import over_broad_statements
from tests.conftest import Synthesized

POLICIES = Path("policies/iam")
VARIABLE = f"${{aws:PrincipalTag/{ENVIRONMENT_TAG}}}"


def policy(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((POLICIES / name).read_text(encoding="utf-8"))
    return loaded


def statements(document: dict[str, Any], action: str) -> list[dict[str, Any]]:
    def actions(statement: dict[str, Any]) -> list[str]:
        return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]

    return [s for s in document["Statement"] if s["Effect"] == "Allow" and action in actions(s)]


def resources(document: dict[str, Any], action: str) -> list[str]:
    found: list[str] = []
    for statement in statements(document, action):
        found += [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
    return found


def single(*statement: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statement)}


@pytest.mark.parametrize("name", sorted(set(POLICY_OF.values())))
def test_acc3_published_ops_policies_have_no_over_broad_statement(name: str) -> None:
    assert list(over_broad_statements(policy(name))) == []


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (  # ops-preflight.json before: every SSM parameter, SecureStrings under aws/ssm included
            {"Sid": "P", "Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": "*"},
            "reads every resource",
        ),
        (
            {"Sid": "P", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/*"},
            "reads every resource",
        ),
        (  # ops-preflight.json before: lists every bucket
            {"Sid": "P", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::*"},
            "reads every resource",
        ),
        (  # ops-restore-drill.json before: any database, any placement, any tag on any resource
            {
                "Sid": "P",
                "Effect": "Allow",
                "Action": ["rds:RestoreDBInstanceToPointInTime", "rds:AddTagsToResource"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestTag/purpose": "restore-drill"}},
            },
            "may change any resource",
        ),
        (
            {
                "Sid": "P",
                "Effect": "Allow",
                "Action": "rds:AddTagsToResource",
                "Resource": "arn:aws:rds:*:*:db:x-postgres-drill-*",
                "Condition": {"StringEquals": {"aws:RequestTag/purpose": "restore-drill"}},
            },
            "without ForAllValues aws:TagKeys",
        ),
        (
            {
                "Sid": "P",
                "Effect": "Allow",
                "Action": ["kms:CreateGrant"],
                "Resource": "arn:aws:kms:*:*:key/*",
                "Condition": {"StringLike": {"kms:ViaService": "rds.*.amazonaws.com"}},
            },
            "without kms:GrantIsForAWSResource",
        ),
    ],
)
def test_acc3_probe_over_broad_statements_are_caught(statement: dict[str, Any], reason: str) -> None:
    assert any(reason in finding for finding in over_broad_statements(single(statement)))


def test_acc3_preflight_reads_only_the_bootstrap_parameter_named_in_ops_names() -> None:
    assert resources(policy("ops-preflight.json"), "ssm:GetParameter") == [
        f"arn:aws:ssm:*:*:parameter{BOOTSTRAP_PARAMETER}"
    ]


def test_acc3_preflight_probes_every_bucket_name_the_stacks_fix(
    synthesized: Synthesized, example_config: AppConfig
) -> None:
    """Preflight reads a 403 on HeadBucket as "held by another account": every fixed name must be in the policy."""
    patterns = resources(policy("ops-preflight.json"), "s3:ListBucket")
    names = [EnvironmentNames(env).replica_bucket("111122223333") for env in example_config.environments]
    for stack in synthesized.stack_names():
        for resource in synthesized.template_json(stack)["Resources"].values():
            name = (
                (resource.get("Properties") or {}).get("BucketName") if resource["Type"] == "AWS::S3::Bucket" else None
            )
            if isinstance(name, str):
                names.append(name)
            elif isinstance(name, dict):  # Fn::Join of literals and the account id
                parts = name["Fn::Join"][1]
                names.append("".join(p if isinstance(p, str) else "111122223333" for p in parts))
    assert names
    for name in names:
        assert any(fnmatch.fnmatchcase(f"arn:aws:s3:::{name}", p) for p in patterns), name


def test_acc3_the_drill_restores_only_its_environments_database_into_drill_targets(
    example_config: AppConfig,
) -> None:
    drill = policy("ops-restore-drill.json")
    granted = resources(drill, "rds:RestoreDBInstanceToPointInTime")
    for env in example_config.environments:
        names = EnvironmentNames(env)
        scoped = [p.replace(VARIABLE, env.name) for p in granted]
        arn = f"arn:aws:rds:{env.region}:111122223333"

        def reaches(resource: str, scoped: list[str] = scoped) -> bool:
            return any(fnmatch.fnmatchcase(resource, p) for p in scoped)

        assert reaches(f"{arn}:db:{names.database}")
        assert reaches(f"{arn}:db:{names.database}-drill-20261207052300")  # as restore_drill names it
        assert reaches(f"{arn}:subgrp:{names.stack('data')}-databaseinstancesubnetgroup-abc")
        assert reaches(f"{arn}:pg:{names.stack('data')}-databaseparameters-abc")
        others = [o for o in example_config.environments if o.name != env.name]
        for other in others:
            assert not reaches(f"{arn}:db:{EnvironmentNames(other).database}")
        assert not reaches(f"{arn}:db:some-other-database")
    (statement,) = statements(drill, "rds:RestoreDBInstanceToPointInTime")
    assert statement["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"] == [
        ENVIRONMENT_TAG,
        "purpose",
        "restore-source",
    ]
    (grant,) = statements(drill, "kms:CreateGrant")
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    alias = grant["Condition"]["ForAnyValue:StringLike"]["kms:ResourceAliases"]
    assert alias.replace(VARIABLE, "acme-prod") == EnvironmentNames(example_config.environments[0]).alias_prefix + "*"
