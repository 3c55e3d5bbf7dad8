"""Read the TOML config file and turn every rejection into one actionable line.

Each line says where (the field path, with the environment's name), what (the value) and what is allowed, e.g.
`config error: environments[1] (globex-dev).vpc_cidr = '10.10.16.0/20': overlaps acme-prod (10.10.0.0/16); ...`.
Nothing here imports the CDK: `make check-config` runs this module alone, in well under a second.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from config.field_names import did_you_mean, environment_label
from config.model import AppConfig, FieldValueError
from config.patterns import IN_WORDS

DEFAULT_CONFIG_PATH = Path(__file__).with_name("environments.toml")
REFERENCE = "docs/configuration.md"
_MAX_VALUE_CHARS = 60
_PRIVATE_KEY_MARK = "PRIVATE KEY"
# Strict types: what a value of the wrong TOML type must be instead (pydantic's own words name Python types).
_TYPE_WORDS = {
    "int_type": "must be a whole number (no quotes, not true/false, no decimal point)",
    "bool_type": "must be true or false (no quotes)",
    "string_type": "must be text, in quotes",
    "list_type": "must be a list, in square brackets",
    "model_type": "must be a table of keys (a [section] or { key = value })",
    "dict_type": "must be a table of keys (a [section] or { key = value })",
}


class ConfigError(Exception):
    """The configuration was rejected; `problems` holds one line per rejected value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> AppConfig:
    """Load and validate a config file; raise ConfigError before anything is built."""
    path = Path(path)
    where = f"config error: config = '{path}'"
    if not path.is_file():
        raise ConfigError([f"{where}: no such file; pass CONFIG=PATH (make) or -c config=PATH (cdk) to a TOML file"])
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ConfigError([f"{where}: cannot be read ({error.strerror})"]) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            [f"{where}: is not UTF-8 text (byte {error.start} is {error.object[error.start]:#04x}); save it as UTF-8"]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"{where}: not valid TOML ({error})"]) from None
    return parse_config(data)


def parse_config(data: dict[str, Any]) -> AppConfig:
    """Validate already-parsed config data (used by tests and by `load_config`)."""
    try:
        return AppConfig.model_validate(data)
    except ValidationError as error:
        details = error.errors()
        explained = {(*detail["loc"][:-1], hint) for detail in details if (hint := _typo_target(detail))}
        problems = [
            _describe(detail, data)
            for detail in details
            if not (detail["type"] == "missing" and detail["loc"] in explained)  # the typo's line says it
        ]
        raise ConfigError(list(dict.fromkeys(problems))) from None


def _typo_target(detail: ErrorDetails) -> str | None:
    if detail["type"] != "extra_forbidden":
        return None
    return did_you_mean(detail["loc"])


def _describe(detail: ErrorDetails, data: dict[str, Any]) -> str:
    path = _path(detail["loc"])
    cause = (detail.get("ctx") or {}).get("error")
    if isinstance(cause, FieldValueError):
        field = cause.field if cause.field.startswith("[") else f".{cause.field}"
        path = f"{path}{field}" if path else field.lstrip(".")
        return _line(path, data, cause.value, cause.problem)
    if detail["type"] == "missing":
        return f"config error: {environment_label(path, data)}: is required"
    if detail["type"] == "extra_forbidden":
        suggestion = did_you_mean(detail["loc"])
        hint = f"did you mean {suggestion}?" if suggestion else "not a key here (a typo?)"
        return f"config error: {environment_label(path, data)}: unknown key; {hint} Allowed keys: {REFERENCE}"
    message = _TYPE_WORDS.get(detail["type"], detail["msg"].removeprefix("Value error, "))
    if detail["type"] == "string_pattern_mismatch":
        message = IN_WORDS.get(str((detail.get("ctx") or {}).get("pattern")), message)
    return _line(path, data, detail["input"], message)


def _line(path: str, data: dict[str, Any], value: Any, problem: str) -> str:
    shown = "" if value is None else f" = {_show(value)}"
    return f"config error: {environment_label(path, data)}{shown}: {problem}"


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
    if isinstance(value, str) and _PRIVATE_KEY_MARK in value:
        return "'-----BEGIN ... PRIVATE KEY-----' (not shown)"  # never echo a secret into a terminal or CI log
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value) if isinstance(value, (int, float, list, dict)) else repr(str(value))
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 5] + "...'"
