"""Read a synthesized cloud assembly: its manifest, stack templates and validation report. Nothing else: the verdict
judges what would be deployed, never the code that produced it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class AssemblyError(Exception):
    """An assembly that cannot be read; the message is one line naming the path and the problem."""


@dataclass(frozen=True)
class StackTemplate:
    name: str  # the CloudFormation stack name (what ALLOW_REPLACE names)
    region: str | None
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources = self.template.get("Resources") or {}
        return {logical_id: body for logical_id, body in resources.items() if isinstance(body, dict)}


@dataclass(frozen=True)
class Assembly:
    path: Path
    stacks: dict[str, StackTemplate]
    unacknowledged_findings: int  # violations of failed plugins in validation-report.json (0: every gate passed)


def read_assembly(path: Path) -> Assembly:
    if not (path / "manifest.json").is_file():
        raise AssemblyError(f"{path}: not a cloud assembly (no manifest.json); synthesize it first")
    stacks: dict[str, StackTemplate] = {}
    _read_manifest(path, stacks)
    return Assembly(path=path, stacks=stacks, unacknowledged_findings=_count_violations(path))


def _load(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AssemblyError(f"{file}: cannot be read as JSON ({error})") from error


def _read_manifest(directory: Path, stacks: dict[str, StackTemplate]) -> None:
    manifest = _load(directory / "manifest.json")
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        properties = artifact.get("properties") or {}
        if artifact.get("type") == "cdk:cloud-assembly":  # a nested assembly (CDK Stage)
            _read_manifest(directory / properties["directoryName"], stacks)
        elif artifact.get("type") == "aws:cloudformation:stack":
            name = properties.get("stackName") or artifact_id
            environment = str(artifact.get("environment") or "")
            region = environment.rsplit("/", 1)[-1] if environment.startswith("aws://") else None
            template = _load(directory / properties["templateFile"])
            stacks[name] = StackTemplate(
                name=name, region=None if region == "unknown-region" else region, template=template
            )


def _count_violations(directory: Path) -> int:
    report_file = directory / "validation-report.json"
    if not report_file.is_file():
        return 0
    report = _load(report_file)
    return sum(
        len(plugin.get("violations") or [])
        for plugin in report.get("pluginReports") or []
        if plugin.get("conclusion") != "success"  # a passing plugin's violations are warnings
    )
