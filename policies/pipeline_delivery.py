"""What a cell pipeline's template says about delivery (CMP-1), read the same way by the gate
(policies/pipeline_order.py) and the evidence report: which actions deploy which stacks, from which artifact, and
whether production deploys come after the danger verdict and the manual approval.

CDK Pipelines names an action `<stage>.<step id>` or `<step id>`; the step ids come from stacks/pipeline_steps.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

VERDICT_ACTION = "DangerVerdict"
APPROVAL_ACTION = "ApproveProd"


def _actions(pipeline: dict[str, Any]) -> Iterator[tuple[tuple[int, int], dict[str, Any]]]:
    for index, stage in enumerate(pipeline.get("Stages") or []):
        for action in stage.get("Actions") or []:
            yield (index, int(action.get("RunOrder", 1))), action


def _position(pipeline: dict[str, Any], name: str, provider: str) -> tuple[int, int] | None:
    for position, action in _actions(pipeline):
        type_id = action.get("ActionTypeId") or {}
        if str(action.get("Name", "")).rsplit(".", 1)[-1] == name and type_id.get("Provider") == provider:
            return position
    return None


def prod_order_problems(template: dict[str, Any], prod_stacks: Iterable[str]) -> list[tuple[str, str]]:
    """(pipeline logical id, problem) for each production deploy not preceded by the verdict and the approval."""
    prod = set(prod_stacks)
    problems: list[tuple[str, str]] = []
    for logical_id, pipeline in pipelines(template):
        verdict = _position(pipeline, VERDICT_ACTION, "CodeBuild")
        approval = _position(pipeline, APPROVAL_ACTION, "Manual")
        for position, action in _actions(pipeline):
            stack = ((action.get("Configuration") or {}).get("StackName")) or ""
            if (action.get("ActionTypeId") or {}).get("Provider") != "CloudFormation" or stack not in prod:
                continue
            if verdict is None or approval is None:
                problems.append((logical_id, f"{action['Name']} deploys {stack} with no danger verdict and approval"))
            elif not verdict < approval < position:
                problems.append((logical_id, f"{action['Name']} deploys {stack} before the verdict and approval"))
    return problems


def pipelines(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, properties) of each CodePipeline in a template."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") == "AWS::CodePipeline::Pipeline":
            yield logical_id, resource.get("Properties") or {}


def deploy_actions(pipeline: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(stack name, action) for each CloudFormation deploy action."""
    for _, action in _actions(pipeline):
        if (action.get("ActionTypeId") or {}).get("Provider") == "CloudFormation":
            yield str((action.get("Configuration") or {}).get("StackName") or ""), action
