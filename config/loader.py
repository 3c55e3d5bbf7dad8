"""Read the TOML config file and turn every rejection into one actionable line.

Each line says where (the field path), what (the value) and what is allowed, e.g.
`config error: environments[1].vpc_cidr = '10.0.0.0/16': overlaps environments[0] (...)`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from config.model import AppConfig, FieldValueError

DEFAULT_CONFIG_PATH = Path(__file__).with_name("environments.toml")
_MAX_VALUE_CHARS = 60


class ConfigError(Exception):
    """The configuration was rejected; `problems` holds one line per rejected value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> AppConfig:
    """Load and validate a config file; raise ConfigError before anything is built."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([f"config error: config = '{path}': no such file; pass -c config=PATH to a TOML file"])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"config error: config = '{path}': not valid TOML ({error})"]) from None
    return parse_config(data)


def parse_config(data: dict[str, Any]) -> AppConfig:
    """Validate already-parsed config data (used by tests and by `load_config`)."""
    try:
        return AppConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError([_describe(detail) for detail in error.errors()]) from None


def _describe(detail: ErrorDetails) -> str:
    path = _path(detail["loc"])
    cause = (detail.get("ctx") or {}).get("error")
    if isinstance(cause, FieldValueError):
        field = cause.field if cause.field.startswith("[") else f".{cause.field}"
        path = f"{path}{field}" if path else field.lstrip(".")
        return f"config error: {path} = {_show(cause.value)}: {cause.problem}"
    message = detail["msg"].removeprefix("Value error, ")
    if detail["type"] == "missing":
        return f"config error: {path}: is required"
    if detail["type"] == "extra_forbidden":
        return f"config error: {path}: unknown key (a typo?); see config/environments.toml for the allowed keys"
    return f"config error: {path} = {_show(detail['input'])}: {message}"


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif "[" in part or part in {"str", "int", "none"}:
            continue  # pydantic's name for a union member or validator, not a field
        else:
            text += f".{part}" if text else part
    return text


def _show(value: Any) -> str:
    text = repr(str(value)) if not isinstance(value, (int, list, dict)) or isinstance(value, bool) else repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 5] + "...'"
