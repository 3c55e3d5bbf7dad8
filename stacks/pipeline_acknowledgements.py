"""The findings the gates raise on what CDK Pipelines generates in a cell pipeline stack, each answered on its exact
resource (ACC-3, CMP-1). Anything not matched here stays a finding and fails the synth.

`PipelinePermissions` (stacks/pipeline_permissions.py) has replaced CDK's inline default policies by managed policies
with named actions, so what remains are the wildcards that name generated parts of one resource (artifact object
keys, the DR store's key id, the bootstrap stack's id). They are listed by running the AWS Solutions pack on
each managed policy of the stack and matched against the causes below.
"""

from __future__ import annotations

import re
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from policies.acknowledgements import acknowledge_cause
from policies.causes import RUN_TIME_NAMES_IN_ONE_RESOURCE
from policies.service_trust import trust_conditions

# The IAM5 findings (suffixes) whose wildcard names only a generated part of one resource: artifact object keys, the DR
# store's key id, the bootstrap stack's id. All answer one cause.
GENERATED_NAME_WILDCARDS: Final = (
    re.compile(
        r"^Resource::(<Artifacts[A-Za-z0-9]+\.Arn>|arn:aws:s3:::pipeline-[a-z0-9-]+-artifacts-\d{12}-[a-z0-9-]+)/\*$"
    ),
    re.compile(r"^Resource::arn:aws:kms:[a-z0-9-]+:\d{12}:key/\*$"),
    re.compile(r"^Resource::arn:aws:cloudformation:[a-z0-9-]+:\d{12}:stack/CDKToolkit/\*$"),
)


def bind_service_trust(stack: cdk.Stack) -> None:
    """The roles CDK Pipelines creates for CodePipeline and CodeBuild get the trust conditions of their service's
    row in policies/service_trust.py (ACC-3), as the project's own roles do through constructs/trusted_service.py."""
    for construct in stack.node.find_all():
        if not isinstance(construct, iam.CfnRole):
            continue
        document = stack.resolve(construct.assume_role_policy_document)
        for index, statement in enumerate(document.get("Statement", [])):
            services = (statement.get("Principal") or {}).get("Service")
            for service in [services] if isinstance(services, str) else services or []:
                conditions = trust_conditions(
                    service, partition=stack.partition, region=stack.region, account=stack.account
                )
                if conditions is not None:
                    construct.add_property_override(f"AssumeRolePolicyDocument.Statement.{index}.Condition", conditions)


def acknowledge_pipeline_findings(stack: cdk.Stack) -> None:
    """Call once the pipeline is built (`CodePipeline.build_pipeline()`) and its permissions moved
    (`PipelinePermissions.apply()`): then every generated resource exists."""
    bind_service_trust(stack)
    checks = AwsSolutionsChecks()
    for construct in stack.node.find_all():
        if isinstance(construct, iam.CfnManagedPolicy):
            _acknowledge_wildcards(construct, checks)


def _acknowledge_wildcards(policy: iam.CfnManagedPolicy, checks: AwsSolutionsChecks) -> None:
    for violation in checks.validate_scope(policy).violations:
        match = re.fullmatch(r"AwsSolutions-IAM5\[(.+)\]", violation.rule_name)
        if match is None:
            continue
        if any(pattern.match(match.group(1)) for pattern in GENERATED_NAME_WILDCARDS):
            acknowledge_cause(policy, violation.rule_name, RUN_TIME_NAMES_IN_ONE_RESOURCE)
