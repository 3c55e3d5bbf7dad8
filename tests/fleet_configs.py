"""Generated fleets for the cell pipeline tests: N environments over the four stages, a few accounts, one cell.

Built from the example config's first environment (its operators, access and database settings), so every
generated environment passes the same validation as the example.
"""

from __future__ import annotations

import copy
import tomllib
from typing import Any

from config import DEFAULT_CONFIG_PATH, AppConfig, parse_config

STAGES = ("prod", "dev", "staging", "test")  # one environment is a prod one; three reach prod too
PIPELINE_ACCOUNT = "999988887777"
ENVIRONMENTS_PER_ACCOUNT = 10


def example_data() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def account_of(index: int) -> str:
    """Environments share accounts by stage and in blocks of ten (an account's environments stay in one cell)."""
    return f"{200000000000 + (index // (ENVIRONMENTS_PER_ACCOUNT * len(STAGES))) * 10 + index % len(STAGES)}"


def fleet_data(count: int, *, cells: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Config data with `count` environments (tenant `t<index>`, stages in turn), no edge, one cell by default."""
    example = example_data()
    template = copy.deepcopy(example["environments"][0])
    template.pop("edge", None)
    environments = []
    for index in range(count):
        env = copy.deepcopy(template)
        env.update(
            tenant=f"t{index:03d}",
            stage=STAGES[index % len(STAGES)],
            account=account_of(index),
            vpc_cidr=f"10.{index // 16}.{(index % 16) * 16}.0/20",
        )
        if env["stage"] != "prod":
            env["backup"] = {**env["backup"], "vault_lock": {**env["backup"]["vault_lock"], "mode": "governance"}}
        environments.append(env)
    accounts = [
        {**example["accounts"][0], "account": account}
        for account in dict.fromkeys(env["account"] for env in environments)
    ]
    pipeline = {**example["pipeline"], "account": PIPELINE_ACCOUNT}
    if cells is not None:
        pipeline["cells"] = cells
    return {"accounts": accounts, "environments": environments, "pipeline": pipeline}


def fleet(count: int) -> AppConfig:
    return parse_config(fleet_data(count))
