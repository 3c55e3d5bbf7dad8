"""The bootstrap of every tenant account, delivered by a service-managed CloudFormation StackSet (CMP-1, ACC-8).

The StackSet's template is the pinned CDK CLI's own bootstrap template (`cdk bootstrap --show-template`, kept as
JSON in stacks/cdk_bootstrap_template.json), with:
- trust for the pipeline account (`TrustedAccounts`, `TrustedAccountsForLookup`): its deploy actions assume the
  deploy role, the danger verdict the read-only lookup role;
- a least-privilege CloudFormation execution policy instead of AdministratorAccess: the AWS services the tenant
  templates use (`SERVICE_PREFIXES`, checked against every synthesized template), and IAM only outside the
  bootstrap's and the fleet's own names, never users or access keys;
- a permissions boundary on the execution role (the same services, minus account- and organization-wide changes and
  any change to the boundary itself);
- `fleet-verify-auditor`, the read-only role (the published `policies/iam/ops-verify.json`) the pipeline's `ops
  verify` steps assume; the environment's own auditor job role requires MFA (ACC-8), which a build cannot give.

It deploys from the pipeline account as a StackSets delegated administrator (`CallAs: DELEGATED_ADMIN`) to the
configured organizational units, with auto-deployment: an account moved into the OU is bootstrapped (docs/pipeline.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import aws_cdk as cdk

from config.pipeline import FLEET_TAG, PipelineSettings
from constructs import Construct
from stacks.pipeline_steps import FLEET_AUDITOR_ROLE

ROOT = Path(__file__).resolve().parents[1]
# The pinned CDK CLI's bootstrap template (node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml) as JSON;
# tests/test_tenant_bootstrap.py proves the copy equals the CLI's, so a CLI upgrade shows up as a failing test.
BOOTSTRAP_TEMPLATE: Final = Path(__file__).with_name("cdk_bootstrap_template.json")
VERIFY_POLICY: Final = ROOT / "policies" / "iam" / "ops-verify.json"
EXECUTION_POLICY_NAME: Final = "fleet-cfn-execution"
BOUNDARY_NAME: Final = "fleet-cfn-execution-boundary"
TEMPLATE_BODY_LIMIT: Final = 51_200  # CloudFormation: TemplateBody of at most 51,200 bytes
# CloudFormation resource namespace (AWS::<Namespace>::...) -> IAM service prefixes CloudFormation calls for it.
SERVICE_PREFIXES: Final = {
    "AccessAnalyzer": ("access-analyzer",),
    "Backup": ("backup", "backup-storage"),
    "CertificateManager": ("acm",),
    "CloudTrail": ("cloudtrail",),
    "CloudWatch": ("cloudwatch",),
    "Cognito": ("cognito-idp",),
    "Config": ("config",),
    "EC2": ("ec2",),
    "ECS": ("ecs",),
    "ElasticLoadBalancingV2": ("elasticloadbalancing",),
    "Events": ("events",),
    "GuardDuty": ("guardduty",),
    "KMS": ("kms",),
    "Lambda": ("lambda",),
    "Logs": ("logs",),
    "RDS": ("rds", "secretsmanager"),  # the RDS-managed master secret
    "Route53": ("route53",),
    "S3": ("s3",),
    "SNS": ("sns",),
    "SecurityHub": ("securityhub",),
    "WAFv2": ("wafv2",),
    "SSM": ("ssm",),  # CDK's bootstrap version and cross-region reference parameters
}
PROTECTED_NAMES: Final = ("role/cdk-hnb659fds-*", f"role/{FLEET_AUDITOR_ROLE}", "policy/fleet-*")


def types_outside_the_execution_policy(resource_types: Iterable[str]) -> list[str]:
    """The AWS resource types a tenant template uses that the execution policy's services do not cover (IAM is
    allowed by its own statements; custom resources run as Lambda functions)."""
    return sorted(
        {
            kind
            for kind in resource_types
            if kind.startswith("AWS::") and kind.split("::")[1] not in {*SERVICE_PREFIXES, "IAM", "CloudFormation"}
        }
    )


def _service_actions() -> list[str]:
    return sorted({f"{prefix}:*" for prefixes in SERVICE_PREFIXES.values() for prefix in prefixes})


def execution_policy() -> dict[str, Any]:
    protected = [{"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:{name}"} for name in PROTECTED_NAMES]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TenantTemplateServices", "Effect": "Allow", "Action": _service_actions(), "Resource": "*"},
            {
                "Sid": "RolesAndPoliciesOfTheTemplates",
                "Effect": "Allow",
                "Action": ["iam:*Role*", "iam:*Policy*", "iam:*InstanceProfile*", "iam:CreateServiceLinkedRole"],
                "Resource": "*",
            },
            {"Sid": "NotTheBootstrapOrTheFleet", "Effect": "Deny", "Action": "iam:*", "Resource": protected},
            {
                "Sid": "NoUsersOrKeys",
                "Effect": "Deny",
                "Action": ["iam:*User*", "iam:*AccessKey*", "iam:*LoginProfile*", "iam:*Group*"],
                "Resource": "*",
            },
        ],
    }


def permissions_boundary() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AtMostTheTemplateServices",
                "Effect": "Allow",
                "Action": [*_service_actions(), "iam:*"],
                "Resource": "*",
            },
            {
                "Sid": "NoAccountOrOrganizationChanges",
                "Effect": "Deny",
                "Action": ["organizations:*", "account:*", "iam:*User*", "iam:*AccessKey*"],
                "Resource": "*",
            },
            {
                "Sid": "BoundaryStaysInPlace",
                "Effect": "Deny",
                "Action": ["iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:DeletePolicy"],
                "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/{BOUNDARY_NAME}"},
            },
        ],
    }


def tenant_bootstrap_template(pipeline_account: str) -> dict[str, Any]:
    """The CDK bootstrap template with the fleet's execution policy, boundary and verify role."""
    template: dict[str, Any] = json.loads(BOOTSTRAP_TEMPLATE.read_text(encoding="utf-8"))
    resources = template["Resources"]
    resources["FleetExecutionPolicy"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"ManagedPolicyName": EXECUTION_POLICY_NAME, "PolicyDocument": execution_policy()},
    }
    resources["FleetPermissionsBoundary"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"ManagedPolicyName": BOUNDARY_NAME, "PolicyDocument": permissions_boundary()},
    }
    role = resources["CloudFormationExecutionRole"]
    role["Properties"]["ManagedPolicyArns"] = [{"Ref": "FleetExecutionPolicy"}]
    role["Properties"]["PermissionsBoundary"] = {"Ref": "FleetPermissionsBoundary"}
    verify = json.loads(VERIFY_POLICY.read_text(encoding="utf-8"))
    resources["FleetVerifyAuditorRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": FLEET_AUDITOR_ROLE,
            "Description": "Read-only: the cell pipeline's ops verify steps (policies/iam/ops-verify.json)",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{pipeline_account}:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{pipeline_account}:role/pipeline-*-Verify*"}
                        },
                    }
                ],
            },
            "Policies": [{"PolicyName": "ops-verify", "PolicyDocument": verify}],
        },
    }
    return template


class TenantBootstrapStack(cdk.Stack):
    """`fleet-tenant-bootstrap`: the StackSet, in the pipeline account (a StackSets delegated administrator)."""

    def __init__(self, scope: Construct, *, settings: PipelineSettings, regions: Sequence[str], **kwargs: Any) -> None:
        super().__init__(
            scope,
            "fleet-tenant-bootstrap",
            stack_name="fleet-tenant-bootstrap",
            env=cdk.Environment(account=settings.account, region=settings.region),
            description="fleet-tenant-bootstrap: CDK bootstrap of every tenant account, trusting the pipeline "
            "account, least-privilege execution policy and permissions boundary (CMP-1)",
            termination_protection=True,
            analytics_reporting=False,
            **kwargs,
        )
        cdk.Tags.of(self).add("managed-by", "cdk")
        cdk.Tags.of(self).add(FLEET_TAG, "tenant-bootstrap")
        body = json.dumps(tenant_bootstrap_template(settings.account), separators=(",", ":"), sort_keys=True)
        if len(body.encode()) > TEMPLATE_BODY_LIMIT:
            raise ValueError(
                f"tenant bootstrap template is {len(body)} bytes, over CloudFormation's TemplateBody limit"
            )
        self.stack_set = cdk.CfnStackSet(
            self,
            "TenantBootstrap",
            stack_set_name="fleet-tenant-bootstrap",
            description="CDK bootstrap of tenant accounts for the cell pipelines (docs/pipeline.md)",
            permission_model="SERVICE_MANAGED",
            call_as="DELEGATED_ADMIN",
            auto_deployment=cdk.CfnStackSet.AutoDeploymentProperty(enabled=True, retain_stacks_on_account_removal=True),
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution={"Active": True},
            operation_preferences=cdk.CfnStackSet.OperationPreferencesProperty(
                failure_tolerance_percentage=10,
                max_concurrent_percentage=25,
                region_concurrency_type="PARALLEL",
            ),
            parameters=[
                cdk.CfnStackSet.ParameterProperty(parameter_key=key, parameter_value=value)
                for key, value in {
                    "TrustedAccounts": settings.account,
                    "TrustedAccountsForLookup": settings.account,
                    "CloudFormationExecutionPolicies": "",
                }.items()
            ],
            stack_instances_group=[
                cdk.CfnStackSet.StackInstancesProperty(
                    deployment_targets=cdk.CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=list(settings.organizational_units)
                    ),
                    regions=list(regions),
                )
            ],
            template_body=body,
        )
