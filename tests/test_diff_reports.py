"""The diff verdict's command line and reports (issue 13): exit status, the markdown and JSON reports (verdict first,
dangers first, written atomically), one-line errors that write nothing, and the CDK CLI's own diff agreeing on a
replacement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from diff_verdict.__main__ import main
from tests.cli_synth import cdk_diff
from tests.diff_probes import STACK, ProbeKnobs, synth_probe
from tests.test_diff_verdict import flagged, verdict_of


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_probe(tmp_path_factory.mktemp("base") / "cdk.out")


def head_of(tmp_path: Path, **knobs: Any) -> Path:
    return synth_probe(tmp_path / "head.out", ProbeKnobs(**knobs))


def run(base: Path, head: Path, out: Path, *extra: str) -> int:
    try:
        return main(["--base", str(base), "--head", str(head), "--report-dir", str(out), *extra])
    except SystemExit as stop:
        return int(stop.code or 0)


def test_reports_put_the_verdict_first_and_dangers_before_widening(base: Path, tmp_path: Path) -> None:
    head = head_of(tmp_path, db_identifier="probe-db-2", ssh_cidrs=("0.0.0.0/0",))
    assert run(base, head, tmp_path) == 2
    markdown = (tmp_path / "diff-report.md").read_text(encoding="utf-8")
    assert markdown.splitlines()[0].startswith("**Change verdict: BLOCKED: 1 stateful resource would be replaced")
    assert markdown.index("**DANGER**") < markdown.index("| widening |")
    data = json.loads((tmp_path / "diff-report.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 1
    assert data["exit_code"] == 2
    assert data["counts"]["danger"] == 1
    assert data["counts"]["widening"] == 1
    probe = next(s for s in data["stacks"] if s["name"] == STACK)
    assert [f["severity"] for f in probe["findings"]][:2] == ["danger", "widening"]
    assert not list(tmp_path.glob(".diff-report*")), "no temporary file is left behind"


def test_strict_makes_widening_block_with_exit_1(base: Path, tmp_path: Path) -> None:
    head = head_of(tmp_path, ssh_cidrs=("0.0.0.0/0",))
    assert run(base, head, tmp_path) == 0
    assert run(base, head, tmp_path, "--strict") == 1


def test_allow_replace_on_the_command_line(base: Path, tmp_path: Path) -> None:
    head = head_of(tmp_path, db_identifier="probe-db-2")
    assert run(base, head, tmp_path, "--allow-replace", f" {STACK}/Database, ") == 0
    assert "allowed (ALLOW_REPLACE)" in (tmp_path / "diff-report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--allow-replace", "Database"), "ALLOW_REPLACE entry 'Database' is not <stack>/<logical id>"),
        (("--bogus",), "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_give_one_line_and_write_nothing(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], message: str
) -> None:
    assert run(base, base, tmp_path, *arguments) == 3
    error = capsys.readouterr().err
    assert message in error
    assert error.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_missing_assembly_gives_one_line_and_leaves_old_reports(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "diff-report.md").write_text("previous", encoding="utf-8")
    assert run(tmp_path / "nowhere", base, tmp_path) == 3
    error = capsys.readouterr().err
    assert "nowhere: not a cloud assembly (no manifest.json)" in error
    assert error.count("\n") == 1
    assert (tmp_path / "diff-report.md").read_text(encoding="utf-8") == "previous"
    assert not (tmp_path / "diff-report.json").exists()


def test_cdk_diff_agrees_a_bucket_rename_is_a_replacement(base: Path, tmp_path: Path) -> None:
    """The CDK CLI's own offline diff, on the same pair, says the bucket would be replaced."""
    head = head_of(tmp_path, bucket_name="probe-moved-111122223333")
    result = cdk_diff(head, base / f"{STACK}.template.json", STACK, fail=False)
    output = result.stdout + result.stderr
    line = next(line for line in output.splitlines() if "Data666C94C7" in line and "AWS::S3::Bucket" in line)
    assert line.endswith(" replace")
    assert "BucketName (requires replacement)" in output
    assert flagged(verdict_of(base, head), "danger")[f"{STACK}/Data666C94C7"].change == "replaced"
