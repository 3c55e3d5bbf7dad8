"""The cell pipeline for 1, 3 and 50 generated environments, read from its synthesized template (CMP-1).

moto cannot run CodePipeline: these tests read the `AWS::CodePipeline::Pipeline` CDK Pipelines writes. Each size is
synthesized once (without the gates, which the example's session synth runs: tests/test_pipeline_stages.py); the
50-environment cell (about 80 s) is marked `fleet_scale`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app import add_cell_pipeline, new_app
from config import AppConfig, parse_config
from config.pipeline import MAX_ACTIONS_PER_STAGE, MAX_PIPELINE_ACTIONS, MAX_STAGES_PER_PIPELINE, cell_plan
from policies.pipeline_delivery import prod_order_problems
from tests.cli_synth import ROOT, clean_env
from tests.fleet_configs import fleet, fleet_data

DEPLOY_ROLE = re.compile(r":iam::(\d{12}):role/cdk-hnb659fds-deploy-role-(\d{12})-([a-z0-9-]+)$")


@dataclass(frozen=True)
class CellPipeline:
    config: AppConfig
    template: dict[str, Any]
    prod_stacks: list[str]

    @property
    def stages(self) -> list[dict[str, Any]]:
        pipelines = [r for r in self.template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
        assert len(pipelines) == 1
        return list(pipelines[0]["Properties"]["Stages"])

    def deploys(self) -> list[dict[str, Any]]:
        return [
            action
            for stage in self.stages
            for action in stage["Actions"]
            if action["ActionTypeId"]["Provider"] == "CloudFormation"
        ]


def synthesize_cell(config: AppConfig, outdir: Path, cell: str = "main") -> CellPipeline:
    app = new_app(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    stages = add_cell_pipeline(app, config, cell)
    app.synth()
    template = json.loads((outdir / f"pipeline-{cell}.template.json").read_text(encoding="utf-8"))
    prod = [name for stage in stages.prod for name in stage.stack_templates()]
    return CellPipeline(config=config, template=template, prod_stacks=prod)


@pytest.fixture(scope="module", params=[1, 3, pytest.param(50, marks=pytest.mark.fleet_scale)])
def cell(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> CellPipeline:
    return synthesize_cell(fleet(request.param), tmp_path_factory.mktemp(f"cell-{request.param}"))


def role_account(role: Any) -> tuple[str, str]:
    match = DEPLOY_ROLE.search("".join(part for part in role["Fn::Join"][1] if isinstance(part, str)))
    assert match is not None, role
    assert match.group(1) == match.group(2)
    return match.group(1), match.group(3)


def test_cmp1_stages_run_source_build_selfmutation_assets_then_the_waves_in_stage_order(cell: CellPipeline) -> None:
    """A wave of one deployment stage takes that stage's name (CDK Pipelines flattens it)."""
    plan = cell_plan("main", cell.config.environments)
    expected = []
    for wave in plan.waves:
        members = [*(f"account-{account}" for account in wave.baselines), *wave.environments]
        expected.append(members[0] if len(members) == 1 else wave.name)
    assert [stage["Name"] for stage in cell.stages] == ["Source", "Build", "UpdatePipeline", "Assets", *expected]
    order = ("dev", "test", "staging", "prod")
    assert [w.stage for w in plan.waves] == sorted((w.stage for w in plan.waves), key=order.index)
    for wave in plan.waves:  # an account's baseline deploys in a wave before its environments
        for env in wave.environments:
            account = next(e.account for e in cell.config.environments if e.name == env)
            home = next(w for w in plan.waves if account in w.baselines)
            assert plan.waves.index(home) < plan.waves.index(wave)


def test_cmp1_every_prod_deploy_comes_after_the_danger_verdict_and_the_approval(cell: CellPipeline) -> None:
    assert cell.prod_stacks, "every generated fleet has a prod environment"
    assert prod_order_problems(cell.template, cell.prod_stacks) == []
    verdict = [a for s in cell.stages for a in s["Actions"] if a["Name"].endswith("DangerVerdict")]
    approval = [a for s in cell.stages for a in s["Actions"] if a["Name"].endswith("ApproveProd")]
    assert len(verdict) == len(approval) == 1
    assert verdict[0]["RunOrder"] < approval[0]["RunOrder"]


def test_cmp1_probe_a_prod_deploy_placed_before_the_approval_is_caught(cell: CellPipeline) -> None:
    template = json.loads(json.dumps(cell.template))
    pipeline = next(r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline")
    stages = pipeline["Properties"]["Stages"]
    prod_deploy = next(
        action
        for stage in stages
        for action in stage["Actions"]
        if (action.get("Configuration") or {}).get("StackName") in cell.prod_stacks
    )
    stages[1]["Actions"].append(prod_deploy)  # into the Build stage, before the verdict
    problems = prod_order_problems(template, cell.prod_stacks)
    assert any("before the verdict and approval" in problem for _, problem in problems)


def test_acc1_each_environment_is_deployed_exactly_once(cell: CellPipeline) -> None:
    deployed = [action["Configuration"]["StackName"] for action in cell.deploys()]
    assert len(deployed) == len(set(deployed))
    for env in cell.config.environments:
        for purpose in ("network", "bastion", "data-dr", "data", "backup-dr", "backup"):
            assert f"{env.name}-{purpose}" in deployed


def test_cmp1_deploy_actions_use_the_bootstrap_roles_of_their_target_account(cell: CellPipeline) -> None:
    accounts = {env.name: env for env in cell.config.environments}
    for action in cell.deploys():
        stack = action["Configuration"]["StackName"]
        account, region = role_account(action["RoleArn"])
        execution, _ = role_account({"Fn::Join": ["", [cdk_exec_to_deploy(action["Configuration"]["RoleArn"])]]})
        assert execution == account
        env = next((e for name, e in accounts.items() if stack.startswith(f"{name}-")), None)
        expected = env.account if env else stack.split("-")[1]  # account-<id>-baseline[-dr]
        assert account == expected, stack
        assert region == action.get("Region", "us-east-1")


def cdk_exec_to_deploy(role: Any) -> str:
    text = "".join(part for part in role["Fn::Join"][1] if isinstance(part, str))
    assert "cfn-exec-role" in text
    return text.replace("cfn-exec-role", "deploy-role")


def test_cmp1_no_stage_over_50_actions_and_the_pipeline_within_its_budget(cell: CellPipeline) -> None:
    sizes = [len(stage["Actions"]) for stage in cell.stages]
    assert max(sizes) <= MAX_ACTIONS_PER_STAGE
    assert len(sizes) <= MAX_STAGES_PER_PIPELINE
    assert sum(sizes) <= MAX_PIPELINE_ACTIONS
    plan = cell_plan("main", cell.config.environments)
    assert sizes[4:] == [wave.actions for wave in plan.waves]  # the config's budget counts what CDK builds
    assert sum(sizes) <= plan.actions  # FIXED_ACTIONS allows a Docker asset publisher too


def test_acc1_no_account_of_another_cell_in_a_cells_pipeline(tmp_path: Path) -> None:
    data = fleet_data(4, cells=[{"name": "a", "environments": ["t000-prod", "t002-staging"]}])
    data["pipeline"]["cells"].append({"name": "b", "environments": ["t001-dev", "t003-test"]})
    config = parse_config(data)
    ours = {env.account for env in config.environments if env.name in ("t000-prod", "t002-staging")}
    theirs = {env.account for env in config.environments} - ours
    text = json.dumps(synthesize_cell(config, tmp_path, "a").template)
    assert ours <= set(re.findall(r"\d{12}", text))
    assert not theirs & set(re.findall(r"\d{12}", text))


def test_bak_acc_every_environment_is_verified_in_its_account_after_its_stacks_deploy(cell: CellPipeline) -> None:
    """`ops verify` runs after each environment's deploys, through that account's fleet auditor role."""
    for stage in cell.stages:
        deploys = {a["Configuration"]["StackName"]: a["RunOrder"] for a in stage["Actions"] if "StackName" in str(a)}
        for action in stage["Actions"]:
            if not action["Name"].endswith(".Verify") and action["Name"] != "Verify":
                continue
            variables = {v["name"]: v["value"] for v in json.loads(action["Configuration"]["EnvironmentVariables"])}
            env = next(e for e in cell.config.environments if e.name == variables["ENVIRONMENT"])
            assert variables["AUDITOR_ROLE_ARN"] == f"arn:aws:iam::{env.account}:role/fleet-verify-auditor"
            own = [order for name, order in deploys.items() if name.startswith(f"{env.name}-")]
            assert own
            assert action["RunOrder"] > max(own)
    verified = [a for s in cell.stages for a in s["Actions"] if a["Name"].split(".")[-1] == "Verify"]
    assert len(verified) == len(cell.config.environments)


def test_cmp1_the_pipeline_stack_does_not_grow_a_role_per_environment(cell: CellPipeline) -> None:
    """Every verify action starts the one verify project through one action role, so the pipeline stack's roles and
    policies stay the same whatever the cell's size (CloudFormation allows 500 resources per stack)."""
    verified = [a for s in cell.stages for a in s["Actions"] if a["Name"].split(".")[-1] == "Verify"]
    assert len({json.dumps(a["RoleArn"]) for a in verified}) == 1
    types = [r["Type"] for r in cell.template["Resources"].values()]
    assert types.count("AWS::IAM::Role") <= 10
    assert types.count("AWS::IAM::ManagedPolicy") <= 12


def test_cmp1_probe_an_unknown_cell_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """`make synth CELL=nope` (make's staging folder then leaves cdk.out as it was)."""
    env = {**clean_env(), "CDK_CONTEXT_JSON": json.dumps({"cell": "nope"}), "CDK_OUTDIR": str(tmp_path / "out")}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "config error: cell = 'nope': no such cell; known cells: main"
