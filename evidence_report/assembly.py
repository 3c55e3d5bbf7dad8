"""Read a synthesized cloud assembly (cdk.out) into stacks grouped by environment, with no AWS call (CMP-1).

A stack tagged `environment` belongs to that environment; a stack without the tag is account-level (the
per-account baseline) and applies to every environment in its account.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.limits import ENVIRONMENT_TAG

_STACK_ARTIFACT = "aws:cloudformation:stack"
_ENV_PATTERN = re.compile(r"^aws://(?P<account>[^/]+)/(?P<region>[^/]+)$")
UNKNOWN_ACCOUNT = "unknown-account"


class AssemblyError(Exception):
    """The folder is not a cloud assembly of this app; the message is one line naming the folder."""


@dataclass(frozen=True)
class Resource:
    """One template resource, with where it lives."""

    stack: Stack
    logical_id: str
    type: str
    properties: dict[str, Any]
    metadata: dict[str, Any]

    @property
    def tags(self) -> dict[str, str]:
        raw = self.properties.get("Tags")
        if isinstance(raw, dict):
            return {str(k): str(v) for k, v in raw.items()}
        if isinstance(raw, list):
            return {str(t.get("Key")): str(t.get("Value")) for t in raw if isinstance(t, dict)}
        return {}

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted property path (`BackupPlan.BackupPlanRule`), or `default`."""
        value: Any = self.properties
        for part in path.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return default
        return value


@dataclass(frozen=True, eq=False)
class Stack:
    """One stack artifact of the manifest and its template."""

    name: str
    account: str
    region: str
    tags: dict[str, str]
    template: dict[str, Any] = field(repr=False)

    @property
    def environment(self) -> str | None:
        return self.tags.get(ENVIRONMENT_TAG)

    @property
    def stage(self) -> str | None:
        return self.tags.get("stage")

    def resources(self, *types: str) -> Iterator[Resource]:
        for logical_id, body in sorted((self.template.get("Resources") or {}).items()):
            if not types or body.get("Type") in types:
                yield Resource(
                    stack=self,
                    logical_id=logical_id,
                    type=str(body.get("Type")),
                    properties=body.get("Properties") or {},
                    metadata=body.get("Metadata") or {},
                )

    def resource(self, logical_id: str) -> Resource | None:
        return next((r for r in self.resources() if r.logical_id == logical_id), None)

    def exports(self) -> dict[str, Any]:
        """Export name -> exported value, for resolving another stack's Fn::ImportValue."""
        out: dict[str, Any] = {}
        for output in (self.template.get("Outputs") or {}).values():
            name = (output.get("Export") or {}).get("Name")
            if isinstance(name, str):
                out[name] = output.get("Value")
        return out


@dataclass(frozen=True)
class Assembly:
    """All stacks of one cloud assembly, plus its validation report (absent: None)."""

    folder: Path
    stacks: tuple[Stack, ...]
    validation_report: dict[str, Any] | None

    @property
    def environments(self) -> list[str]:
        return sorted({s.environment for s in self.stacks if s.environment})

    def stacks_of(self, environment: str) -> list[Stack]:
        """The environment's own stacks, then the account-level stacks of its account."""
        own = [s for s in self.stacks if s.environment == environment]
        accounts = {s.account for s in own}
        shared = [s for s in self.stacks if s.environment is None and s.account in accounts]
        return own + shared

    def stage_of(self, environment: str) -> str | None:
        return next((s.stage for s in self.stacks if s.environment == environment and s.stage), None)


def load_assembly(folder: Path) -> Assembly:
    """Parse `folder`; raise AssemblyError (one line) when it is missing or not this app's assembly."""
    manifest_path = folder / "manifest.json"
    if not folder.is_dir():
        raise AssemblyError(f"{folder}/: no such folder; run `make synth` first, or pass OUT=<cloud assembly folder>")
    if not manifest_path.is_file():
        raise AssemblyError(f"{folder}/: no manifest.json, so not a cloud assembly; run `make synth` first")
    manifest = _read_json(manifest_path, folder)
    stacks = []
    for artifact_id, artifact in sorted((manifest.get("artifacts") or {}).items()):
        if not isinstance(artifact, dict) or artifact.get("type") != _STACK_ARTIFACT:
            continue
        properties = artifact.get("properties") or {}
        template_file = properties.get("templateFile")
        if not isinstance(template_file, str) or not (folder / template_file).is_file():
            raise AssemblyError(f"{folder}/: stack {artifact_id} names template {template_file!r}, which is missing")
        match = _ENV_PATTERN.match(str(artifact.get("environment", "")))
        account, region = (match["account"], match["region"]) if match else (UNKNOWN_ACCOUNT, "unknown-region")
        stacks.append(
            Stack(
                name=str(properties.get("stackName") or artifact_id),
                account=account,
                region=region,
                tags={str(k): str(v) for k, v in (properties.get("tags") or {}).items()},
                template=_read_json(folder / template_file, folder),
            )
        )
    if not any(stack.environment for stack in stacks):
        raise AssemblyError(
            f"{folder}/: manifest.json has no stack tagged '{ENVIRONMENT_TAG}', so not an assembly of this app"
        )
    report_path = folder / "validation-report.json"
    report = _read_json(report_path, folder) if report_path.is_file() else None
    return Assembly(folder=folder, stacks=tuple(stacks), validation_report=report)


def _read_json(path: Path, folder: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AssemblyError(f"{folder}/: {path.name} is not readable JSON ({error.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise AssemblyError(f"{folder}/: {path.name} is not a JSON object")
    return data
