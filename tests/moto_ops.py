"""Run the ops command line in-process against the session's moto deployment, and read its JSON rows."""

from __future__ import annotations

import io
import json
from typing import Any

from ops.cli import main
from tests.moto_stubs import MotoGaps

CONFIG = "config/environments.toml"


def run_ops(
    command: str, *arguments: str, gaps: MotoGaps, env: str = "acme-prod", config: str = CONFIG
) -> tuple[int, dict[str, Any]]:
    """Exit status and the JSON document of `python -m ops <command> --config CONFIG --env ENV --json ...`."""
    out = io.StringIO()
    code = main(
        [command, "--config", config, "--env", env, "--json", *arguments], session_factory=gaps.session, out=out
    )
    text = out.getvalue()
    return code, json.loads(text) if text else {}


def row(document: dict[str, Any], check: str) -> dict[str, Any]:
    (found,) = [r for r in document["rows"] if r["check"] == check]
    return found


def failing(document: dict[str, Any]) -> list[str]:
    return [r["check"] for r in document["rows"] if r["status"] == "fail"]
