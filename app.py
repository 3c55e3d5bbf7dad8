#!/usr/bin/env python3
"""The CDK app: validated config in, one set of stacks per environment out, every policy gate attached.

npx cdk synth -c config=path/to/environments.toml   (default: config/environments.toml)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk

from config import DEFAULT_CONFIG_PATH, AppConfig, ConfigError, load_config
from config.cdk_context import CDK_FEATURE_FLAGS, CLI_DEFAULT_CONTEXT
from policies.control_tower import StrictCfnGuard
from policies.gate_report import crashed_gates, failed_gates, gate_counts
from policies.gate_timing import GateCallback
from policies.packs import attach_policy_gates
from policies.pipeline_order import PipelineProdOrder
from policies.stage_twins import StageTwins
from policies.synth_progress import SynthProgress, gate_line
from policies.validation_engine import start_early_if_cold
from stacks.cells import add_cell_pipeline, add_cell_stages, pipeline_cells, stage_context
from stacks.environment_set import AccountBaseline, EnvironmentStacks, add_baseline, add_environment
from stacks.tenant_bootstrap import TenantBootstrapStack

# What tests and tools import from the app (the pieces live in config/, stacks/ and policies/).
__all__ = [
    "CDK_FEATURE_FLAGS",
    "CLI_DEFAULT_CONTEXT",
    "AccountBaseline",
    "EnvironmentStacks",
    "add_baseline",
    "add_cell_pipeline",
    "add_environment",
    "build",
    "gate_line",
    "new_app",
    "stage_context",
]


def new_app(**kwargs: Any) -> cdk.App:
    """An App with the project's feature flags; tests and the CLI entry point both use it."""
    context = {**CDK_FEATURE_FLAGS, **CLI_DEFAULT_CONTEXT, **kwargs.pop("context", {})}
    # The built-in template validation runs as one of the gates, cached per template (policies/template_validation.py).
    kwargs.setdefault("builtin_cloud_formation_validation", False)
    return cdk.App(context=context, **kwargs)


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
