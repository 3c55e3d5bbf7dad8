"""A content-keyed cache of each cell pipeline stage's nested cloud assembly (CMP-1, issue 25).

CDK Pipelines synthesizes every `DeploymentStage` when it is added to a wave, so each tenant and baseline stack was
built a second time at every synth (the construct tree grew from 1.8 s to 2.9 s). The stage's assembly is a pure
function of what builds it, so the key hashes all of it: every file of the project's packages the app is built from
(`app.py`, `config/`, `constructs/`, `policies/`, `stacks/`: code and data files alike), the validated config, the
stage's name, cell and context, the CLI's `CDK_*` environment (context a root App reads) and the installed versions
of the libraries that write the bytes. Any change to any of them is a miss; a hit restores the assembly a build with
the same inputs wrote.

The cache does not weaken the proof: the `StageTwins` gate (policies/stage_twins.py) still compares every stage
template, restored or built, byte for byte with the standalone template the gates passed at this synth, so a stale or
wrong entry fails the synth (tests/test_stage_assembly_cache.py plants one). `GATE_CACHE=off` (a cold synth) builds
every stage. Entries live in the gate cache folder (`stage-assembly/<build inputs>/<stage>/`), written to a temporary
folder and renamed into place, so parallel test workers and an interrupted synth never leave half an entry; storing
one removes the entries of other build inputs.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from policies.cache_folder import PROJECT_ROOT, cache_dir, cache_enabled, content_key

NAMESPACE = "stage-assembly"
KEY_FORMAT = "stage-assembly 1"
SOURCE_FILES = ("app.py",)
SOURCE_FOLDERS = ("config", "constructs", "policies", "stacks")
# The third-party libraries the app is built with (cryptography reads the operators' SSH keys): what writes the bytes.
LIBRARIES = ("aws-cdk-lib", "constructs", "cdk-nag", "jsii", "pydantic", "cryptography")
SKIPPED_PARTS = frozenset({"__pycache__"})


def project_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every file the app is built from: app.py and each file under the project's packages (bytecode aside)."""
    found = [root / name for name in SOURCE_FILES]
    for folder in SOURCE_FOLDERS:
        found += [
            path
            for path in (root / folder).rglob("*")
            if path.is_file() and not SKIPPED_PARTS & set(path.relative_to(root).parts)
        ]
    return sorted(found)


@functools.cache
def build_inputs_digest(root: Path = PROJECT_ROOT) -> str:
    """The project's files (path and bytes), the library versions and Python's: what every stage shares."""
    parts: list[bytes | str] = [KEY_FORMAT, sys.version]
    for path in project_files(root):
        parts += [str(path.relative_to(root)), path.read_bytes()]
    parts += [f"{name} {version(name)}" for name in LIBRARIES]
    return content_key(*parts)


def cli_environment() -> str:
    """The CDK CLI's variables (`CDK_CONTEXT_JSON` among them: context every root App reads), but the output folder,
    which only says where the app's assembly goes (the stage's own folder is named by the app)."""
    return json.dumps({k: v for k, v in sorted(os.environ.items()) if k.startswith("CDK_") and k != "CDK_OUTDIR"})


@dataclass(frozen=True)
class StageKey:
    """Where a stage's entry lives: under the digest of the build inputs all stages share, then the stage's own key.
    Entries of other build inputs (other sources or library versions) can never be hit again: storing a new entry
    removes them, so the cache holds one generation of stage assemblies (the 50-environment test cell is 80 MB)."""

    inputs: str
    stage: str


def stage_key(*, config: str, cell: str, name: str, context: Mapping[str, object]) -> StageKey:
    """The key of one stage's assembly: the shared build inputs and everything particular to the stage."""
    inputs = build_inputs_digest()
    own = content_key(inputs, config, cell, name, json.dumps(context, sort_keys=True, default=str), cli_environment())
    return StageKey(inputs=inputs, stage=own)


class StageAssemblyCache:
    """One folder per stage assembly, named by its key, in one folder per generation of build inputs."""

    def __init__(self, root: Path | None = None) -> None:
        self.enabled = cache_enabled()
        self.folder = (root or cache_dir()) / NAMESPACE

    def restore(self, key: StageKey, outdir: Path) -> bool:
        """Copy the entry into the stage's (new, empty) `outdir`; False on a miss or when the cache is off. A copy that
        fails half-way is a miss: the stage is then built, and its synth writes every file the assembly names."""
        entry = self.folder / key.inputs / key.stage
        if not self.enabled or not (entry / "manifest.json").is_file():
            return False
        try:
            shutil.copytree(entry, outdir, dirs_exist_ok=True)
        except OSError:
            return False
        return True

    def store(self, key: StageKey, outdir: Path) -> None:
        """Keep a copy of a freshly synthesized stage assembly (before anything else writes into its folder), and drop
        the entries of other build inputs."""
        generation = self.folder / key.inputs
        if not self.enabled or (generation / key.stage).exists():
            return
        generation.mkdir(parents=True, exist_ok=True)
        for other in self.folder.iterdir():
            if other.is_dir() and other.name != key.inputs:
                shutil.rmtree(other, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(dir=generation, prefix=f".{key.stage}."))
        try:
            shutil.copytree(outdir, staging / "assembly")
            os.rename(staging / "assembly", generation / key.stage)
        except OSError:
            pass  # another process stored the same entry first, or the disk refused: the synth needs no entry
        finally:
            shutil.rmtree(staging, ignore_errors=True)
