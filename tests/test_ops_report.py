"""How ops rows are shown: a table on a terminal, plain lines otherwise, JSON with the documented row shape."""

from __future__ import annotations

import io
import json

from ops.report import Row, exit_status, render

ROWS = [
    Row("BAK-3", "vault locked", "pass", "Locked=True"),
    Row("ACC-2", "key pair x", "fail", "stray", "delete it"),
    Row("NET-5", "GuardDuty enabled", "not deployed", "no detector", "deploy the baseline", blocking=False),
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_rows_have_exactly_the_documented_shape() -> None:
    out = io.StringIO()
    render(ROWS, command="verify", environment="acme-prod", account="1", as_json=True, out=out)
    document = json.loads(out.getvalue())
    assert set(document) == {"command", "environment", "account", "rows"}
    assert document["rows"][1] == {
        "control": "ACC-2",
        "check": "key pair x",
        "status": "fail",
        "observed": "stray",
        "fix": "delete it",
    }


def test_plain_lines_when_not_a_terminal_and_a_table_on_one() -> None:
    plain = io.StringIO()
    render(ROWS, command="verify", environment="acme-prod", account="1", as_json=False, out=plain)
    assert plain.getvalue().splitlines()[1] == "FAIL         ACC-2  key pair x: stray  fix: delete it"
    table = Terminal()
    render(ROWS, command="verify", environment="acme-prod", account="1", as_json=False, out=table)
    assert "verify acme-prod (account 1)" in table.getvalue()
    assert "┃" in table.getvalue() or "│" in table.getvalue()


def test_exit_status_fails_on_a_fail_and_on_a_blocking_not_deployed_only() -> None:
    assert exit_status(ROWS) == 1
    assert exit_status([ROWS[0], ROWS[2]]) == 0
    assert exit_status([Row("BAK-4", "database", "not deployed", "none")]) == 1


def test_a_check_that_could_not_run_exits_2_unless_another_failed() -> None:
    error = Row("HA-1", "Elastic IP quota", "error", "could not check: GetServiceQuota failed")
    assert exit_status([ROWS[0], error]) == 2
    assert exit_status([ROWS[1], error]) == 1
