"""The command line: `python -m ops {preflight,verify,restore-drill,keys} --config FILE --env NAME [--json]`.

Exit status: 0 when every check passes, 1 when a check fails, 2 when the command could not run (bad input, no or
expired credentials, access denied, throttling, a missing resource): then one line on stderr says what is wrong and
what to do. This module is the one place that catches those errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

import boto3

from config import DEFAULT_CONFIG_PATH
from ops import keys, preflight, restore_drill, verify
from ops.assembly import read_assembly
from ops.aws import Aws, SessionFactory
from ops.environment import Environment, select_environment
from ops.errors import one_line
from ops.report import Row, exit_status, render, stderr_line

COMMANDS = ("preflight", "verify", "restore-drill", "keys")


class DefaultsShown(argparse.ArgumentDefaultsHelpFormatter):
    """`--help` names every default a user can rely on; a path inside the working directory is shown relative."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or action.required:
            return action.help
        if isinstance(action.default, Path):
            shown = (
                action.default.relative_to(Path.cwd()) if action.default.is_relative_to(Path.cwd()) else action.default
            )
            return f"{action.help} (default: {shown})"
        return super()._get_help_string(action)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m ops",
        description="Operations on a deployed environment.",
        formatter_class=DefaultsShown,
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    for name, summary in (
        ("preflight", "read-only: will a first deploy of this environment succeed in this account?"),
        ("verify", "read-only: does the deployed environment keep the catalog's promises?"),
        ("restore-drill", "restore the database to a point in time into a drill instance, record RPO/RTO, delete it"),
        ("keys", "read-only: the environment's SSH key pairs against the operators in config"),
    ):
        command = commands.add_parser(name, help=summary, description=summary, formatter_class=DefaultsShown)
        command.add_argument("--config", type=Path, default=Path(DEFAULT_CONFIG_PATH), help="the app's config file")
        command.add_argument("--env", required=True, help="environment name, <tenant>-<stage>")
        command.add_argument("--profile", help="AWS profile (when absent: AWS_PROFILE or the default chain)")
        command.add_argument("--json", action="store_true", help="print rows as JSON")
        if name == "preflight":
            command.add_argument(
                "--assembly", type=Path, help="a synthesized cloud assembly (e.g. cdk.out) to read names from"
            )
        if name == "restore-drill":
            restore_drill.add_arguments(command)
    return root


def run(arguments: argparse.Namespace, session_factory: SessionFactory, out: TextIO) -> int:
    env_config = select_environment(arguments.config, arguments.env)
    drill = restore_drill.plan(env_config, arguments) if arguments.command == "restore-drill" else None
    session = session_factory(profile_name=arguments.profile) if arguments.profile else session_factory()
    environment = Environment(env_config, Aws(session))
    account = environment.account
    rows: list[Row]
    if arguments.command == "preflight":
        assembly = read_assembly(arguments.assembly, env_config.name, account) if arguments.assembly else None
        rows = preflight.run(environment, assembly)
    elif arguments.command == "verify":
        rows = verify.run(environment)
    elif arguments.command == "keys":
        rows = keys.run(environment)
    else:
        assert drill is not None
        rows = restore_drill.run(environment, drill, out=out, quiet=arguments.json)
    render(
        rows, command=arguments.command, environment=env_config.name, account=account, as_json=arguments.json, out=out
    )
    return exit_status(rows)


def main(
    argv: list[str] | None = None, *, session_factory: SessionFactory = boto3.Session, out: TextIO | None = None
) -> int:
    arguments = parser().parse_args(argv)
    try:
        return run(arguments, session_factory, out or sys.stdout)
    except Exception as error:
        message = one_line(error, command=arguments.command)
        if message is None:
            raise
        stderr_line(message)
        return 2
