"""CMP-1: what a cell pipeline deploys is what the gates passed.

Each pipeline stage (stacks/pipeline_stage.py) holds a second build of stacks that the app also synthesizes
standalone, where every gate runs on them. This gate compares each stage template with its standalone twin byte for
byte and fails the synth on any difference or on a stage stack without a twin: a resource added only inside a stage
would otherwise reach an account ungated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from policies.template_rules import Finding, TemplateRule, TemplateRulePlugin, findings_report

RULE_NAME = "Project-CMP1-StageTemplateIsTheGatedTemplate"


def first_difference(stage_template: dict[str, Any], twin_template: dict[str, Any]) -> str:
    """The first logical id (or top-level section) whose content differs, for the report."""
    stage_resources = stage_template.get("Resources") or {}
    twin_resources = twin_template.get("Resources") or {}
    for logical_id in sorted(set(stage_resources) | set(twin_resources)):
        if stage_resources.get(logical_id) != twin_resources.get(logical_id):
            return logical_id
    for section in sorted(set(stage_template) | set(twin_template)):
        if stage_template.get(section) != twin_template.get(section):
            return section
    return "Template"


@jsii.implements(cdk.IPolicyValidationPlugin)
class StageTwins(TemplateRulePlugin):
    """`stage_templates` yields (stack name, stage template file) for every stack of every pipeline stage."""

    NAME = "ProjectStageTwins"

    def __init__(self, stage_templates: Callable[[], Iterable[tuple[str, Path]]]) -> None:
        self._stage_templates = stage_templates
        self.RULES = (
            TemplateRule(
                name=RULE_NAME,
                description="CMP-1: a pipeline stage would deploy a template the gates did not pass.",
                fix="Build the stage's stacks with the same code and config as the app's "
                "(stacks/environment_set.py add_environment).",
                check=lambda templates: self._differences(list(templates)),
            ),
        )

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """The rule compares files byte for byte, so it needs the gated templates' paths, not their parsed JSON."""
        (rule,) = self.RULES
        return findings_report([(rule, self._differences(list(context.template_paths)))])

    def _differences(self, gated_paths: list[str]) -> list[Finding]:
        gated = {Path(path).name: Path(path) for path in gated_paths}
        findings: list[Finding] = []
        for stack_name, stage_file in self._stage_templates():
            twin = gated.get(f"{stack_name}.template.json")
            stage_bytes = stage_file.read_bytes()
            if twin is not None and twin.read_bytes() == stage_bytes:
                continue
            where = (
                first_difference(json.loads(stage_bytes), json.loads(twin.read_bytes()))
                if twin is not None
                else "Template"
            )
            problem = "differs from the gated template" if twin else "has no gated twin"
            findings.append(Finding(str(stage_file), logical_id=where, message=f"{stack_name}: {problem}"))
        return findings
