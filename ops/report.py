"""The one row shape every operations command emits, and how rows are shown (a table, plain lines or JSON).

A row is `{control, check, status, observed, fix}`: `control` is a catalog ID (BAK-3, ACC-2, ...) shared with the
evidence report, `status` one of `STATUSES` (the one vocabulary of every command), `observed` what the account showed
and `fix` what to do when it is not a pass. `--json` prints `{"command", "environment", "account", "rows": [...]}`.

Exit status: 1 when a row failed (or is blocking and not deployed); else 2 when a check could not run (`error`: its
answer is unknown); else 0.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Literal, TextIO

from rich.console import Console
from rich.table import Table

Status = Literal["pass", "fail", "warn", "not deployed", "error"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "warn", "not deployed", "error")
STATUS_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "not deployed": "dim", "error": "magenta"}


@dataclass(frozen=True)
class Row:
    control: str
    check: str
    status: Status
    observed: str
    fix: str = ""
    # Not part of the JSON: whether a "not deployed" (or "warn") row makes the command exit 1.
    blocking: bool = field(default=True, compare=False, repr=False)

    def as_json(self) -> dict[str, str]:
        data = asdict(self)
        del data["blocking"]
        return data

    @property
    def failed(self) -> bool:
        return self.status == "fail" or (self.blocking and self.status == "not deployed")


def passed(control: str, check: str, observed: str) -> Row:
    return Row(control, check, "pass", observed)


def judged(control: str, check: str, ok: bool, observed: str, fix: str) -> Row:
    """A pass or a fail with its fix, the shape of most checks."""
    return Row(control, check, "pass" if ok else "fail", observed, "" if ok else fix)


def exit_status(rows: list[Row]) -> int:
    if any(row.failed for row in rows):
        return 1
    return 2 if any(row.status == "error" for row in rows) else 0


def render(rows: list[Row], *, command: str, environment: str, account: str, as_json: bool, out: TextIO) -> None:
    if as_json:
        document = {
            "command": command,
            "environment": environment,
            "account": account,
            "rows": [r.as_json() for r in rows],
        }
        out.write(json.dumps(document, indent=2) + "\n")
        return
    if out.isatty():
        table = Table(title=f"{command} {environment} (account {account})", show_lines=False)
        for column in ("control", "check", "status", "observed", "fix"):
            table.add_column(column, overflow="fold")
        for r in rows:
            table.add_row(r.control, r.check, f"[{STATUS_STYLE[r.status]}]{r.status}[/]", r.observed, r.fix)
        Console(file=out).print(table)
        return
    for r in rows:
        fix = f"  fix: {r.fix}" if r.fix else ""
        out.write(f"{r.status.upper():<12} {r.control:<6} {r.check}: {r.observed}{fix}\n")


def stderr_line(message: str) -> None:
    sys.stderr.write(f"ops: {message}\n")
