"""A content-addressed cache of gate results (CMP-1: the same gates, paid for once per distinct input).

A gate's findings are a pure function of its input: the template bytes it reads, the rule files, and the checker
(binary, parser and plugin versions). The key hashes all of them, so a hit returns exactly what a run would
return, and any change to any input is a miss. Entries are written atomically (temp file, then rename), so
parallel test workers and an interrupted synth never leave a half-written entry.

The cache lives in `.gate-cache/` at the project root, or in `$GATE_CACHE_DIR`; `GATE_CACHE=off` disables it.
`make clean` (or deleting the folder) clears it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    path = Path(os.environ.get("GATE_CACHE_DIR") or PROJECT_ROOT / ".gate-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_enabled() -> bool:
    return os.environ.get("GATE_CACHE", "on").lower() not in {"off", "0", "false", "no"}


def content_key(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))  # length-prefixed: no two part lists hash alike
        digest.update(data)
    return digest.hexdigest()


class GateCache:
    """One folder of JSON entries for one gate (`namespace`)."""

    def __init__(self, namespace: str, root: Path | None = None) -> None:
        self.folder = (root or cache_dir()) / namespace
        self.enabled = cache_enabled()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any | None:
        if not self.enabled:
            self.misses += 1
            return None
        try:
            value = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        if not self.enabled:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(value, stream, sort_keys=True)
        os.replace(temp, self.folder / f"{key}.json")


def violation_records(report: cdk.PolicyValidationPluginReport) -> dict[str, list[dict[str, Any]]]:
    """A plugin's violations as JSON records, split by the template each violating resource is in."""
    by_template: dict[str, list[dict[str, Any]]] = {}
    for violation in report.violations:
        for resource in violation.violating_resources:
            records = by_template.setdefault(resource.template_path or "", [])
            same = (violation.rule_name, violation.description, violation.fix)
            record = next((r for r in records if (r["rule_name"], r["description"], r["fix"]) == same), None)
            if record is None:
                record = {
                    "rule_name": violation.rule_name,
                    "description": violation.description,
                    "fix": violation.fix,
                    "severity": violation.severity,
                    "rule_metadata": dict(violation.rule_metadata or {}),
                    "resources": [],
                }
                records.append(record)
            record["resources"].append(
                {
                    "logical_id": resource.resource_logical_id,
                    # Beta1 resources (cdk-validator-cfnguard) have no construct path
                    "construct_path": getattr(resource, "construct_path", None),
                    "locations": list(resource.locations or []),
                }
            )
    return by_template


def as_violation(record: dict[str, Any], template_path: str, *, severity: str | None = None) -> cdk.PolicyViolation:
    """A cached record back as a violation of the template at `template_path`."""
    return cdk.PolicyViolation(
        rule_name=record["rule_name"],
        description=record["description"],
        fix=record.get("fix"),
        rule_metadata=record.get("rule_metadata") or None,
        severity=severity or record.get("severity"),
        violating_resources=[
            cdk.PolicyViolatingResource(
                resource_logical_id=resource["logical_id"],
                construct_path=resource.get("construct_path"),
                template_path=template_path,
                locations=resource["locations"],
            )
            for resource in record["resources"]
        ],
    )
