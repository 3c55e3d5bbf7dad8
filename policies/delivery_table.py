"""The delivery table (policies/delivery_paths.toml) as typed rows: which AWS service writes into which kind of
destination, as which documented principal, needing what (ACC-4, CMP-1, ENC-3). Read by the delivery-path evaluator
(policies/delivery_paths.py) and by the ENC-3 key-policy rule (policies/access_rules.py)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).with_name("delivery_paths.toml")


@dataclass(frozen=True)
class Row:
    """One documented delivery (a row of delivery_paths.toml)."""

    id: str
    service: str
    control: str
    writer: str
    destination: str
    kind: str
    principals: tuple[str, ...]
    docs: tuple[str, ...]
    when: Mapping[str, Any] = field(default_factory=dict)
    resource_actions: tuple[str, ...] = ()
    resource_conditions: tuple[str, ...] = ()
    key_actions: tuple[str, ...] = ()
    key_conditions: tuple[str, ...] = ()
    via_service: str = ""
    role_actions: tuple[str, ...] = ()
    unsupported: tuple[Mapping[str, Any], ...] = ()
    required: tuple[Mapping[str, Any], ...] = ()


@cache
def delivery_table(path: Path = TABLE_PATH) -> tuple[Row, ...]:
    rows: list[dict[str, Any]] = tomllib.loads(path.read_text(encoding="utf-8"))["delivery"]
    return tuple(Row(**_tuples(row)) for row in rows)


def _tuples(row: dict[str, Any]) -> dict[str, Any]:
    return {key: tuple(value) if isinstance(value, list) else value for key, value in row.items()}


def documented_key_conditions() -> dict[str, frozenset[str]]:
    """Service principal -> the aws:Source* keys AWS documents on its key-policy statement (lower case)."""
    found: dict[str, frozenset[str]] = {}
    for row in delivery_table():
        for principal in row.principals:
            if row.key_conditions:
                found[principal] = frozenset(key.lower() for key in row.key_conditions)
    return found
