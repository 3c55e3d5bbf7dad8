#!/usr/bin/env python3
"""The CDK app: validated config in, one set of stacks per environment out, every policy gate attached.

npx cdk synth -c config=path/to/environments.toml   (default: config/environments.toml)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from config import DEFAULT_CONFIG_PATH, AccountSettings, AppConfig, ConfigError, EnvironmentConfig, load_config
from config.pipeline import cell_plan, cells_of
from constructs import Construct
from constructs.restore_tests import RestorePlacement
from policies.acknowledgements import recording_acknowledgements
from policies.control_tower import StrictCfnGuard
from policies.gate_report import GateCounts, crashed_gates, failed_gates, gate_counts
from policies.gate_timing import GateCallback, GateRun
from policies.packs import attach_policy_gates
from policies.pipeline_order import PipelineProdOrder
from policies.stage_twins import StageTwins
from policies.synth_timeline import Timeline
from policies.validation_engine import start_early_if_cold
from stacks.backup import BackupStack
from stacks.backup_dr import BackupDrStack
from stacks.baseline import BaselineStack
from stacks.baseline_dr import BaselineDrStack
from stacks.bastion import BastionStack
from stacks.data import DataStack
from stacks.data_dr import DataDrStack
from stacks.edge import EdgeStack
from stacks.network import NetworkStack
from stacks.pipeline import CellPipelineStack, CellStages
from stacks.pipeline_artifacts import PipelineSupportStack
from stacks.pipeline_stage import DeploymentStage
from stacks.pipeline_steps import Target
from stacks.stage_assembly_cache import stage_key
from stacks.tenant_bootstrap import TenantBootstrapStack

# CDK feature flags live here, not in cdk.json, so `cdk synth` and the tests' in-process synth build the same
# templates (cdk.json context reaches only apps started by the CLI).
CDK_FEATURE_FLAGS: dict[str, object] = {
    "@aws-cdk/core:checkSecretUsage": True,
    "@aws-cdk/core:target-partitions": ["aws"],
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/core:validateSnapshotRemovalPolicy": True,
    "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup": True,
    "@aws-cdk/aws-kms:aliasNameRef": True,
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    "@aws-cdk/aws-rds:databaseProxyUniqueResourceName": True,
    "@aws-cdk/aws-kms:reduceCrossAccountRegionPolicyScope": True,
    "@aws-cdk/aws-ec2:ebsDefaultGp3Volume": True,
    "@aws-cdk/aws-s3:createDefaultLoggingPolicy": True,
    "@aws-cdk/aws-iam:standardizedServicePrincipals": True,
    "@aws-cdk/core:enablePartitionLiterals": True,
    "@aws-cdk/aws-s3:publicAccessBlockedByDefault": True,
    # Cross-stack references stay CloudFormation exports, which protect a producer from deleting what is used.
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
}


# What the CDK CLI sets by default, so an in-process synth (the tests) writes the same templates as `cdk synth`:
# each resource's construct path in its Metadata, which lets an auditor trace a resource back to the code.
CLI_DEFAULT_CONTEXT: dict[str, object] = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}


def new_app(**kwargs: Any) -> cdk.App:
    """An App with the project's feature flags; tests and the CLI entry point both use it."""
    context = {**CDK_FEATURE_FLAGS, **CLI_DEFAULT_CONTEXT, **kwargs.pop("context", {})}
    # The built-in template validation runs as one of the gates, cached per template (policies/template_validation.py).
    kwargs.setdefault("builtin_cloud_formation_validation", False)
    return cdk.App(context=context, **kwargs)


@dataclass(frozen=True)
class EnvironmentStacks:
    network: NetworkStack
    bastion: BastionStack
    data_dr: DataDrStack
    data: DataStack
    backup_dr: BackupDrStack
    backup: BackupStack
    edge: EdgeStack | None = None

    def all(self) -> list[cdk.Stack]:
        stacks: list[cdk.Stack] = [self.network, self.bastion, self.data_dr, self.data, self.backup_dr, self.backup]
        return [*stacks, self.edge] if self.edge is not None else stacks


@dataclass(frozen=True)
class AccountBaseline:
    """An account's security baseline: the home-region and the DR-region stack."""

    home: BaselineStack
    dr: BaselineDrStack

    def depended_on_by(self, stacks: EnvironmentStacks) -> None:
        """Every tenant stack deploys after its region's baseline (the DR baseline after the home one): the
        bastion's CloudTrail and GuardDuty rules need the trail and the detector (ACC-2, ACC-4, NET-5)."""
        for stack in stacks.all():
            baseline = self.dr if stack.region == self.dr.region else self.home
            stack.add_stack_dependency(baseline, "the account baseline (trail, detector, RDSOSMetrics) comes first")


def add_baseline(scope: Construct, settings: AccountSettings, environment_names: list[str]) -> AccountBaseline:
    """The security baseline of one account (ACC-4, ACC-5, NET-4..6, CMP-1), shared by its environments."""
    home = BaselineStack(scope, settings=settings, environment_names=environment_names)
    return AccountBaseline(home=home, dr=BaselineDrStack(scope, settings=settings, home=home))


def add_environment(scope: Construct, env_config: EnvironmentConfig) -> EnvironmentStacks:
    """The stacks of one isolated environment (ACC-1), wired by typed references, never by lookups.

    `scope` is the App (standalone, `cdk deploy`) or a `cdk.Stage` of a cell pipeline: the stacks keep their names
    and templates in both (tests/test_pipeline_stages.py)."""
    network = NetworkStack(scope, env_config=env_config)
    bastion = BastionStack(scope, env_config=env_config, network=network)
    data_dr = DataDrStack(scope, env_config=env_config)
    data = DataStack(scope, env_config=env_config, network=network, data_dr=data_dr)
    backup_dr = BackupDrStack(scope, env_config=env_config)
    backup = BackupStack(
        scope,
        env_config=env_config,
        database_arn=data.database.instance.instance_arn,
        bucket_arn=data.data_bucket.bucket.bucket_arn,
        bucket_name=data.data_bucket.bucket.bucket_name,
        replica_bucket_name=data_dr.replica_target().bucket_name,
        # BAK-6: restore tests land where the originals live (the bastion's placement as the bastion stack uses it).
        restore_placement=RestorePlacement(
            database_subnet_group_name=data.database.subnet_group.subnet_group_name,
            database_security_group_id=network.security_groups.database.security_group_id,
            instance_subnet_id=network.network.public_subnets[0].subnet_id,
            instance_security_group_id=network.security_groups.bastion.security_group_id,
        ),
    )
    backup.add_stack_dependency(bastion, "the bastion is selected by tag: it must exist for its first backup")
    backup.add_stack_dependency(backup_dr, "the DR vault must exist before the first copy job (BAK-5)")
    edge = (
        EdgeStack(scope, env_config=env_config, settings=env_config.edge, network=network) if env_config.edge else None
    )
    return EnvironmentStacks(
        network=network, bastion=bastion, data_dr=data_dr, data=data, backup_dr=backup_dr, backup=backup, edge=edge
    )


def build(
    app: cdk.App,
    config: AppConfig,
    *,
    cell: str | None = None,
    on_gate_done: GateCallback | None = None,
    head_start: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, EnvironmentStacks]:
    """Add every account's baseline and every environment's stacks (only those of `cell`, when named), each cell's
    pipeline (config `pipeline`), and attach the policy gates to the whole app. `head_start`: the app is synthesized
    next, so the Control Tower gate may start on the cell stages' templates while the rest is built. `on_step` hears
    a progress line once the cell stages are built or restored."""
    cells = pipeline_cells(config)
    members = set(cells[cell]) if cell is not None else None
    wanted = [env for env in config.environments if members is None or env.name in members]
    # The cells' stages first: their templates are the standalone stacks' twins (the StageTwins gate proves them
    # byte-identical), so Control Tower checks them on the second core while the kernel builds the stacks below; the
    # gate takes those runs for the standalone templates with the same checked content (policies/control_tower.py).
    stages_of = {name: add_cell_stages(app, config, name) for name in cells if cell in (None, name)}
    if on_step is not None and stages_of:
        stages = [stage for each in stages_of.values() for stage in each.all_stages()]
        restored = sum(stage.restored for stage in stages)
        on_step(f"cell stages: {len(stages) - restored} built, {restored} from the stage cache")
    control_tower = StrictCfnGuard()
    if head_start:  # only a head start: if it fails, the gate checks every template itself
        with contextlib.suppress(Exception):
            control_tower.start([path for each in stages_of.values() for path in each.template_paths()])
    baselines = {
        settings.account: add_baseline(
            app, settings, [env.name for env in config.environments if env.account == settings.account]
        )
        for settings in config.baselines()
        if members is None or settings.account in {env.account for env in wanted}
    }
    environments: dict[str, EnvironmentStacks] = {}
    for env_config in wanted:
        environments[env_config.name] = add_environment(app, env_config)
        baselines[env_config.account].depended_on_by(environments[env_config.name])
    cell_stages = [add_cell_pipeline(app, config, name, stages=stages_of[name]) for name in stages_of]
    if config.pipeline is not None and cell is None:  # deployed once from a workstation (docs/pipeline.md)
        regions = sorted({r for env in config.environments if env.account for r in (env.region, env.dr_region)})
        TenantBootstrapStack(app, settings=config.pipeline, regions=regions)
    attach_policy_gates(app, on_gate_done=on_gate_done, control_tower=control_tower)
    if cell_stages:
        stages = [stage for each in cell_stages for stage in each.all_stages()]
        prod = [stage for each in cell_stages for stage in each.prod]
        cdk.Validations.of(app).add_plugins(
            StageTwins(lambda: [item for stage in stages for item in stage.stack_templates().items()]),
            PipelineProdOrder(lambda: [name for stage in prod for name in stage.stack_templates()]),
        )
    return environments


def pipeline_cells(config: AppConfig) -> dict[str, list[str]]:
    """Cell name -> its environments' names; empty without a `[pipeline]` section."""
    return cells_of(config.pipeline, config.environments) if config.pipeline is not None else {}


def stage_context(app: cdk.App) -> dict[str, object]:
    """The app's context for a pipeline stage, so its stacks synthesize as the app's do."""
    keys = [*CDK_FEATURE_FLAGS, *CLI_DEFAULT_CONTEXT, "aws:cdk:bundling-stacks"]
    return {key: value for key in keys if (value := app.node.try_get_context(key)) is not None}


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


class SynthProgress:
    """Short progress lines on stderr: what step, how long. Plain lines, so CI logs stay readable.

    aws-cdk-lib applies acknowledgements after the last gate, so each gate's line ("gate X: 18 findings, 18
    acknowledged, 0 open, 1.2s") is printed once the report says which findings were acknowledged. Each step, each
    gate when it ends, is also a mark of the synth's timeline (`make bench` reads it: policies/synth_timeline.py)."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._runs: list[GateRun] = []
        self.timeline = Timeline()

    def say(self, message: str) -> None:
        self.timeline.mark(message.split(":", maxsplit=1)[0])
        self._print(message)

    def _print(self, message: str) -> None:
        print(f"synth [{time.perf_counter() - self._started:5.1f}s] {message}", file=sys.stderr, flush=True)

    def gate_done(self, run: GateRun) -> None:
        self._runs.append(run)
        self.timeline.mark(f"gate {run.name}", run.seconds)

    def gates_reported(self, counts: dict[str, GateCounts]) -> None:
        for run in self._runs:
            self._print(gate_line(run, counts.get(run.name, GateCounts(acknowledged=0, open=run.findings))))


def gate_line(run: GateRun, counts: GateCounts) -> str:
    if not run.reports_acknowledged:  # a cdk-nag pack: its acknowledged findings never reach the report
        return f"gate {run.name}: {counts.open} open, {run.seconds:.1f}s"
    findings = counts.acknowledged + counts.open
    noun = "finding" if findings == 1 else "findings"
    tally = f"{findings} {noun}, {counts.acknowledged} acknowledged, {counts.open} open"
    return f"gate {run.name}: {tally}, {run.seconds:.1f}s"


def end_without_teardown(code: int) -> None:
    """Exit once the assembly and every line are written: the exit handlers run (jsii stops its kernel, waits for it
    and removes its files), the interpreter's teardown of the construct tree's objects (about 0.4 s the CLI waited
    for, issue 25) does not."""
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)


def main() -> int:
    progress = SynthProgress()
    app = new_app()
    config_path = app.node.try_get_context("config") or DEFAULT_CONFIG_PATH
    try:
        config = load_config(config_path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    progress.say(f"config validated: {len(config.environments)} environment(s) from {config_path}")
    cell = app.node.try_get_context("cell") or None
    if cell is not None and cell not in pipeline_cells(config):
        known = ", ".join(pipeline_cells(config)) or "none: the config has no [pipeline] section"
        print(f"config error: cell = {cell!r}: no such cell; known cells: {known}", file=sys.stderr)
        return 2
    start_early_if_cold()  # a cold synth's validation engine starts on the second core while the stacks are built
    build(app, config, cell=cell, on_gate_done=progress.gate_done, head_start=True, on_step=progress.say)
    progress.say(f"stacks built: {sum(isinstance(c, cdk.Stack) for c in app.node.children)} stacks; running the gates")
    app.synth()  # under the CLI, unacknowledged findings are printed and set the exit status; they do not raise
    progress.timeline.mark("assembly written")
    progress.timeline.write()
    progress.gates_reported(gate_counts(app.outdir))
    if crashed := crashed_gates(app.outdir):
        for line in crashed:
            print(f"synth error: gate did not run: {line}", file=sys.stderr)
        return 1
    if failed := failed_gates(app.outdir):
        for line in failed:
            print(f"synth error: {line}", file=sys.stderr)
        progress.say(f"{len(failed)} unacknowledged finding(s): fix the resource, or acknowledge it with a reason")
        return 1
    progress.say(f"every gate passed; templates written to {app.outdir}")
    return 0


if __name__ == "__main__":
    end_without_teardown(main())
