"""The shell commands shown in README.md and docs/*.md, and how the docs test runs each (docs/writing-docs.md).

A command is a line of a block fenced as ```sh (or bash, shell); a trailing `\\` joins the next line, a ` # ...`
comment is dropped. Each command gets one of four ways to be checked:

- `needs AWS`: it names an account's credentials or talks to AWS (`ENV=`, `AWS_PROFILE`, `--profile`, `cdk deploy`,
  `cdk bootstrap`, `cdk destroy`, the `aws` CLI, `-m ops`). Never run: a `make` command is dry-run (`make -n`: the
  target and its variables exist), an ops command is checked against `python -m ops <tool> --help` (the tool and
  every flag exist); a cdk or aws CLI command is only listed.
- `dry run`: too slow for the suite, or the suite itself (`make test`, `make diff`, `make bench`, `make clean`):
  `make -n`.
- `session synth`: `make synth` of the example config, which the suite's CLI synth runs through make already.
- `run`: everything else, for real, in a scratch copy of the checkout whose cdk.out/ is that synth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_FENCES = {"sh", "bash", "shell"}
NEEDS_AWS = re.compile(
    r"\bENV=|\bAWS_PROFILE\b|--profile\b|\bcdk (deploy|bootstrap|destroy)\b|(^|[\s;|&])aws\s|-m ops\b"
)
DRY_RUN = re.compile(r"^make\b(?=.*\s(test|diff|bench|clean)\b)")
SESSION_SYNTH = re.compile(r"^make synth( CONFIG=config/environments\.toml)?$")
PLACEHOLDER = re.compile(r"<[a-z][\w -]*>|\bpath/to\b|\bACCOUNT\b")


@dataclass(frozen=True)
class DocCommand:
    page: str
    line: int
    text: str

    @property
    def way(self) -> str:
        if NEEDS_AWS.search(self.text):
            return "needs AWS"
        if DRY_RUN.search(self.text):
            return "dry run"
        if SESSION_SYNTH.match(self.text):
            return "session synth"
        return "run"

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def commands(page: Path) -> list[DocCommand]:
    """Every command of the page's shell blocks, with the line it starts on."""
    found: list[DocCommand] = []
    fence: str | None = None
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            fence = None if fence is not None else stripped.removeprefix("```").strip().split(" ")[0]
            continue
        if fence not in SHELL_FENCES:
            continue
        text = re.sub(r"(^|\s+)#.*$", "", raw).strip()
        start, before = pending if pending else (number, "")
        if text.endswith("\\"):
            pending = (start, f"{before}{text[:-1].strip()} ")
            continue
        pending = None
        if text := f"{before}{text}".strip():
            found.append(DocCommand(page=str(page.relative_to(ROOT)), line=start, text=text))
    return found


def every_command() -> list[DocCommand]:
    return [command for page in PAGES for command in commands(page)]
