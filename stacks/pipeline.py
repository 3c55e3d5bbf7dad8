"""One CDK Pipelines pipeline per cell, `pipeline-<cell>` (CMP-1): every template reaches an account only through it.

Source (a CodeConnections repository and branch) -> Synth: the README's `make synth` for this cell, so every gate
runs and a finding fails the build; the deployed assembly is the gated one -> UpdatePipeline (self-mutation) ->
Assets -> the waves of `config.pipeline.cell_plan`: per stage (dev, test, staging, prod) the new accounts' baselines,
then the environments in parallel, each a `cdk.Stage` of its stacks followed by `ops verify`. The first prod wave
starts with the danger verdict against what is deployed and then a manual approval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_logs as logs
from aws_cdk import pipelines

from config.pipeline import FLEET_TAG, CellPlan, PipelineSettings
from constructs import Construct
from constructs.purpose_keys import PurposeKeys, logs_service_use
from stacks.pipeline_acknowledgements import acknowledge_pipeline_findings
from stacks.pipeline_artifacts import ArtifactStore, deploy_roles, imported_store, store_names
from stacks.pipeline_permissions import DrStore, PipelinePermissions
from stacks.pipeline_stage import DeploymentStage
from stacks.pipeline_steps import (
    BUILD_IMAGE,
    Target,
    VerifyProject,
    VerifyStep,
    danger_verdict_step,
    prod_approval,
)


def pipeline_stack_name(cell: str) -> str:
    return f"pipeline-{cell}"


@dataclass(frozen=True)
class CellStages:
    """The cell's deployment stages: account id -> its baseline's stage, environment name -> its stage."""

    baselines: Mapping[str, DeploymentStage]
    environments: Mapping[str, DeploymentStage]
    targets: Mapping[str, Target]
    prod: tuple[DeploymentStage, ...] = ()  # the stages deployed in prod waves (after the verdict and approval)

    def all_stages(self) -> list[DeploymentStage]:
        return [*self.baselines.values(), *self.environments.values()]

    def template_paths(self) -> list[str]:
        return [str(path) for stage in self.all_stages() for path in stage.stack_templates().values()]


class CellPipelineStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        *,
        settings: PipelineSettings,
        plan: CellPlan,
        stages: CellStages,
        config_path: str,
        support_regions: Sequence[str],
        **kwargs: Any,
    ) -> None:
        name = pipeline_stack_name(plan.name)
        super().__init__(
            scope,
            name,
            stack_name=name,
            env=cdk.Environment(account=settings.account, region=settings.region),
            description=f"{name}: CDK Pipelines cell pipeline of {len(stages.environments)} environment(s) (CMP-1)",
            termination_protection=True,
            analytics_reporting=False,
            **kwargs,
        )
        for key, value in {"managed-by": "cdk", "pipeline-cell": plan.name, FLEET_TAG: "pipeline"}.items():
            cdk.Tags.of(self).add(key, value)
        targets = list(stages.targets.values())
        self.store = ArtifactStore(
            self, "Artifacts", cell=plan.name, readers=deploy_roles([t.account for t in targets], self.region)
        )
        self.build_logs = build_log_group(self, cell=plan.name)
        build_defaults = pipelines.CodeBuildOptions(
            build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE),
            logging=codebuild.LoggingOptions(cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.build_logs)),
        )
        source = pipelines.CodePipelineSource.connection(
            settings.repository, settings.branch, connection_arn=settings.connection_arn
        )
        self.synth_step = pipelines.ShellStep(
            "Synth",
            input=source,
            commands=[f"make synth CELL={plan.name} CONFIG={config_path}"],
            primary_output_directory="cdk.out",
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=name,
            pipeline_type=codepipeline.PipelineType.V2,
            self_mutation=True,
            cross_account_keys=True,
            use_change_sets=False,  # one action per stack: more environments fit CodePipeline's 50 per stage
            publish_assets_in_parallel=False,  # one publisher per asset type, whatever the cell's size
            enable_key_rotation=True,
            # The home region's store is the artifact bucket (CodePipeline takes it from this map).
            cross_region_replication_buckets={
                self.region: self.store.bucket,
                **{
                    region: imported_store(self, f"Store{region}", cell=plan.name, account=self.account, region=region)
                    for region in support_regions
                },
            },
            synth=self.synth_step,
            code_build_defaults=build_defaults,
        )
        self.verify_project = VerifyProject(
            self,
            "Verify",
            accounts=[target.account for target in stages.targets.values()],
            config_path=config_path,
            logging=build_defaults.logging,
        )
        source_files = source.primary_output
        assert source_files is not None  # a repository source always has its files as output
        for planned in plan.waves:
            wave = self.pipeline.add_wave(planned.name)
            if planned.before_prod_gate:
                prod = [stages.targets[env] for w in plan.waves if w.stage == "prod" for env in w.environments]
                verdict = danger_verdict_step(
                    source=source,
                    assembly=self.synth_step.primary_output or source_files,
                    stage_directories=[stage_directory(stage) for stage in stages.prod],
                    targets=prod,
                    allow_replace=settings.allow_replace,
                )
                wave.add_pre(verdict, prod_approval(verdict))
            for account in planned.baselines:
                wave.add_stage(stages.baselines[account])
            for env in planned.environments:
                verify = VerifyStep(stages.targets[env], source=source_files, project=self.verify_project)
                wave.add_stage(stages.environments[env], post=[verify])
        self.pipeline.build_pipeline()
        self.permissions = PipelinePermissions(
            self,
            "Permissions",
            bucket=self.store.bucket,
            key=self.store.key,
            dr_stores=[dr_store(plan.name, self.account, region) for region in support_regions],
            build_logs=self.build_logs,
        )
        self.permissions.apply()
        # The pipeline starts only once its role holds its permissions (CDK's default policy was a dependency).
        pipeline_resource = self.pipeline.pipeline.node.default_child
        assert isinstance(pipeline_resource, cdk.CfnResource)
        for policy in self.permissions.attached_to(self.pipeline.pipeline.role):
            pipeline_resource.node.add_dependency(policy)
        acknowledge_pipeline_findings(self)


def dr_store(cell: str, account: str, region: str) -> DrStore:
    bucket_name, alias = store_names(cell, account, region)
    return DrStore(region=region, bucket_name=bucket_name, key_alias=alias)


def stage_directory(stage: DeploymentStage) -> str:
    """The stage's assembly folder inside the app's cloud assembly (the synth step's output)."""
    return stage.outdir.rstrip("/").rsplit("/", 1)[-1]


def build_log_group(scope: Construct, *, cell: str) -> logs.LogGroup:
    """Every build of the pipeline logs here, under a customer-managed key, for a year (ACC-4, ENC-3)."""
    keys = PurposeKeys(
        scope,
        "Keys",
        alias_prefix=f"pipeline-{cell}",
        purposes={"logs": []},
        service_users={"logs": [logs_service_use(cdk.Stack.of(scope))]},
    )
    return logs.LogGroup(
        scope,
        "BuildLogs",
        encryption_key=keys.keys["logs"],
        retention=logs.RetentionDays.ONE_YEAR,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
