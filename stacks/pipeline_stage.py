"""The cdk.Stage that carries one environment's (or one account baseline's) stacks into a cell pipeline (CMP-1).

A root Stage (a second, unsynthesized-by-the-CLI `cdk.App`), not a child of the app: CDK writes a resource's construct
path into its template (`aws:cdk:path`) and into names such as the VPC's `Name` tag, and a child Stage would prefix
them with its id. As a root, every path, and so every template, is byte-identical to the standalone stack's; the
`StageTwins` gate (policies/stage_twins.py) proves it at every synth, and the gates that ran on the standalone
twin therefore hold for what the pipeline deploys. Its assembly is written inside the app's (`assembly-<cell>-<name>/`),
where the pipeline's deploy actions read it from the synth step's output.

A stage given a cache key is restored from the stage assembly cache (stacks/stage_assembly_cache.py) when it holds
that key: its stacks are then not built again, and `synth` (which CDK Pipelines calls from JavaScript when the stage is
added to a wave) returns the restored assembly. The StageTwins gate compares restored and built twins alike.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import cx_api

from policies.packs import nag_packs
from stacks.stage_assembly_cache import StageAssemblyCache, StageKey


class DeploymentStage(cdk.App):
    """A named root Stage; CDK Pipelines uses `stage_name` for the pipeline's action names."""

    def __init__(self, name: str, *, outdir: Path, context: dict[str, Any], cache_key: StageKey | None = None) -> None:
        self._name = name
        self._cache_key = cache_key
        self._cache = StageAssemblyCache()
        # Validation runs on the standalone twin (the app's gates); the stage only synthesizes.
        super().__init__(
            outdir=str(outdir), context=context, auto_synth=False, builtin_cloud_formation_validation=False
        )
        self._restored: cx_api.CloudAssembly | None = None
        if cache_key is not None and self._cache.restore(cache_key, outdir):
            try:
                self._restored = cx_api.CloudAssembly(str(outdir))
                return
            except RuntimeError:
                # The restored assembly cannot be read here (an install whose aws_cdk.cloud_assembly_schema is the
                # standalone package's, see the Makefile): the cache only saves time, so build the stage, from an
                # empty folder.
                shutil.rmtree(outdir, ignore_errors=True)
                outdir.mkdir(parents=True)  # the App made it; its assets are staged into it
        # The packs write every acknowledgement into the template Metadata through an aspect on their scope: the
        # same writers here (not as gates: the gates run on the standalone twin).
        nag_packs(self)

    @property
    def restored(self) -> bool:
        """True when the assembly came from the cache: the caller must not add the stage's stacks."""
        return self._restored is not None

    def synth(
        self,
        *,
        aspect_stabilization: bool | None = None,
        error_on_duplicate_synth: bool | None = None,
        force: bool | None = None,
        skip_validation: bool | None = None,
        validate_on_synthesis: bool | None = None,
    ) -> cx_api.CloudAssembly:
        """The restored assembly, or aws-cdk-lib's synth (then stored under the cache key). A jsii override: CDK
        Pipelines' `StageDeployment.fromStage` calls it from JavaScript (tests/test_stage_assembly_cache.py)."""
        if self._restored is not None:
            return self._restored
        assembly = super().synth(
            aspect_stabilization=aspect_stabilization,
            error_on_duplicate_synth=error_on_duplicate_synth,
            force=force,
            skip_validation=skip_validation,
            validate_on_synthesis=validate_on_synthesis,
        )
        if self._cache_key is not None:
            self._cache.store(self._cache_key, Path(self.outdir))
        return assembly

    @property
    def stage_name(self) -> str:
        return self._name

    def stack_templates(self) -> dict[str, Path]:
        """Stack name -> template file of this stage's assembly (synthesizing it once, with the options CDK Pipelines'
        `pipelineSynth` passes, so whichever synthesizes it first does it the same way)."""
        assembly = self.synth(validate_on_synthesis=True)
        return {stack.stack_name: Path(stack.template_full_path) for stack in assembly.stacks}
