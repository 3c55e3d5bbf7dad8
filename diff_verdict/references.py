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


def renamed_references(value: Any, renames: dict[str, str]) -> Any:
    """`value` with every reference to a renamed logical ID pointing at its new ID, so a rename alone does not look
    like a new grant or a new firewall peer."""
    if not renames:
        return value
    if isinstance(value, list):
        return [renamed_references(item, renames) for item in value]
    if not isinstance(value, dict):
        return value
    result = {key: renamed_references(item, renames) for key, item in value.items()}
    if isinstance(value.get("Ref"), str):
        result["Ref"] = renames.get(value["Ref"], value["Ref"])
    attribute = value.get("Fn::GetAtt")
    if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
        result["Fn::GetAtt"] = [renames.get(attribute[0], attribute[0]), *attribute[1:]]
    elif isinstance(attribute, str):
        target, _, rest = attribute.partition(".")
        result["Fn::GetAtt"] = f"{renames.get(target, target)}.{rest}" if rest else renames.get(target, target)
    sub = value.get("Fn::Sub")
    if isinstance(sub, str):
        result["Fn::Sub"] = _renamed_sub(sub, renames)
    elif isinstance(sub, list) and sub and isinstance(sub[0], str):
        result["Fn::Sub"] = [_renamed_sub(sub[0], renames), *result["Fn::Sub"][1:]]
    return result


def _renamed_sub(text: str, renames: dict[str, str]) -> str:
    return _SUB_VARIABLE.sub(lambda m: m.group(0).replace(m.group(1), renames.get(m.group(1), m.group(1)), 1), text)
