"""The ops command line as users call it: `--help` shows every default, and `make <command> OPS_ARGS=--json`
writes only the JSON document on stdout (make must not echo the recipe there), so `> out.json` is valid JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ops.cli import COMMANDS, parser


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_the_defaults(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: config/environments.toml)" in text
    if command == "restore-drill":
        assert "(default: 120.0)" in text


SITECUSTOMIZE = """\
# Started by tests/test_ops_cli.py: the ops process talks to an in-process moto (an empty account).
from moto import mock_aws

mock_aws().start()
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("make_flags", [(), ("-W", "requirements-ops.txt")], ids=["installed", "first-run"])
def test_make_ops_with_json_writes_only_json_on_stdout(tmp_path: Path, make_flags: tuple[str, ...]) -> None:
    """`make keys ENV=globex-dev OPS_ARGS=--json > out.json`, in an empty moto account (the environment is not
    deployed, so it exits 1): stdout parses as the tool's JSON document, nothing else is on it; also on a first run,
    when make installs the ops group first (`-W` makes its requirements look newer: a real, no-op install)."""
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    environment = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "MOTO_ACCOUNT_ID": "111122223333",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    environment.pop("AWS_PROFILE", None)
    environment.pop("MAKEFLAGS", None)
    result = subprocess.run(
        ["make", "--no-print-directory", *make_flags, "keys", "ENV=globex-dev", "OPS_ARGS=--json"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    document = json.loads(result.stdout)
    assert document["command"] == "keys"
    assert document["environment"] == "globex-dev"
    assert [r["status"] for r in document["rows"]] == ["not deployed"]
    assert result.returncode == 2, result.stderr  # make's status when the recipe exits non-zero
