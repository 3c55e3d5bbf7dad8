"""Where a rejected value sits, said the way a user reads the file: the environment by name, a typo with the key it
was probably meant to be (`admin_cidr` -> `admin_cidrs`).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel

from config.model import AppConfig

_ENVIRONMENT = re.compile(r"^environments\[(\d+)\]")
_ACCOUNT = re.compile(r"^accounts\[(\d+)\]")


def environment_label(path: str, data: dict[str, Any]) -> str:
    """`environments[2].vpc_cidr` -> `environments[2] (initech-staging).vpc_cidr`, from the raw data, so it works
    even when that environment was rejected; likewise `accounts[0] (111122223333)`."""
    if match := _ENVIRONMENT.match(path):
        entry = _entry(data, "environments", int(match[1]))
        name = "-".join(str(entry[key]) for key in ("tenant", "stage") if isinstance(entry.get(key), str))
        return f"{match[0]} ({name}){path[match.end() :]}" if name else path
    if match := _ACCOUNT.match(path):
        account = _entry(data, "accounts", int(match[1])).get("account")
        label = account if isinstance(account, str) else "deploying account"
        return f"{match[0]} ({label}){path[match.end() :]}"
    return path


def _entry(data: dict[str, Any], key: str, index: int) -> dict[str, Any]:
    entries = data.get(key)
    if isinstance(entries, list) and index < len(entries) and isinstance(entries[index], dict):
        return entries[index]
    return {}


def did_you_mean(loc: tuple[int | str, ...]) -> str | None:
    """The allowed key nearest to the unknown key at the end of `loc`, if one is near enough."""
    model = _model_at(loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return None
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1, cutoff=0.6)
    return close[0] if close else None


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The config model that holds the keys at `loc` (list indexes skipped), by walking the field annotations."""
    model: type[BaseModel] | None = AppConfig
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        model = section_model(model.model_fields[part].annotation)
    return model


def section_model(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel inside `X`, `list[X]`, `X | None` or `Annotated[X, ...]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            if found := section_model(argument):
                return found
    return None
