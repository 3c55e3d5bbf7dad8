"""The resource-type ledger (CMP-1): which CloudFormation types were reviewed against AWS's pages, and what guards them.

policies/resource_ledger.toml is the data; this reads it and answers the one question a test (and the evidence report)
asks of an assembly: which deployed types have no entry, so a new stack cannot deploy a type nobody reviewed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

LEDGER_PATH = Path(__file__).with_name("resource_ledger.toml")


@dataclass(frozen=True)
class LedgerEntry:
    """The AWS pages read for one type, and the rules, gates or tests that encode them."""

    docs: tuple[str, ...]
    guards: tuple[str, ...]
    read: str
    note: str = ""


@cache
def resource_ledger(path: Path = LEDGER_PATH) -> dict[str, LedgerEntry]:
    types: dict[str, dict[str, Any]] = tomllib.loads(path.read_text(encoding="utf-8"))["types"]
    return {
        name: LedgerEntry(
            docs=tuple(entry["docs"]), guards=tuple(entry["guards"]), read=entry["read"], note=entry.get("note", "")
        )
        for name, entry in types.items()
    }


def deployed_types(templates: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """Resource type -> the templates (paths or stack names) that deploy it."""
    found: dict[str, list[str]] = {}
    for path, template in templates.items():
        for resource in (template.get("Resources") or {}).values():
            found.setdefault(str(resource.get("Type")), [])
            if path not in found[str(resource.get("Type"))]:
                found[str(resource.get("Type"))].append(path)
    return found


def unreviewed_types(
    templates: Mapping[str, Mapping[str, Any]], ledger: Mapping[str, LedgerEntry] | None = None
) -> dict[str, list[str]]:
    """Deployed types without a ledger entry, each with the templates that deploy it."""
    known = resource_ledger() if ledger is None else ledger
    return {kind: paths for kind, paths in sorted(deployed_types(templates).items()) if kind not in known}
