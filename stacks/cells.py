"""A cell's pipeline: its deployment stages (restored from the stage assembly cache or built) and its
`pipeline-<cell>` stack with the DR regions' artifact stores (CMP-1, docs/pipeline.md).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk

from config import AppConfig, EnvironmentConfig
from config.cdk_context import STAGE_CONTEXT_KEYS
from config.pipeline import cell_plan, cells_of
from policies.acknowledgements import recording_acknowledgements
from stacks.environment_set import add_baseline, add_environment
from stacks.pipeline import CellPipelineStack, CellStages
from stacks.pipeline_artifacts import PipelineSupportStack
from stacks.pipeline_stage import DeploymentStage
from stacks.pipeline_steps import Target
from stacks.stage_assembly_cache import stage_key


def pipeline_cells(config: AppConfig) -> dict[str, list[str]]:
    """Cell name -> its environments' names; empty without a `[pipeline]` section."""
    return cells_of(config.pipeline, config.environments) if config.pipeline is not None else {}


def stage_context(app: cdk.App) -> dict[str, object]:
    """The app's context for a pipeline stage, so its stacks synthesize as the app's do."""
    return {key: value for key in STAGE_CONTEXT_KEYS if (value := app.node.try_get_context(key)) is not None}


def add_cell_stages(app: cdk.App, config: AppConfig, cell: str) -> CellStages:
    """One synthesized deployment stage per account baseline and per environment of the cell, each built by the same
    code as the standalone stacks (byte-identical templates, the StageTwins gate), or restored from the stage
    assembly cache (stacks/stage_assembly_cache.py)."""
    envs = cell_environments(config, cell)
    context = stage_context(app)
    config_json = config.model_dump_json()

    def stage(name: str) -> DeploymentStage:
        """A stage restored from the stage assembly cache when its key is there (then its stacks are not built)."""
        # A build that records acknowledgements instead of applying them (a test hook) is not what the cache holds.
        key = (
            None
            if recording_acknowledgements()
            else stage_key(config=config_json, cell=cell, name=name, context=context)
        )
        return DeploymentStage(
            name, outdir=Path(app.outdir) / f"assembly-{cell}-{name}", context=context, cache_key=key
        )

    baselines: dict[str, DeploymentStage] = {}
    environments: dict[str, DeploymentStage] = {}
    targets: dict[str, Target] = {}
    for settings in config.baselines():
        if settings.account in {env.account for env in envs} and settings.account is not None:
            baselines[settings.account] = stage(f"account-{settings.account}")
            if not baselines[settings.account].restored:
                add_baseline(
                    baselines[settings.account],
                    settings,
                    [env.name for env in config.environments if env.account == settings.account],
                )
    for env in envs:
        assert env.account is not None  # validated: a cell holds only environments with an account
        environments[env.name] = stage(env.name)
        if not environments[env.name].restored:
            add_environment(environments[env.name], env)
        targets[env.name] = Target(name=env.name, account=env.account, region=env.region, dr_region=env.dr_region)
    plan = cell_plan(cell, envs)
    prod_waves = [wave for wave in plan.waves if wave.stage == "prod"]
    stages = CellStages(
        baselines=baselines,
        environments=environments,
        targets=targets,
        prod=tuple(
            [baselines[account] for wave in prod_waves for account in wave.baselines]
            + [environments[name] for wave in prod_waves for name in wave.environments]
        ),
    )
    for each in stages.all_stages():
        each.stack_templates()  # synthesized as CDK Pipelines does it (add_stage then reuses the assembly)
    return stages


def cell_environments(config: AppConfig, cell: str) -> list[EnvironmentConfig]:
    return [env for env in config.environments if env.name in set(pipeline_cells(config)[cell])]


def add_cell_pipeline(app: cdk.App, config: AppConfig, cell: str, *, stages: CellStages | None = None) -> CellStages:
    """The `pipeline-<cell>` stack deploying the cell's stages (`add_cell_stages`, built here unless given)."""
    assert config.pipeline is not None
    stages = stages or add_cell_stages(app, config, cell)
    envs = cell_environments(config, cell)
    plan = cell_plan(cell, envs)
    support_regions = sorted({env.dr_region for env in envs} - {config.pipeline.region})
    pipeline = CellPipelineStack(
        app,
        settings=config.pipeline,
        plan=plan,
        stages=stages,
        config_path=str(app.node.try_get_context("config") or "config/environments.toml"),
        support_regions=support_regions,
    )
    for region in support_regions:
        support = PipelineSupportStack(
            app,
            cell=cell,
            account=config.pipeline.account,
            region=region,
            targets=[target.account for target in stages.targets.values()],
        )
        pipeline.add_stack_dependency(support, "the DR region's artifact store exists before the pipeline uses it")
    return stages
