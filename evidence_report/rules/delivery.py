"""Evidence rule for delivery (CMP-1): an environment in a cell pipeline reaches its account only through the gated
synth, and a production one only after the danger verdict and the manual approval (read from the pipeline template).

An environment that no pipeline of the assembly deploys is a workstation `cdk deploy` (config without `[pipeline]`,
or an environment without an account): the row says so, and the gates row of CMP-1 is then the whole evidence.
"""

from __future__ import annotations

import json
from typing import Any

from config.pipeline import FLEET_TAG
from evidence_report.assembly import Stack
from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.registry import evidence_rule
from policies.pipeline_delivery import APPROVAL_ACTION, VERDICT_ACTION, deploy_actions, pipelines, prod_order_problems

SYNTH_COMMAND = "make synth CELL="


def _synth_project(stack: Stack) -> tuple[str, str] | None:
    """(logical id, command) of the CodeBuild project that runs the gated `make synth` for the cell."""
    for resource in stack.resources("AWS::CodeBuild::Project"):
        spec = str((resource.properties.get("Source") or {}).get("BuildSpec") or "")
        if SYNTH_COMMAND in spec:
            commands = json.loads(spec)["phases"]["build"]["commands"]
            return resource.logical_id, next(c for c in commands if c.startswith(SYNTH_COMMAND))
    return None


@evidence_rule("CMP-1", looks_for=lambda r: True)
def cmp1_delivered_through_the_gated_pipeline(env: EnvironmentView, out: Evidence) -> None:
    """The cell pipeline deploys this environment's templates from its synth step, which runs every gate
    (`make synth CELL=...`); production deploys follow the danger verdict and a manual approval."""
    own = {stack.name for stack in env.stacks if stack.environment == env.name}
    for stack in env.assembly.stacks:
        if stack.tags.get(FLEET_TAG) != "pipeline":
            continue
        for logical_id, pipeline in pipelines(stack.template):
            deploys: list[tuple[str, dict[str, Any]]] = [(n, a) for n, a in deploy_actions(pipeline) if n in own]
            if not deploys:
                continue
            synth = _synth_project(stack)
            if synth is None:
                out.problem(f"{stack.name}: no build step runs `{SYNTH_COMMAND}<cell>`: its templates skip the gates")
                return
            from_synth = all(
                str(action["Configuration"].get("TemplatePath", "")).startswith("Synth_Output::")
                for _, action in deploys
            )
            if not from_synth:
                out.problem(f"{stack.name}: a deploy of {env.name} reads a template that is not the synth step's")
                return
            out.stack_row(
                stack,
                f"Resources.{synth[0]}.Source.BuildSpec",
                synth[1],
                "every template of the cell passes every gate before any deploy; a finding fails the build",
            )
            out.stack_row(
                stack,
                f"Resources.{logical_id}.Stages[*].Actions[*].Configuration.TemplatePath",
                f"Synth_Output::... for {len(deploys)} stack(s) of {env.name}",
                "the deployed templates are the gated assembly's",
            )
            if env.stage == "prod":
                problems = prod_order_problems(stack.template, own)
                if problems:
                    out.problem(f"{stack.name}: {problems[0][1]}")
                    return
                out.stack_row(
                    stack,
                    f"Resources.{logical_id}.Stages",
                    f"{VERDICT_ACTION} < {APPROVAL_ACTION} < deploy",
                    "production changes pass the danger verdict and a manual approval first",
                )
            return
    out.stack_row(
        env.stacks[0],
        "(no cell pipeline deploys it)",
        "cdk deploy --app cdk.out",
        "a workstation deploy of the gated assembly (docs/pipeline.md, break-glass)",
    )
