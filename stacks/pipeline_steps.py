"""The steps a cell pipeline runs besides deploying: the danger verdict and approval before prod, `ops verify` after
each environment (CMP-1, BAK-*, ACC-*: the promises checked where they live, on every release).

Both read the tenant accounts through read-only roles that the tenant bootstrap StackSet creates or that CDK's
bootstrap has (stacks/tenant_bootstrap.py): the bootstrap lookup role for the deployed templates, the fleet auditor
role (the published `ops-verify.json` policy) for `ops verify`. The environment's own auditor job role requires MFA
(ACC-8), which a build cannot give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import jsii
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines

from constructs import Construct

BOOTSTRAP_QUALIFIER: Final = "hnb659fds"
FLEET_AUDITOR_ROLE: Final = "fleet-verify-auditor"
BUILD_IMAGE: Final = codebuild.LinuxBuildImage.STANDARD_7_0  # Python 3.11 and Node 20, as the project pins
# The verdict imports diff_verdict (the runtime group) and boto3 (the ops group); `make verify` installs its own.
VERDICT_SETUP: Final = "make .venv/.runtime-installed .venv/.ops-installed"


def lookup_role_arn(account: str, region: str) -> str:
    """CDK's bootstrap lookup role (ReadOnlyAccess, trusted by the pipeline account through `--trust-for-lookup`)."""
    return f"arn:aws:iam::{account}:role/cdk-{BOOTSTRAP_QUALIFIER}-lookup-role-{account}-{region}"


def auditor_role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{FLEET_AUDITOR_ROLE}"


@dataclass(frozen=True)
class Target:
    """Where one environment runs, for the steps that read it."""

    name: str
    account: str
    region: str
    dr_region: str


def danger_verdict_step(
    *,
    source: pipelines.IFileSetProducer,
    assembly: pipelines.FileSet,
    stage_directories: Sequence[str],
    targets: Sequence[Target],
    allow_replace: Sequence[str],
) -> pipelines.CodeBuildStep:
    """The project's diff verdict (diff_verdict/) of the prod stages against what is deployed: exit 2, and the
    pipeline stops, on a stateful replacement or deletion that `pipeline.allow_replace` does not accept."""
    regions = sorted({(t.account, region) for t in targets for region in (t.region, t.dr_region)})
    return pipelines.CodeBuildStep(
        "DangerVerdict",
        input=source,
        additional_inputs={"cdk.out": assembly},
        build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE),
        env={"ALLOW_REPLACE": ",".join(allow_replace)},
        commands=[
            VERDICT_SETUP,
            ".venv/bin/python scripts/deployed_base.py --assembly cdk.out --base base.out --head head.out "
            + " ".join(f"--stage {directory}" for directory in stage_directories),
            '.venv/bin/python -m diff_verdict --base base.out --head head.out --allow-replace "$ALLOW_REPLACE"',
        ],
        role_policy_statements=[
            iam.PolicyStatement(
                sid="ReadDeployedTemplatesThroughLookupRoles",
                actions=["sts:AssumeRole"],
                resources=[lookup_role_arn(account, region) for account, region in regions],
            )
        ],
    )


def prod_approval(verdict: pipelines.Step) -> pipelines.ManualApprovalStep:
    """Starts only when the verdict passed; the approver reads the verdict's report in its build log."""
    approval = pipelines.ManualApprovalStep(
        "ApproveProd",
        comment="Before approving, read the DangerVerdict action's build log in this execution: the diff verdict "
        "of every prod stack against what is deployed (dangers first, then security widening).",
    )
    approval.add_step_dependency(verdict)
    return approval


class VerifyProject(Construct):
    """One CodeBuild project that every `VerifyStep` of a pipeline runs, with the environment as action variables,
    started through one action role (one project or action role per step would add a project, a role and a policy
    per environment to the pipeline stack: 150 resources in a 50-environment cell)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        accounts: Sequence[str],
        config_path: str,
        logging: codebuild.LoggingOptions | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.project = codebuild.PipelineProject(
            self,
            "Project",
            description="ops verify of one deployed environment through the fleet auditor role (read-only)",
            environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE),
            logging=logging,
            build_spec=codebuild.BuildSpec.from_object(
                {
                    "version": "0.2",
                    "phases": {
                        "build": {
                            "commands": [
                                'aws configure set profile.tenant.role_arn "$AUDITOR_ROLE_ARN"',
                                "aws configure set profile.tenant.credential_source EcsContainer",
                                "AWS_PROFILE=tenant AWS_REGION=$TARGET_REGION make verify "
                                f'ENV="$ENVIRONMENT" CONFIG={config_path}',
                            ]
                        },
                    },
                }
            ),
        )
        # The role CodePipeline assumes to start the builds; CodePipeline grants it StartBuild on the project and the
        # pipeline role sts:AssumeRole on it, as for the roles it creates per action (trusted by this account).
        self.action_role = iam.Role(
            self,
            "ActionRole",
            assumed_by=iam.AccountRootPrincipal(),
            description="starts the ops verify builds of this pipeline's environments (CMP-1)",
        )
        self.project.add_to_role_policy(
            iam.PolicyStatement(
                sid="VerifyThroughFleetAuditorRoles",
                actions=["sts:AssumeRole"],
                resources=[auditor_role_arn(account) for account in sorted(set(accounts))],
            )
        )


@jsii.implements(pipelines.ICodePipelineActionFactory)
class VerifyStep(pipelines.Step):
    """`ops verify` of one environment after its stacks deployed, run by the shared `VerifyProject`."""

    def __init__(self, target: Target, *, source: pipelines.FileSet, project: VerifyProject) -> None:
        super().__init__("Verify")
        self._target = target
        self._source = source
        self._project = project
        self._add_dependency_file_set(source)

    def produce_action(
        self,
        stage: codepipeline.IStage,
        *,
        action_name: str,
        artifacts: pipelines.ArtifactMap,
        pipeline: pipelines.CodePipeline,
        run_order: jsii.Number,
        scope: Construct,
        stack_outputs_map: pipelines.StackOutputsMap,
        **_: Any,
    ) -> pipelines.CodePipelineActionFactoryResult:
        variables = {
            "ENVIRONMENT": self._target.name,
            "TARGET_REGION": self._target.region,
            "AUDITOR_ROLE_ARN": auditor_role_arn(self._target.account),
        }
        stage.add_action(
            actions.CodeBuildAction(
                action_name=action_name,
                run_order=int(run_order),
                project=self._project.project,
                role=self._project.action_role,
                input=artifacts.to_code_pipeline(self._source),
                environment_variables={
                    key: codebuild.BuildEnvironmentVariable(value=value) for key, value in variables.items()
                },
            )
        )
        return pipelines.CodePipelineActionFactoryResult(run_orders_consumed=1)
