"""The CDK's own provider Lambdas and roles (plain `CfnResource`, which cdk-nag 3.0.2 never inspects) are checked by
the project's pack over the template JSON (policies/function_checks.py): NET-5 runtime, ACC-3 no wildcard admin,
CMP-1 the function's role in scope. Probes: plain CfnResource functions and roles, in a real synth."""

from __future__ import annotations

import datetime
from typing import Any

import aws_cdk as cdk

from policies.function_checks import (
    deprecated_runtimes,
    functions_outside_scope,
    runtime_deprecation,
    wildcard_admin_roles,
)
from tests.conftest import Synthesized
from tests.probes import nag_findings, project_findings, tiny_stack

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}],
}


def provider_function(stack: cdk.Stack, *, runtime: str, role_statement: dict[str, Any] | None = None) -> None:
    """A function and its role the way the CDK emits its providers: plain CfnResource, not CfnFunction/CfnRole."""
    policies = [{"PolicyName": "Inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": [role_statement]}}]
    role = cdk.CfnResource(
        stack,
        "ProviderRole",
        type="AWS::IAM::Role",
        properties={"AssumeRolePolicyDocument": LAMBDA_TRUST, **({"Policies": policies} if role_statement else {})},
    )
    cdk.CfnResource(
        stack,
        "ProviderHandler",
        type="AWS::Lambda::Function",
        properties={
            "Runtime": runtime,
            "Handler": "index.handler",
            "Code": {"ZipFile": "exports.handler = async () => {};"},
            "Role": role.get_att("Arn"),
        },
    )


def test_net5_acc3_cmp1_the_example_apps_provider_functions_are_inspected_and_pass(synthesized: Synthesized) -> None:
    inspected = 0
    for name in synthesized.stack_names():
        template = synthesized.template_json(name)
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == "AWS::Lambda::Function" and "Provider" in logical_id:
                inspected += 1
        assert list(deprecated_runtimes(template)) == []
        assert list(wildcard_admin_roles(template)) == []
        assert list(functions_outside_scope(template)) == []
    assert inspected >= 3  # cross-region export reader and writer, default-SG restriction


def test_net5_probe_deprecated_runtime_of_a_plain_cfnresource_function_is_caught_where_nag_is_blind() -> None:
    stack = tiny_stack()
    provider_function(stack, runtime="nodejs16.x")
    assert [p for p in nag_findings(stack, "AwsSolutions").get("AwsSolutions-L1", []) if "ProviderHandler" in p] == []
    findings = project_findings(stack)
    assert findings["Project-NET5-LambdaRuntimeSupported"] == ["ProviderHandler"]


def test_acc3_probe_wildcard_admin_on_a_plain_cfnresource_role_is_caught() -> None:
    stack = tiny_stack()
    provider_function(stack, runtime="nodejs24.x", role_statement={"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert project_findings(stack)["Project-ACC3-RoleNotWildcardAdmin"] == ["ProviderRole"]


def test_acc3_probe_administrator_access_managed_policy_is_caught() -> None:
    template = {
        "Resources": {
            "Admin": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": LAMBDA_TRUST,
                    "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"}],
                },
            }
        }
    }
    ((logical_id, _),) = wildcard_admin_roles(template)
    assert logical_id == "Admin"


def test_cmp1_probe_function_with_a_role_outside_its_template_is_caught() -> None:
    template = {
        "Resources": {
            "Handler": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Runtime": "python3.13", "Role": "arn:aws:iam::111122223333:role/anything"},
            }
        }
    }
    ((logical_id, location),) = functions_outside_scope(template)
    assert logical_id == "Handler"
    assert "not a role of this template" in location


def test_net5_runtime_lifecycle_comes_from_cfn_lint_and_the_date_decides() -> None:
    deprecated = runtime_deprecation()["nodejs16.x"]
    template = {"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs16.x"}}}}
    assert list(deprecated_runtimes(template, today=deprecated - datetime.timedelta(days=1))) == []
    assert [f for f, _ in deprecated_runtimes(template, today=deprecated)] == ["F"]
