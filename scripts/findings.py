#!/usr/bin/env python3
"""Summarize a policy validation report: one line per rule and plugin, with the resources it names.

scripts/findings.py cdk.out/validation-report.json [--all]   (--all includes warnings)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    report = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    show_all = "--all" in argv
    failing = 0
    for plugin in report.get("pluginReports", []):
        for violation in plugin["violations"]:
            if violation.get("severity") == "warning" and not show_all:
                continue
            failing += 1
            print(f"{plugin['pluginName']}  {violation['ruleName']}")
            for construct in violation["violatingConstructs"]:
                logical_id = (construct.get("cloudFormationResource") or {}).get("logicalId", "")
                print(f"    {construct.get('constructPath') or '-'}  ({logical_id})")
        if plugin.get("conclusion") == "failure" and not plugin["violations"]:
            failing += 1
            print(f"{plugin['pluginName']}  failed without violations (the plugin itself failed; see synth output)")
    print(f"{failing} failing rule(s)")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
