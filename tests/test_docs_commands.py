"""Every shell command shown in README.md and docs/*.md is run or checked by this test, so the docs cannot drift
from the code (issue 24). The rules, as a writer reads them: docs/writing-docs.md; as code: tests/docs_commands.py.

Commands that need no AWS run for real in a scratch copy of the checkout (symbolic links to every file, so nothing
is copied) whose cdk.out/ and base.out/ are the session's `make synth` output: the evidence report, the diff verdict
and `make check-config` run in seconds, and no second synth is started.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.cli_synth import clean_env
from tests.docs_commands import PLACEHOLDER, ROOT, DocCommand, every_command

COMMANDS = every_command()
# Written by the commands or by the suite, never linked into the scratch checkout.
NOT_LINKED = {"cdk.out", "cdk.out.staging", "base.out", "evidence", "diff-report.md", "diff-report.json"}
NOT_LINKED |= {"test-results.xml", ".git"}


@pytest.fixture
def scratch_checkout(cli_synth: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "checkout"
    folder.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED:
            (folder / entry.name).symlink_to(entry)
    (folder / "cdk.out").symlink_to(cli_synth)
    (folder / "base.out").symlink_to(cli_synth)
    return folder


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def dry_run(command: str) -> str:
    """`make X ...` as `make -n X ...` (prints what it would run, runs nothing), in every part of `a && b`."""
    parts = re.split(r"(\s*(?:&&|\|\||;)\s*)", command)
    for index in range(0, len(parts), 2):
        assert parts[index].startswith("make "), f"only make commands can be dry-run: {command}"
        parts[index] = "make -n " + parts[index].removeprefix("make ")
    return "".join(parts)


def test_the_docs_show_commands_and_the_rules_see_each_of_them() -> None:
    ways = {command.way for command in COMMANDS}
    assert {"run", "needs AWS", "session synth", "dry run"} <= ways, ways
    assert len(COMMANDS) >= 15


@pytest.mark.parametrize("command", COMMANDS, ids=[command.id for command in COMMANDS])
def test_docs_command_works(command: DocCommand, scratch_checkout: Path, cli_synth: Path) -> None:
    assert not PLACEHOLDER.search(command.text), (
        f"{command.id}: `{command.text}` holds a placeholder; show a runnable example or use a ```text block"
    )
    if command.way == "session synth":
        assert (cli_synth / "manifest.json").is_file()  # the same command, run by the cli_synth fixture
        return
    if command.way == "needs AWS" and not command.text.startswith("make "):
        check_ops_command(command, scratch_checkout)
        return
    text = dry_run(command.text) if command.way in ("dry run", "needs AWS") else command.text
    result = shell(text, scratch_checkout)
    assert result.returncode == 0, f"{command.id}: `{text}` exited {result.returncode}:\n{result.stderr[-2000:]}"


def check_ops_command(command: DocCommand, checkout: Path) -> None:
    """An ops command is never run (it talks to AWS); its tool and every flag it uses must exist."""
    match = re.search(r"-m ops (\S+)(.*)", command.text)
    if match is None:
        return  # a cdk or aws CLI command: listed as needing AWS, nothing to run offline
    tool, rest = match[1], match[2]
    result = shell(f".venv/bin/python -m ops {shlex.quote(tool)} --help", checkout)
    assert result.returncode == 0, f"{command.id}: `ops {tool}` is not an ops tool:\n{result.stderr[-1000:]}"
    for flag in re.findall(r"(?<!\S)(--[a-z][\w-]*)", rest):
        assert flag in result.stdout, f"{command.id}: `ops {tool}` has no {flag}"


def test_probe_a_stale_command_fails(scratch_checkout: Path) -> None:
    """The test can fail: a renamed target or a removed flag is caught."""
    assert shell(dry_run("make no-such-target"), scratch_checkout).returncode != 0
    stale = DocCommand(page="probe", line=1, text=".venv/bin/python -m ops verify --env acme-prod --no-such-flag")
    with pytest.raises(AssertionError, match="has no --no-such-flag"):
        check_ops_command(stale, scratch_checkout)


def test_probe_placeholders_are_refused() -> None:
    stale = ("make synth CONFIG=path/to/a.toml", "npx cdk bootstrap aws://ACCOUNT/us-east-1", "make evidence OUT=<dir>")
    for text in stale:
        assert PLACEHOLDER.search(text), text
