"""Gate changes (issue 13, rule 3): acknowledgements of policy findings added, removed or re-worded, read from each
resource's `Metadata.cdk_nag.rules_to_suppress` (rule id and reason), and the change in their count (CMP-1)."""

from __future__ import annotations

import re
from typing import Any

from diff_verdict.controls import control
from diff_verdict.findings import Finding, show

Resources = dict[str, dict[str, Any]]
_CONTROL_IN_REASON = re.compile(r"^([A-Z]{3}-\d+)\b")


def acknowledgements(resources: Resources) -> dict[tuple[str, str], tuple[str, str]]:
    """(logical ID, rule id) -> (resource type, reason)."""
    found = {}
    for logical_id, resource in resources.items():
        entries = ((resource.get("Metadata") or {}).get("cdk_nag") or {}).get("rules_to_suppress") or []
        for entry in entries:
            if isinstance(entry, dict) and "id" in entry:
                found[(logical_id, str(entry["id"]))] = (str(resource.get("Type")), str(entry.get("reason", "")))
    return found


def _controls(reason: str) -> tuple[str, ...]:
    named = _CONTROL_IN_REASON.match(reason)
    return (control("acknowledgement"), *((named.group(1),) if named else ()))


def gate_findings(stack: str, base: Resources, head: Resources) -> tuple[list[Finding], int, int]:
    """Acknowledgement changes between base and head (base with renamed resources under their new logical IDs)."""
    before = acknowledgements(base)
    after = acknowledgements(head)
    found = []
    for key in sorted(before.keys() | after.keys()):
        logical_id, rule = key
        if key not in before:
            kind, reason = after[key]
            change, detail = "acknowledgement added", f"{rule}: {show(reason, 200)}"
        elif key not in after:
            kind, reason = before[key]
            change, detail = "acknowledgement removed", f"{rule} (was: {show(reason, 120)})"
        elif before[key][1] != after[key][1]:
            kind, reason = after[key]
            change, detail = "acknowledgement reason changed", f"{rule}: {show(reason, 200)}"
        else:
            continue
        found.append(Finding("gate", stack, logical_id, kind, change, detail, _controls(reason)))
    return found, len(before), len(after)
