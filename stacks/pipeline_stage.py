"""The cdk.Stage that carries one environment's (or one account baseline's) stacks into a cell pipeline (CMP-1).

A root Stage (a second, unsynthesized-by-the-CLI `cdk.App`), not a child of the app: CDK writes a resource's construct
path into its template (`aws:cdk:path`) and into names such as the VPC's `Name` tag, and a child Stage would prefix
them with its id. As a root, every path, and so every template, is byte-identical to the standalone stack's; the
`StageTwins` gate (policies/stage_twins.py) proves it at every synth, and the gates that ran on the standalone
twin therefore hold for what the pipeline deploys. Its assembly is written inside the app's (`assembly-<cell>-<name>/`),
where the pipeline's deploy actions read it from the synth step's output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk

from policies.packs import nag_packs


class DeploymentStage(cdk.App):
    """A named root Stage; CDK Pipelines uses `stage_name` for the pipeline's action names."""

    def __init__(self, name: str, *, outdir: Path, context: dict[str, Any]) -> None:
        self._name = name
        # Validation runs on the standalone twin (the app's gates); the stage only synthesizes.
        super().__init__(
            outdir=str(outdir), context=context, auto_synth=False, builtin_cloud_formation_validation=False
        )
        # The packs write every acknowledgement into the template Metadata through an aspect on their scope: the
        # same writers here (not as gates: the gates run on the standalone twin).
        nag_packs(self)

    @property
    def stage_name(self) -> str:
        return self._name

    def stack_templates(self) -> dict[str, Path]:
        """Stack name -> template file of this stage's assembly (synthesizing it once)."""
        assembly = self.synth()
        return {stack.stack_name: Path(stack.template_full_path) for stack in assembly.stacks}
