"""A content-addressed cache of gate results (CMP-1: the same gates, paid for once per distinct input).

A gate's findings are a pure function of its input: the template bytes it reads, the rule files, and the checker
(binary, parser and plugin versions). The key hashes all of them, so a hit returns exactly what a run would
return, and any change to any input is a miss. Entries are written atomically (temp file, then rename), so
parallel test workers and an interrupted synth never leave a half-written entry.

The cache lives in the cache folder (`policies/cache_folder.py`); `GATE_CACHE=off` disables it. `make clean` (or
deleting the folder) clears it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import aws_cdk as cdk

from policies.cache_folder import cache_dir, cache_enabled


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


def json_violation_records(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """`violation_records` of a plugin's report as its JavaScript wrote it (JSON, camelCase), from a plugin run in a
    Node process of its own: the Control Tower runs, the validation engine worker. A violation must name where it is:
    a resource's logical id, or (aws-cdk-lib's findings about a whole stack) the stack's construct path; one that
    names neither fails the gate (cdk-validator-cfnguard 0.0.62 writes such records: tests/test_control_tower_gate.py)
    """
    for violation in report.get("violations", []):
        for resource in violation["violatingResources"]:
            if resource.get("resourceLogicalId") is None and resource.get("constructPath") is None:
                raise ValueError(f"{violation['ruleName']}: a violating resource without resourceLogicalId: {resource}")
    as_jsii_gives_it = SimpleNamespace(
        violations=[
            SimpleNamespace(
                rule_name=violation["ruleName"],
                description=violation["description"],
                fix=violation.get("fix"),
                severity=violation.get("severity"),
                rule_metadata=violation.get("ruleMetadata"),
                violating_resources=[
                    SimpleNamespace(
                        resource_logical_id=resource.get("resourceLogicalId"),
                        construct_path=resource.get("constructPath"),
                        template_path=resource.get("templatePath"),
                        locations=resource.get("locations"),
                    )
                    for resource in violation["violatingResources"]
                ],
            )
            for violation in report.get("violations", [])
        ]
    )
    return violation_records(cast(cdk.PolicyValidationPluginReport, as_jsii_gives_it))


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
