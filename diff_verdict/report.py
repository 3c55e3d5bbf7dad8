"""The verdict as a pull-request comment (diff-report.md) and as data (diff-report.json), written atomically: each
file is complete or absent, never half-written (issue 13, rule 4)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from diff_verdict.findings import SEVERITY_LABEL, SEVERITY_ORDER
from diff_verdict.verdict import StackVerdict, Verdict

SCHEMA_VERSION = 1
MARKDOWN_NAME, JSON_NAME = "diff-report.md", "diff-report.json"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _worst(stack: StackVerdict) -> int:
    return min((SEVERITY_ORDER[f.severity] for f in stack.findings), default=len(SEVERITY_ORDER))


def markdown(verdict: Verdict, base: str, head: str) -> str:
    lines = [f"**Change verdict: {verdict.summary}**", ""]
    lines.append(
        f"Base `{base}`, head `{head}`; exit status {verdict.exit_code}. Dangers first, then in-place updates that "
        "interrupt a stateful resource, security widening, firewall port moves, gate changes, new stacks, then "
        "stateless replacements."
    )
    if verdict.allow_replace_line:
        lines += ["", "To accept every stateful replacement and deletion below, re-run with:", "", "```"]
        lines += [verdict.allow_replace_line, "```"]
    if verdict.allow_replace:
        lines.append(f"ALLOW_REPLACE: {', '.join(f'`{a}`' for a in verdict.allow_replace)}.")
    for unused in verdict.allow_unused:
        lines.append(f"Note: ALLOW_REPLACE names `{unused}`, which this change neither replaces nor deletes.")
    quiet = []
    for stack in sorted(verdict.stacks, key=lambda s: (_worst(s), s.name)):
        if not stack.findings:
            quiet.append(f"`{stack.name}`" + ("" if stack.status == "unchanged" else f" ({stack.status})"))
            continue
        base_acks, head_acks = stack.acknowledgements
        lines += [
            "",
            f"### {stack.name} ({stack.status})",
            "",
            "| | Resource | Type | Change | Controls |",
            "|---|---|---|---|---|",
        ]
        for f in stack.findings:
            label = f"**{SEVERITY_LABEL[f.severity]}**" if f.severity == "danger" else SEVERITY_LABEL[f.severity]
            what = _cell(f"{f.change}: {f.detail}")
            lines.append(f"| {label} | `{f.logical_id}` | {f.resource_type} | {what} | {', '.join(f.controls)} |")
        if stack.new_rules:
            lines += ["", f"<details><summary>{len(stack.new_rules)} rules of the new stack</summary>", ""]
            lines += [f"- {_cell(rule)}" for rule in stack.new_rules]
            lines += ["", "</details>"]
        lines += ["", f"Acknowledgements: {base_acks} -> {head_acks}."]
    if quiet:
        lines += ["", f"No flagged change: {', '.join(quiet)}."]
    return "\n".join(lines) + "\n"


def as_json(verdict: Verdict, base: str, head: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "verdict": "blocked" if verdict.exit_code else "passed",
        "exit_code": verdict.exit_code,
        "summary": verdict.summary,
        "base": base,
        "head": head,
        "strict": verdict.strict,
        "allow_replace": {
            "named": verdict.allow_replace,
            "unused": verdict.allow_unused,
            "to_accept": verdict.allow_replace_line,
        },
        "counts": {severity: verdict.count(severity) for severity in SEVERITY_ORDER},
        "acknowledgements": {
            "base": sum(s.acknowledgements[0] for s in verdict.stacks),
            "head": sum(s.acknowledgements[1] for s in verdict.stacks),
        },
        "head_unacknowledged_findings": verdict.head_unacknowledged,
        "stacks": [
            {
                "name": s.name,
                "status": s.status,
                "acknowledgements": {"base": s.acknowledgements[0], "head": s.acknowledgements[1]},
                "findings": [f.as_json() for f in s.findings],
                "new_rules": s.new_rules,
            }
            for s in sorted(verdict.stacks, key=lambda s: s.name)
        ],
    }


def write_reports(verdict: Verdict, directory: Path, base: str, head: str) -> tuple[Path, Path]:
    """Write both reports next to each other; a failure leaves the previous reports as they were."""
    contents = {
        MARKDOWN_NAME: markdown(verdict, base, head),
        JSON_NAME: json.dumps(as_json(verdict, base, head), indent=2) + "\n",
    }
    staged: dict[str, str] = {}
    try:
        for name, content in contents.items():
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
            staged[name] = temporary
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(content)
        for name, temporary in staged.items():
            os.replace(temporary, directory / name)
    finally:
        for temporary in staged.values():
            if os.path.exists(temporary):
                os.unlink(temporary)
    return directory / MARKDOWN_NAME, directory / JSON_NAME
