"""Read the validation report a synth writes, and refuse a gate that did not run (CMP-1).

aws-cdk-lib 2.275 turns an exception inside a policy-validation plugin into a report entry
(`conclusion: failure`, `metadata.error`) with no violations, and the synth still succeeds: a gate that crashes
passes silently. `crashed_gates` finds those entries; `app.py` and the test harness fail the synth on any.
`failed_gates` names the gates with unacknowledged findings, for the synth's last progress line; `gate_counts` gives
each gate's acknowledged and open findings, for its progress line ("18 findings, 18 acknowledged, 0 open").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPORT_FILE = "validation-report.json"


@dataclass(frozen=True)
class GateCounts:
    """One gate's findings after aws-cdk-lib applied the acknowledgements, counted per violating resource."""

    acknowledged: int
    open: int


def gate_counts(outdir: str | Path) -> dict[str, GateCounts]:
    """Per gate name: how many of its findings were acknowledged and how many are open."""
    report = json.loads((Path(outdir) / REPORT_FILE).read_text(encoding="utf-8"))

    def resources(violations: list[dict[str, Any]] | None) -> int:
        return sum(len(violation.get("violatingConstructs") or []) for violation in violations or [])

    return {
        str(plugin.get("pluginName")): GateCounts(
            acknowledged=resources(plugin.get("suppressedViolations")), open=resources(plugin.get("violations"))
        )
        for plugin in report.get("pluginReports", [])
    }


def failed_gates(outdir: str | Path) -> list[str]:
    """One line per unacknowledged finding of a gate whose conclusion is failure: gate, rule, where, what."""
    report = json.loads((Path(outdir) / REPORT_FILE).read_text(encoding="utf-8"))
    lines = []
    for plugin in report.get("pluginReports", []):
        if plugin.get("conclusion") != "failure" or (plugin.get("metadata") or {}).get("error"):
            continue
        for violation in plugin.get("violations") or []:
            for construct in violation.get("violatingConstructs") or []:
                lines.append(
                    f"{plugin.get('pluginName')}: {violation['ruleName']} at {construct.get('constructPath')}: "
                    f"{violation.get('description', '').strip()}"
                )
    return lines


def crashed_gates(outdir: str | Path) -> list[str]:
    """One line per gate that raised instead of reporting: its name and the error."""
    report = json.loads((Path(outdir) / REPORT_FILE).read_text(encoding="utf-8"))
    return [
        f"{plugin.get('pluginName', '(unnamed plugin)')}: {(plugin.get('metadata') or {})['error']}"
        for plugin in report.get("pluginReports", [])
        if (plugin.get("metadata") or {}).get("error")
    ]
