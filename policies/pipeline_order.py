"""CMP-1: no production stack is deployed by a pipeline before the danger verdict and the manual approval.

Reads each synthesized CodePipeline (`AWS::CodePipeline::Pipeline`): an action that deploys a production stack
(CloudFormation provider, `Configuration.StackName` among `prod_stacks`) must come after an approval action named
`ApproveProd`, which must itself come after a CodeBuild action named `DangerVerdict`, in pipeline order (stage
index, then run order); policies/pipeline_delivery.py reads the template.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import aws_cdk as cdk
import jsii

from policies.pipeline_delivery import prod_order_problems

RULE_NAME = "Project-CMP1-ProdAfterVerdictAndApproval"


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
