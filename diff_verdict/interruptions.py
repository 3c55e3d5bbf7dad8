"""In-place updates that restart or interrupt a stateful resource (issue 24): not a replacement (the registry schema
does not make the property create-only), yet not free either. The property list per type, with its AWS documentation
page, is data: diff_verdict/update_interruptions.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from diff_verdict.findings import Finding, show
from diff_verdict.stateful import stateful_reason

DATA = Path(__file__).with_name("update_interruptions.toml")


@dataclass(frozen=True)
class Interrupting:
    page: str
    effect: str
    properties: tuple[str, ...]
    cli_says_replacement: frozenset[str]


@cache
def interrupting() -> dict[str, Interrupting]:
    """Resource type -> the properties whose in-place update interrupts it."""
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    return {
        resource_type: Interrupting(
            str(entry["page"]),
            str(entry["effect"]),
            tuple(entry["properties"]),
            frozenset(entry.get("cli_says_replacement", [])),
        )
        for resource_type, entry in data.items()
    }


def interruptions(stack: str, logical_id: str, before: dict[str, Any], after: dict[str, Any]) -> list[Finding]:
    """One finding per interrupting property that changed on a stateful resource updated in place."""
    resource_type = str(after.get("Type"))
    entry = interrupting().get(resource_type)
    if entry is None or before.get("Type") != resource_type or not stateful_reason(after):
        return []
    old, new = before.get("Properties") or {}, after.get("Properties") or {}
    found = []
    for name in entry.properties:
        if old.get(name) == new.get(name):
            continue
        detail = (
            f"{name} {_shown(old, name)} -> {_shown(new, name)}: in-place update, Some interruptions "
            f"({entry.effect}; {entry.page})"
        )
        if name in entry.cli_says_replacement:
            detail += (
                f"; `cdk diff` prints '{name} (requires replacement)' from its older spec: not create-only in the "
                "registry schema, so CloudFormation updates the resource in place"
            )
        else:
            detail += "; not create-only in the registry schema"
        found.append(Finding("interruption", stack, logical_id, resource_type, "restarts", detail))
    return found


def _shown(properties: dict[str, Any], name: str) -> str:
    return show(properties[name], 60) if name in properties else "(unset)"
