"""`make diff` end to end (issue 13): scripts/offline-diff in a scratch git repository whose `make synth` copies a
probe assembly (the real gated synth is covered elsewhere), the real CDK CLI's per-stack diff, the verdict's exit
status and reports, the one-line errors that change nothing (the CI workflow's structure: tests/test_ci_workflow.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli_synth import ROOT, clean_env
from tests.diff_probes import ProbeKnobs, synth_probe

GOOD_MAKEFILE = 'OUT ?= cdk.out\nsynth:\n\trm -rf $(OUT) && cp -r "$$(cat assembly.txt)" $(OUT)\n'
BROKEN_MAKEFILE = (
    "synth:\n\t@echo 'config error: environments[0].database.port = 5432: is the well-known port' >&2; exit 1\n"
)
# What a fresh clone printed when a gate's module was not installed (issue 21): the app's own line comes first, the
# CLI's and make's reports of the failure after it. The diff must quote the app's line, not the CLI's last one.
MISSING_MODULE_MAKEFILE = (
    "synth:\n"
    "\t@echo \"synth error: gate did not run: ProjectAccessRules: failed: No module named 'cfnlint'\" >&2\n"
    "\t@echo '.venv/bin/python app.py: Subprocess exited with error 1' >&2\n"
    "\t@echo 'synth failed: cdk.out/ left as it was' >&2; exit 1\n"
)


@dataclass(frozen=True)
class Scratch:
    repo: Path
    good_base: str  # a commit whose synth works
    broken_base: str  # a commit whose synth fails


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    root = tmp_path_factory.mktemp("offline-diff")
    base = synth_probe(root / "base-assembly")
    head = synth_probe(root / "head-assembly", ProbeKnobs(db_identifier="probe-db-2", ssh_cidrs=("0.0.0.0/0",)))
    repo = root / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "offline-diff", repo / "scripts" / "offline-diff")
    for shared in (".venv", "node_modules", "diff_verdict"):
        (repo / shared).symlink_to(ROOT / shared)
    (repo / ".gitignore").write_text(".venv\nnode_modules\ndiff_verdict\n*.out/\ndiff-report.*\n", encoding="utf-8")
    (repo / "Makefile").write_text(GOOD_MAKEFILE, encoding="utf-8")
    (repo / "assembly.txt").write_text(str(base), encoding="utf-8")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "good base")
    good = git(repo, "rev-parse", "HEAD")
    (repo / "Makefile").write_text(BROKEN_MAKEFILE, encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "broken base")
    broken = git(repo, "rev-parse", "HEAD")
    (repo / "Makefile").write_text(GOOD_MAKEFILE, encoding="utf-8")  # the change under review, uncommitted
    (repo / "assembly.txt").write_text(str(head), encoding="utf-8")
    return Scratch(repo, good, broken)


def offline_diff(repo: Path, base: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(repo / "scripts" / "offline-diff"), base],
        cwd=repo,
        env={**clean_env(), **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def previous_state(scratch: Scratch) -> Any:
    """A last good cdk.out and last reports, which a failed diff must leave exactly as they were."""
    repo = scratch.repo
    for leftover in ("cdk.out", "base.out"):
        shutil.rmtree(repo / leftover, ignore_errors=True)
    (repo / "cdk.out").mkdir()
    (repo / "cdk.out" / "last-good-synth.txt").write_text("kept", encoding="utf-8")
    (repo / "diff-report.md").write_text("previous report", encoding="utf-8")
    (repo / "diff-report.json").unlink(missing_ok=True)
    yield repo
    for report in ("diff-report.md", "diff-report.json"):
        (repo / report).unlink(missing_ok=True)


def assert_nothing_changed(repo: Path) -> None:
    assert [p.name for p in (repo / "cdk.out").iterdir()] == ["last-good-synth.txt"]
    assert not (repo / "base.out").exists()
    assert (repo / "diff-report.md").read_text(encoding="utf-8") == "previous report"
    assert not (repo / "diff-report.json").exists()
    assert len(git(repo, "worktree", "list").splitlines()) == 1, "the base worktree is removed"


def test_base_that_is_not_a_revision_gives_one_line_and_changes_nothing(scratch: Scratch, previous_state: Path) -> None:
    result = offline_diff(previous_state, "no-such-branch")
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        "offline-diff: BASE 'no-such-branch' is not a revision of this repository "
        "(e.g. origin/main, HEAD~1, a commit id; CI needs the full history: fetch-depth 0)"
    ]
    assert result.stdout == ""
    assert_nothing_changed(previous_state)


def test_base_that_does_not_synthesize_gives_one_line_and_changes_nothing(
    scratch: Scratch, previous_state: Path
) -> None:
    result = offline_diff(previous_state, scratch.broken_base)
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        f"offline-diff: base ({scratch.broken_base}) does not synthesize: "
        "config error: environments[0].database.port = 5432: is the well-known port"
    ]
    assert_nothing_changed(previous_state)


def test_head_that_does_not_synthesize_names_the_head_and_the_apps_own_reason(
    scratch: Scratch, previous_state: Path
) -> None:
    """The app's missing-module line is the reason, not the CLI's "Subprocess exited with error 1" after it."""
    makefile = previous_state / "Makefile"
    makefile.write_text(MISSING_MODULE_MAKEFILE, encoding="utf-8")
    try:
        result = offline_diff(previous_state, scratch.good_base)
    finally:
        makefile.write_text(GOOD_MAKEFILE, encoding="utf-8")
    assert result.returncode == 3
    assert result.stderr.splitlines()[-1] == (
        "offline-diff: head (this tree) does not synthesize: synth error: gate did not run: ProjectAccessRules: "
        "failed: No module named 'cfnlint'; base.out/ and the reports are unchanged"
    )
    assert_nothing_changed(previous_state)


def test_bad_allow_replace_is_refused_before_any_synth(scratch: Scratch, previous_state: Path) -> None:
    result = offline_diff(previous_state, scratch.good_base, ALLOW_REPLACE="Database")
    assert result.returncode == 3
    assert len(result.stderr.splitlines()) == 1
    assert "ALLOW_REPLACE entry 'Database' is not <stack>/<logical id>" in result.stderr
    assert_nothing_changed(previous_state)


def test_stateful_replacement_blocks_with_cdk_diff_output_then_the_verdict(scratch: Scratch) -> None:
    result = offline_diff(scratch.repo, scratch.good_base)
    assert result.returncode == 2, result.stderr[-2000:]
    out = result.stdout
    assert "[~] AWS::RDS::DBInstance Database Database replace" in out + result.stderr, "cdk diff's own output"
    assert "**Change verdict: BLOCKED: 1 stateful resource would be replaced or deleted" in out
    report = json.loads((scratch.repo / "diff-report.json").read_text(encoding="utf-8"))
    assert (report["exit_code"], report["counts"]["danger"], report["counts"]["widening"]) == (2, 1, 1)
    assert (scratch.repo / "base.out" / "manifest.json").is_file()
    assert len(git(scratch.repo, "worktree", "list").splitlines()) == 1


def test_allow_replace_and_strict_reach_the_verdict(scratch: Scratch) -> None:
    """One run proves both reach it: exit 1 (widening under STRICT=1) needs the replacement allowed, else it is 2, and
    STRICT=1 passed, else it is 0 (that an allowed replacement alone passes is tests/test_diff_verdict.py's)."""
    strict = offline_diff(scratch.repo, scratch.good_base, ALLOW_REPLACE="Probe/Database", STRICT="1")
    assert strict.returncode == 1, strict.stderr[-2000:]
    assert "allowed (ALLOW_REPLACE)" in (scratch.repo / "diff-report.md").read_text(encoding="utf-8")
    assert "blocking under STRICT=1" in strict.stdout


def test_identical_templates_skip_cdk_diff_and_print_one_summary_line(scratch: Scratch) -> None:
    """No change: the templates are compared as bytes (then as JSON) before the CLI is called, so `cdk diff` never
    runs and "There were no differences" is not printed once per stack; one line says which stacks are unchanged."""
    assembly = scratch.repo / "assembly.txt"
    head = assembly.read_text(encoding="utf-8")
    assembly.write_text(git(scratch.repo, "show", f"{scratch.good_base}:assembly.txt"), encoding="utf-8")
    try:
        result = offline_diff(scratch.repo, scratch.good_base)
    finally:
        assembly.write_text(head, encoding="utf-8")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "There were no differences" not in result.stdout + result.stderr
    summary = [line for line in result.stdout.splitlines() if "unchanged" in line and "offline-diff" in line]
    expected = "offline-diff: 2 of 2 stacks unchanged (identical templates, cdk diff skipped): Probe, ProbeLogs"
    assert summary == [expected]


def test_make_diff_passes_base_allow_replace_and_strict_to_the_script() -> None:
    command = ["make", "--no-print-directory", "-n", "diff", "BASE=origin/main", "ALLOW_REPLACE=a-b/C1", "STRICT=1"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, env=dict(os.environ))
    assert "ALLOW_REPLACE='a-b/C1' STRICT='1' scripts/offline-diff 'origin/main'" in result.stdout


def test_reports_are_not_committed() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "diff-report.md", "diff-report.json", "base.out/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == ["diff-report.md", "diff-report.json", "base.out/"]
