"""The `[pipeline]` section: the deployment account, the source, and cells of environments (CMP-1, ACC-1).

A cell is one CDK Pipelines pipeline (`pipeline-<cell>`, stacks/pipeline.py). Its waves follow the stages (dev, test,
staging, prod); an account's baseline deploys in a wave before its first environment. The plan of waves
(`cell_plan`) is computed here, from config alone, so the same numbers decide whether a cell fits CodePipeline's
quotas (a config error) and how the pipeline stack lays it out.

CodePipeline quotas (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html, "Quotas in AWS
CodePipeline"): at most 50 actions in a stage (parallel or sequential) and at most 50 stages in a pipeline.
A wave larger than 50 actions is cut into several pipeline stages; a cell that needs more than 50 stages, or more
actions than `MAX_PIPELINE_ACTIONS`, is over its size budget.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

# CodePipeline quotas (limits page above): actions per stage, stages per pipeline.
MAX_ACTIONS_PER_STAGE: Final = 50
MAX_STAGES_PER_PIPELINE: Final = 50
# Project budget for one pipeline's actions. The current quota page lists no per-pipeline action total; the binding
# limit is CloudFormation's 1 MB template (from S3): the pipeline stack's template takes about 1.7 KB per action
# (620 KB for a 50-environment cell of 373 actions, docs/pipeline.md), so 500 actions stay near 850 KB.
MAX_PIPELINE_ACTIONS: Final = 500
# Source, Synth, SelfMutate, and the asset publishers (one per asset type: `publish_assets_in_parallel=False`).
FIXED_ACTIONS: Final = 5
STAGE_ORDER: Final = ("dev", "test", "staging", "prod")
# The steps before the first production deploy: the danger verdict, then the manual approval.
PROD_GATE_ACTIONS: Final = 2
BASELINE_STACKS: Final = 2
ENVIRONMENT_STACKS: Final = 6  # network, bastion, data-dr, data, backup-dr, backup; +1 with an edge
VERIFY_ACTIONS: Final = 1  # `ops verify` after each environment

# The tag every stack of the delivery machinery carries (the cell pipelines, their support stacks, the tenant
# bootstrap StackSet), so tools and tests that look at tenant stacks can leave them aside.
FLEET_TAG: Final = "fleet-component"

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
Account = Annotated[str, Field(pattern=r"^\d{12}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CellSettings(_Strict):
    """A named group of environments deployed by one pipeline; an account belongs to one cell only."""

    name: Slug
    environments: list[str] = Field(min_length=1)


class PipelineSettings(_Strict):
    """Where the cell pipelines run and what they build from (CMP-1)."""

    account: Account
    region: Literal["us-east-1"] = "us-east-1"
    connection_arn: str = Field(
        pattern=r"^arn:aws:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
    )
    repository: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    branch: str = Field("main", min_length=1, max_length=255)
    # The tenant-account bootstrap StackSet deploys to these organizational units (auto-deployment on).
    organizational_units: list[Annotated[str, Field(pattern=r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")]] = Field(
        min_length=1
    )
    # Stateful replacements or deletions this change accepts before prod (<stack>/<logical id>), as `make diff`'s
    # ALLOW_REPLACE; reviewed with the change that needs them.
    allow_replace: list[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9-]*/[A-Za-z0-9]+$")]] = []
    cells: list[CellSettings] = []


class PipelineEnvironment(Protocol):
    """What the plan needs of an environment (config.model.EnvironmentConfig has it)."""

    @property
    def name(self) -> str: ...

    @property
    def stage(self) -> str: ...

    @property
    def account(self) -> str | None: ...

    @property
    def edge(self) -> object | None: ...


@dataclass(frozen=True)
class Wave:
    """One CodePipeline stage of a cell: baselines (account ids) or environments (names), never both."""

    name: str
    stage: str
    baselines: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    actions: int = 0
    before_prod_gate: bool = False  # the danger verdict and the approval run first in this wave


@dataclass(frozen=True)
class CellPlan:
    name: str
    waves: tuple[Wave, ...]

    @property
    def actions(self) -> int:
        return FIXED_ACTIONS + sum(wave.actions for wave in self.waves)

    @property
    def pipeline_stages(self) -> int:
        return 4 + len(self.waves)  # Source, Build, UpdatePipeline, Assets, then the waves

    def environment_names(self) -> list[str]:
        return [name for wave in self.waves for name in wave.environments]


def environment_actions(env: PipelineEnvironment) -> int:
    return ENVIRONMENT_STACKS + (1 if env.edge is not None else 0) + VERIFY_ACTIONS


def cell_plan(name: str, environments: Sequence[PipelineEnvironment]) -> CellPlan:
    """The waves of one cell: per stage, the new accounts' baselines, then the environments, each cut at 50 actions."""
    waves: list[Wave] = []
    seen_accounts: set[str] = set()
    gate_pending = True
    for stage in STAGE_ORDER:
        members = sorted((env for env in environments if env.stage == stage), key=lambda env: env.name)
        if not members:
            continue
        gate = stage == "prod" and gate_pending
        new_accounts = sorted({env.account for env in members if env.account} - seen_accounts)
        seen_accounts.update(new_accounts)
        chunks: list[tuple[str, list[str], list[str], int]] = []
        room = MAX_ACTIONS_PER_STAGE - (PROD_GATE_ACTIONS if gate else 0)
        current: list[str] = []
        for account in new_accounts:
            if (len(current) + 1) * BASELINE_STACKS > room:
                chunks.append(("baselines", current, [], len(current) * BASELINE_STACKS))
                current, room = [], MAX_ACTIONS_PER_STAGE
            current.append(account)
        if current:
            chunks.append(("baselines", current, [], len(current) * BASELINE_STACKS))
            room = MAX_ACTIONS_PER_STAGE
        names: list[str] = []
        used = 0
        for env in members:
            cost = environment_actions(env)
            if used + cost > room:
                chunks.append(("", [], names, used))
                names, used, room = [], 0, MAX_ACTIONS_PER_STAGE
            names.append(env.name)
            used += cost
        if names:
            chunks.append(("", [], names, used))
        for index, (kind, accounts, envs, actions) in enumerate(chunks):
            label = f"{stage}-{kind}" if kind else stage
            count = sum(1 for chunk in chunks if chunk[0] == kind)
            number = sum(1 for chunk in chunks[:index] if chunk[0] == kind) + 1
            first = gate and index == 0
            waves.append(
                Wave(
                    name=label if count == 1 else f"{label}-{number}",
                    stage=stage,
                    baselines=tuple(accounts),
                    environments=tuple(envs),
                    actions=actions + (PROD_GATE_ACTIONS if first else 0),
                    before_prod_gate=first,
                )
            )
        gate_pending = gate_pending and not gate
    return CellPlan(name=name, waves=tuple(waves))


def cells_of(settings: PipelineSettings, environments: Sequence[PipelineEnvironment]) -> dict[str, list[str]]:
    """Cell name -> environment names; without `cells`, one cell `main` with every environment that has an account."""
    if settings.cells:
        return {cell.name: list(cell.environments) for cell in settings.cells}
    return {"main": [env.name for env in environments if env.account is not None]}


Problem = tuple[str, object, str]


def cell_problem(settings: PipelineSettings, environments: Sequence[PipelineEnvironment]) -> Problem | None:
    """The first thing wrong with the cells, as (field, value, problem), or None (ACC-1, CMP-1)."""
    return next(
        itertools.chain(_membership_problems(settings, environments), _budget_problems(settings, environments)), None
    )


def _membership_problems(settings: PipelineSettings, environments: Sequence[PipelineEnvironment]) -> Iterator[Problem]:
    by_name = {env.name: env for env in environments}
    owner: dict[str, str] = {}
    account_cell: dict[str, str] = {}
    for index, cell in enumerate(settings.cells):
        if any(cell.name == other.name for other in settings.cells[:index]):
            yield f"pipeline.cells[{index}].name", cell.name, "repeats another cell's name; cell names are unique"
        for position, name in enumerate(cell.environments):
            field = f"pipeline.cells[{index}].environments[{position}]"
            env = by_name.get(name)
            if env is None:
                yield field, name, f"is not an environment of this config; known: {', '.join(sorted(by_name))}"
            elif name in owner:
                yield field, name, f"is already in cell {owner[name]!r}; an environment belongs to one cell"
            elif env.account is None:
                yield (
                    field,
                    name,
                    "has no account; a pipeline deploys only to named accounts (an environment-agnostic one stays a "
                    "`cdk deploy` from a workstation)",
                )
            elif account_cell.setdefault(env.account, cell.name) != cell.name:
                yield (
                    field,
                    name,
                    f"deploys to account {env.account} of cell {account_cell[env.account]!r}; an account (and its "
                    "baseline) belongs to one cell",
                )
            owner[name] = cell.name
    for env in environments:
        if settings.cells and env.account is not None and env.name not in owner:
            yield "pipeline.cells", env.name, "is an environment with an account in no cell; add it to one cell"
    if settings.account in {env.account for env in environments}:
        yield "pipeline.account", settings.account, "is a tenant account; run the pipelines in their own account"


def _budget_problems(settings: PipelineSettings, environments: Sequence[PipelineEnvironment]) -> Iterator[Problem]:
    by_name = {env.name: env for env in environments}
    for name, members in cells_of(settings, environments).items():
        if not members:
            yield "pipeline.cells", name, "has no environment with an account to deploy"
            continue
        plan = cell_plan(name, [by_name[member] for member in members])
        if plan.pipeline_stages > MAX_STAGES_PER_PIPELINE or plan.actions > MAX_PIPELINE_ACTIONS:
            yield (
                "pipeline.cells",
                name,
                f"needs {plan.actions} actions in {plan.pipeline_stages} pipeline stages, over the budget of "
                f"{MAX_PIPELINE_ACTIONS} actions and {MAX_STAGES_PER_PIPELINE} stages (CodePipeline quotas); "
                "split it into more cells",
            )
