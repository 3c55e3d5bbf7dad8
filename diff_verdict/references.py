"""The logical IDs a template value points at (Ref, Fn::GetAtt, Fn::Sub), to follow a replacement to whatever
takes the replaced resource's name or ARN as a create-only property."""

from __future__ import annotations

import re
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}.]+)(?:\.[^}]*)?\}")


def referenced_ids(value: Any) -> set[str]:
    found: set[str] = set()
    _walk(value, found)
    return {name for name in found if not name.startswith("AWS::")}


def _walk(value: Any, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _walk(item, found)
    elif isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            found.add(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            found.add(attribute[0])
        elif isinstance(attribute, str):
            found.add(attribute.split(".", 1)[0])
        if "Fn::Sub" in value:
            _walk_sub(value["Fn::Sub"], found)
        for key, item in value.items():
            if key != "Fn::Sub":
                _walk(item, found)


def _walk_sub(argument: Any, found: set[str]) -> None:
    text, variables = (
        (argument[0], argument[1]) if isinstance(argument, list) and len(argument) == 2 else (argument, {})
    )
    if isinstance(text, str):
        found.update(name for name in _SUB_VARIABLE.findall(text) if name not in (variables or {}))
    _walk(variables, found)
