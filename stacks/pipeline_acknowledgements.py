"""The findings the gates raise on what CDK Pipelines generates in a cell pipeline stack, each answered on its exact
resource (CMP-1). Anything not matched here stays a finding and fails the synth.

CDK Pipelines writes each action's grants as that role's default policy, with the S3 and KMS action wildcards of
CDK's `grant*` methods, on the pipeline's own artifact bucket and key. The wildcard findings (`AwsSolutions-IAM5[...]`)
are listed by running the AWS Solutions pack on each such policy and matched against the reasons below.
"""

from __future__ import annotations

import re
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from policies.acknowledgements import acknowledge
from policies.service_trust import trust_conditions

_ARTIFACTS: Final = (
    "CDK Pipelines' grant on the cell's own artifact bucket (KMS-encrypted, TLS-only, versioned, locked): the "
    "wildcard spans the read/write variants CodePipeline and CodeBuild use for artifacts, and the resource is this "
    "bucket or its objects only."
)
_KEY: Final = (
    "CDK's grant on the artifact bucket's key, named by ARN: GenerateDataKey* and ReEncrypt* are the data-key "
    "variants S3 uses for SSE-KMS objects."
)
_PROJECT_LOGS: Final = (
    "CodeBuild's own log streams and test-report groups, scoped to the name of the one project this role runs."
)
_ASSET_PUBLISHER: Final = (
    "CDK Pipelines' asset publishing project: its role starts and reads its own builds and writes their logs and "
    "report groups under /aws/codebuild in the pipeline account only; it holds no tenant-account permission."
)
_SELF_MUTATION: Final = (
    "CDK Pipelines' self-mutation (`cdk deploy` of this pipeline stack): it assumes the CDK bootstrap roles of the "
    "pipeline account only, and DescribeStacks / ListBucket accept no narrower resource for the CLI's lookups."
)
IAM5_REASONS: Final = (
    (re.compile(r"^Action::s3:(Abort|DeleteObject|GetBucket|GetObject|List)\*$"), _ARTIFACTS),
    (
        re.compile(
            r"^Resource::(<Artifacts[A-Za-z0-9]+\.Arn>|arn:aws:s3:::pipeline-[a-z0-9-]+-artifacts-\d{12}-[a-z0-9-]+)/\*$"
        ),
        _ARTIFACTS,
    ),
    (re.compile(r"^Action::kms:(GenerateDataKey|ReEncrypt)\*$"), _KEY),
    (
        re.compile(r"^Resource::arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:/aws/codebuild/<[A-Za-z0-9]+>:\*$"),
        _PROJECT_LOGS,
    ),
    (re.compile(r"^Resource::arn:aws:codebuild:[a-z0-9-]+:\d{12}:report-group/<[A-Za-z0-9]+>-\*$"), _PROJECT_LOGS),
)
ROLE_REASONS: Final = {
    "Assets/FileRole": (
        re.compile(
            r"^Resource::(\*|arn:aws:(logs|codebuild):[a-z0-9-]+:\d{12}:(log-group:/aws/codebuild/\*|report-group/\*))$"
        ),
        _ASSET_PUBLISHER,
    ),
    "UpdatePipeline/SelfMutation": (re.compile(r"^Resource::(\*|arn:\*:iam::\d{12}:role/\*)$"), _SELF_MUTATION),
}
_NAG_PACKS: Final = ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")


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
    """Call once the pipeline is built (`CodePipeline.build_pipeline()`): then every generated resource exists."""
    bind_service_trust(stack)
    checks = AwsSolutionsChecks()
    for construct in stack.node.find_all():
        if isinstance(construct, iam.CfnPolicy) and construct.node.path.endswith("/DefaultPolicy/Resource"):
            _acknowledge_default_policy(construct, checks)
        elif isinstance(construct, codebuild.CfnProject):
            for pack in ("HIPAA.Security", "PCI.DSS.321"):  # NIST 800-53 has no such rule
                acknowledge(
                    construct,
                    f"{pack}-CodeBuildProjectSourceRepoUrl",
                    control="CMP-1",
                    basis="not applicable",
                    how="the project's source type is CODEPIPELINE: it receives the pipeline's artifacts and clones "
                    "no GitHub or Bitbucket repository, so there is no OAuth to configure (the repository is reached "
                    "through the pipeline's CodeConnections connection).",
                )


def _acknowledge_default_policy(policy: iam.CfnPolicy, checks: AwsSolutionsChecks) -> None:
    for pack in _NAG_PACKS:
        acknowledge(
            policy,
            f"{pack}-IAMNoInlinePolicy",
            control="CMP-1",
            basis="met another way",
            how="CDK Pipelines writes each action role's grants as that role's own policy; it is attached to exactly "
            "one role of this stack, used by one pipeline action, and never shared.",
        )
    role_reason = next((reason for path, reason in ROLE_REASONS.items() if f"/{path}/" in policy.node.path), None)
    for violation in checks.validate_scope(policy).violations:
        match = re.fullmatch(r"AwsSolutions-IAM5\[(.+)\]", violation.rule_name)
        if match is None:
            continue
        finding = match.group(1)
        reason = next((text for pattern, text in IAM5_REASONS if pattern.match(finding)), None)
        if reason is None and role_reason is not None and role_reason[0].match(finding):
            reason = role_reason[1]
        if reason is not None:
            acknowledge(policy, violation.rule_name, control="CMP-1", basis="met another way", how=reason)
