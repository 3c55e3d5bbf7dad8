"""The tests that prove each control: test functions whose names carry a control ID (`test_bak3_...`).

Found by parsing the test files with `ast` (no import, no test run), so the list is deterministic. When a JUnit
XML of the last run is given, each test's outcome is read from it.
"""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

OUTCOMES = ("passed", "failed", "error", "skipped")


class TestResultsError(Exception):
    """The JUnit file could not be read; the message is one line."""


@dataclass(frozen=True, order=True)
class ProvingTest:
    file: str
    name: str
    line: int
    controls: tuple[str, ...]
    outcome: str | None = None


def control_ids_in(name: str, catalog_ids: Iterable[str]) -> tuple[str, ...]:
    """The catalog IDs a test name carries: `test_net1_net3_ingress` -> (NET-1, NET-3)."""
    by_token = {control.replace("-", "").lower(): control for control in catalog_ids}
    tokens = name.removeprefix("test_").split("_")
    return tuple(dict.fromkeys(by_token[t] for t in tokens if t in by_token))


def collect(tests_folder: Path, catalog_ids: Iterable[str], root: Path) -> list[ProvingTest]:
    ids = sorted(catalog_ids)
    found = []
    for path in sorted(tests_folder.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                controls = control_ids_in(node.name, ids)
                if controls:
                    found.append(ProvingTest(_relative(path, root), node.name, node.lineno, controls))
    return sorted(found)


def with_outcomes(tests: list[ProvingTest], junit: Path | None) -> list[ProvingTest]:
    """Attach each test's outcome from a JUnit XML (parametrized cases: the worst outcome wins)."""
    if junit is None:
        return tests
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError) as error:
        raise TestResultsError(f"{junit}: not a readable JUnit XML ({error.__class__.__name__})") from None
    outcomes: dict[tuple[str, str], str] = {}
    for case in root.iter("testcase"):
        module = str(case.get("classname", "")).split(".")[-1]
        name = re.sub(r"\[.*\]$", "", str(case.get("name", "")))
        children = {child.tag for child in case}
        outcome = next((o for o in ("error", "failure", "skipped") if o in children), "passed")
        outcome = "failed" if outcome == "failure" else outcome
        key = (module, name)
        previous = outcomes.get(key)
        if previous is None or (OUTCOMES.index(outcome) in (1, 2) and OUTCOMES.index(previous) not in (1, 2)):
            outcomes[key] = outcome
    return [
        ProvingTest(t.file, t.name, t.line, t.controls, outcomes.get((Path(t.file).stem, t.name), "not run"))
        for t in tests
    ]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
