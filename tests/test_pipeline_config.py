"""The `[pipeline]` section: cells cover the fleet exactly once, accounts stay in one cell, cells fit CodePipeline's
quotas (CMP-1, ACC-1). Every rejection is one line naming the field, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from config import ConfigError, parse_config
from config.pipeline import MAX_ACTIONS_PER_STAGE, cell_plan, cells_of
from tests.fleet_configs import fleet, fleet_data


def rejection(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def test_cmp1_default_cell_holds_every_environment_with_an_account(example_config: Any) -> None:
    assert example_config.pipeline is not None
    assert cells_of(example_config.pipeline, example_config.environments) == {"main": ["acme-prod"]}


def test_cmp1_probe_environment_in_two_cells_is_refused() -> None:
    names = [f"t00{index}-{stage}" for index, stage in enumerate(("prod", "dev", "staging"))]
    data = fleet_data(3, cells=[{"name": "a", "environments": names}, {"name": "b", "environments": [names[0]]}])
    assert rejection(data) == (
        "config error: pipeline.cells[1].environments[0] = 't000-prod': is already in cell 'a'; an environment "
        "belongs to one cell"
    )


def test_cmp1_probe_environment_in_no_cell_is_refused() -> None:
    data = fleet_data(3, cells=[{"name": "a", "environments": ["t000-prod", "t001-dev"]}])
    assert rejection(data).startswith(
        "config error: pipeline.cells = 't002-staging': is an environment with an account"
    )


def test_cmp1_probe_unknown_environment_is_refused() -> None:
    data = fleet_data(1, cells=[{"name": "a", "environments": ["t000-prod", "nobody-prod"]}])
    assert "pipeline.cells[0].environments[1] = 'nobody-prod': is not an environment of this config" in rejection(data)


def test_acc1_probe_account_split_over_two_cells_is_refused() -> None:
    data = fleet_data(2, cells=[{"name": "a", "environments": ["t000-prod"]}, {"name": "b", "environments": []}])
    data["environments"][1]["account"] = data["environments"][0]["account"]
    data["pipeline"]["cells"][1]["environments"] = ["t001-dev"]
    assert "an account (and its baseline) belongs to one cell" in rejection(data)


def test_cmp1_probe_environment_without_account_cannot_join_a_cell() -> None:
    data = fleet_data(1, cells=[{"name": "a", "environments": ["t000-prod"]}])
    data["environments"][0].pop("account")
    data["accounts"] = []
    assert "has no account; a pipeline deploys only to named accounts" in rejection(data)


def test_cmp1_probe_pipeline_in_a_tenant_account_is_refused() -> None:
    data = fleet_data(1)
    data["pipeline"]["account"] = data["environments"][0]["account"]
    assert "is a tenant account; run the pipelines in their own account" in rejection(data)


def test_cmp1_probe_cell_over_its_size_budget_is_refused() -> None:
    """More environments than 500 actions hold: a config error before anything is built (CodePipeline quotas)."""
    problem = rejection(fleet_data(70))
    assert problem.startswith("config error: pipeline.cells = 'main': needs ")
    assert "over the budget of 500 actions and 50 stages (CodePipeline quotas); split it into more cells" in problem


def test_cmp1_waves_follow_the_stages_and_fit_50_actions_per_stage() -> None:
    config = fleet(50)
    plan = cell_plan("main", config.environments)
    stages = [wave.stage for wave in plan.waves]
    assert stages == sorted(stages, key=("dev", "test", "staging", "prod").index)
    assert all(wave.actions <= MAX_ACTIONS_PER_STAGE for wave in plan.waves)
    assert sorted(plan.environment_names()) == sorted(env.name for env in config.environments)
    assert [wave.name for wave in plan.waves if wave.before_prod_gate] == ["prod-baselines"]
