"""The tenant-account bootstrap StackSet (CMP-1, ACC-8): trusts the pipeline account, deploys CloudFormation with a
least-privilege execution policy under a permissions boundary, never AdministratorAccess, to the configured OUs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from config.pipeline import FLEET_TAG
from stacks.tenant_bootstrap import (
    BOOTSTRAP_TEMPLATE,
    ROOT,
    TEMPLATE_BODY_LIMIT,
    types_outside_the_execution_policy,
)
from tests.conftest import Synthesized


@pytest.fixture(scope="module")
def stack_set(synthesized: Synthesized) -> dict[str, Any]:
    template = synthesized.template_json("fleet-tenant-bootstrap")
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"]
    return dict(resource["Properties"])


def test_cmp1_the_bootstrap_template_is_the_pinned_clis() -> None:
    cli = ROOT / "node_modules" / "aws-cdk" / "lib" / "api" / "bootstrap" / "bootstrap-template.yaml"
    converted = json.loads(json.dumps(cfn_yaml.loads(cli.read_text(encoding="utf-8"))))
    assert json.loads(BOOTSTRAP_TEMPLATE.read_text(encoding="utf-8")) == converted


def test_cmp1_service_managed_stack_set_with_auto_deployment_on_the_tenant_ous(stack_set: dict[str, Any]) -> None:
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["CallAs"] == "DELEGATED_ADMIN"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": True}
    preferences = stack_set["OperationPreferences"]
    assert preferences["FailureTolerancePercentage"] == 10
    assert preferences["MaxConcurrentPercentage"] == 25
    (group,) = stack_set["StackInstancesGroup"]
    assert group["DeploymentTargets"] == {"OrganizationalUnitIds": ["ou-ab12-tenants1"]}
    assert group["Regions"] == ["us-east-1", "us-west-2"]  # home and DR region of the example's accounts


def test_cmp1_tenant_accounts_trust_the_pipeline_account(stack_set: dict[str, Any]) -> None:
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}
    assert parameters["TrustedAccounts"] == parameters["TrustedAccountsForLookup"] == "999988887777"


def test_cmp1_execution_role_has_a_least_privilege_policy_and_a_boundary_never_admin(stack_set: dict[str, Any]) -> None:
    body = stack_set["TemplateBody"]
    assert len(body.encode()) <= TEMPLATE_BODY_LIMIT
    assert "AdministratorAccess" not in json.dumps(json.loads(body)["Resources"]["CloudFormationExecutionRole"])
    resources = json.loads(body)["Resources"]
    role = resources["CloudFormationExecutionRole"]["Properties"]
    assert role["ManagedPolicyArns"] == [{"Ref": "FleetExecutionPolicy"}]
    assert role["PermissionsBoundary"] == {"Ref": "FleetPermissionsBoundary"}
    statements = resources["FleetExecutionPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allowed = [action for s in statements if s["Effect"] == "Allow" for action in s["Action"]]
    assert "*" not in allowed
    assert "iam:*" not in allowed
    denied = {s["Sid"] for s in statements if s["Effect"] == "Deny"}
    assert denied == {"NotTheBootstrapOrTheFleet", "NoUsersOrKeys"}


def test_acc8_the_verify_role_is_read_only_and_trusted_by_the_verify_builds_only(
    stack_set: dict[str, Any],
) -> None:
    role = json.loads(stack_set["TemplateBody"])["Resources"]["FleetVerifyAuditorRole"]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::999988887777:role/pipeline-*-Verify*"}
    }
    actions = [a for p in role["Policies"] for s in p["PolicyDocument"]["Statement"] for a in s["Action"]]
    assert all(a.split(":")[1].startswith(("Get", "List", "Describe", "Batch")) for a in actions), actions


def test_cmp1_the_execution_policy_covers_every_resource_type_of_the_tenant_templates(synthesized: Synthesized) -> None:
    types = {
        resource["Type"]
        for name in synthesized.stack_names()
        for resource in synthesized.template_json(name)["Resources"].values()
    }
    assert len(types) > 50
    assert types_outside_the_execution_policy(types) == []


def test_cmp1_probe_a_resource_type_of_a_service_not_in_the_policy_is_named() -> None:
    assert types_outside_the_execution_policy(["AWS::S3::Bucket", "AWS::DynamoDB::Table"]) == ["AWS::DynamoDB::Table"]


def test_cmp1_delivery_stacks_are_tagged_apart_from_the_tenant_stacks(synthesized: Synthesized) -> None:
    for name in synthesized.fleet_stack_names():
        tags = {
            t["Key"]: t["Value"]
            for r in synthesized.template_json(name)["Resources"].values()
            for t in (r.get("Properties", {}).get("Tags") or [])
            if isinstance(t, dict) and "Key" in t
        }
        assert FLEET_TAG in tags or not tags, name
