"""Read the validation report a synth writes, and refuse a gate that did not run (CMP-1).

aws-cdk-lib 2.275 turns an exception inside a policy-validation plugin into a report entry
(`conclusion: failure`, `metadata.error`) with no violations, and the synth still succeeds: a gate that crashes
passes silently. `crashed_gates` finds those entries; `app.py` and the test harness fail the synth on any.
`failed_gates` names the gates with unacknowledged findings, for the synth's last progress line.
"""

from __future__ import annotations

import json
from pathlib import Path

REPORT_FILE = "validation-report.json"


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
