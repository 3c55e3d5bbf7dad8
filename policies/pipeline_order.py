"""CMP-1: no production stack is deployed by a pipeline before the danger verdict and the manual approval.

Reads each synthesized CodePipeline (`AWS::CodePipeline::Pipeline`): an action that deploys a production stack
(CloudFormation provider, `Configuration.StackName` among `prod_stacks`) must come after an approval action named
`ApproveProd`, which must itself come after a CodeBuild action named `DangerVerdict`, in pipeline order (stage
index, then run order). CDK Pipelines names an action `<stage>.<step id>` or `<step id>`; the step ids come from
stacks/pipeline_steps.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

RULE_NAME = "Project-CMP1-ProdAfterVerdictAndApproval"
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
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::CodePipeline::Pipeline":
            continue
        pipeline = resource.get("Properties") or {}
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


@jsii.implements(cdk.IPolicyValidationPlugin)
class PipelineProdOrder:
    """`prod_stacks()` gives the names of the production stacks (environments and their accounts' baselines)."""

    def __init__(self, prod_stacks: Callable[[], Iterable[str]]) -> None:
        self._prod_stacks = prod_stacks

    @property
    def name(self) -> str:
        return "ProjectPipelineProdOrder"

    @property
    def rule_ids(self) -> list[str]:
        return [RULE_NAME]

    @property
    def version(self) -> str:
        return "1.0.0"

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        prod = list(self._prod_stacks())
        violating = [
            cdk.PolicyViolatingResource(resource_logical_id=logical_id, template_path=path, locations=[problem])
            for path in context.template_paths
            for logical_id, problem in prod_order_problems(json.loads(Path(path).read_text(encoding="utf-8")), prod)
        ]
        violations = (
            [
                cdk.PolicyViolation(
                    rule_name=RULE_NAME,
                    description="CMP-1: a production stack is deployed before the danger verdict and the approval.",
                    fix="Deploy prod only in waves after the first prod wave's DangerVerdict and ApproveProd steps.",
                    severity="error",
                    violating_resources=violating,
                )
            ]
            if violating
            else []
        )
        return cdk.PolicyValidationPluginReport(success=not violating, violations=violations)
