"""CMP-1: no production stack is deployed by a pipeline before the danger verdict and the manual approval.

Reads each synthesized CodePipeline (`AWS::CodePipeline::Pipeline`): an action that deploys a production stack
(CloudFormation provider, `Configuration.StackName` among `prod_stacks`) must come after an approval action named
`ApproveProd`, which must itself come after a CodeBuild action named `DangerVerdict`, in pipeline order (stage
index, then run order); policies/pipeline_delivery.py reads the template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import aws_cdk as cdk
import jsii

from policies.pipeline_delivery import prod_order_problems
from policies.template_rules import Finding, TemplateRule, TemplateRulePlugin, Templates

RULE_NAME = "Project-CMP1-ProdAfterVerdictAndApproval"


@jsii.implements(cdk.IPolicyValidationPlugin)
class PipelineProdOrder(TemplateRulePlugin):
    """`prod_stacks()` gives the names of the production stacks (environments and their accounts' baselines); it is
    asked at validation time, once the stages are built."""

    NAME = "ProjectPipelineProdOrder"

    def __init__(self, prod_stacks: Callable[[], Iterable[str]]) -> None:
        self.RULES = (
            TemplateRule(
                name=RULE_NAME,
                description="CMP-1: a production stack is deployed before the danger verdict and the approval.",
                fix="Deploy prod only in waves after the first prod wave's DangerVerdict and ApproveProd steps.",
                check=lambda templates: self._findings(templates, list(prod_stacks())),
            ),
        )

    @staticmethod
    def _findings(templates: Templates, prod: list[str]) -> list[Finding]:
        return [
            Finding(template_path=path, logical_id=logical_id, message=problem)
            for path, template in templates.items()
            for logical_id, problem in prod_order_problems(template, prod)
        ]
