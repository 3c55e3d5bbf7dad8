"""python -m diff_verdict --base base.out --head cdk.out [--allow-replace STACK/ID,...] [--strict] [--report-dir .]

Judges the change between two synthesized cloud assemblies with no AWS call, writes diff-report.md and
diff-report.json, prints the markdown, and exits 2 (unaccepted stateful replacement or deletion), 1 (security
widening under --strict) or 0. Bad input (a missing assembly, a malformed ALLOW_REPLACE entry) gives one line on
stderr and exit status 3, and writes nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import NoReturn

from diff_verdict.assembly import AssemblyError, read_assembly
from diff_verdict.report import write_reports
from diff_verdict.verdict import judge

EXIT_BAD_INPUT = 3
_ADDRESS = re.compile(r"^[A-Za-z][A-Za-z0-9-]*/[A-Za-z0-9]+$")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(
            f"{message} (usage: python -m diff_verdict --base DIR --head DIR [--allow-replace STACK/ID,...] [--strict])"
        )


def fail(message: str) -> NoReturn:
    print(f"diff verdict: {message}", file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)


def parse_allow_replace(value: str) -> list[str]:
    """ALLOW_REPLACE=<stack>/<logical id>,...: each entry must name one resource."""
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    for entry in entries:
        if not _ADDRESS.match(entry):
            fail(
                f"ALLOW_REPLACE entry {entry!r} is not <stack>/<logical id> "
                "(e.g. acme-prod-data/DatabaseInstanceAA8A5FDE)"
            )
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m diff_verdict", description=__doc__.split("\n\n")[1])
    parser.add_argument("--base", type=Path, required=True, help="cloud assembly of the base revision")
    parser.add_argument("--head", type=Path, required=True, help="cloud assembly of this change")
    parser.add_argument(
        "--allow-replace", default="", help="comma-separated <stack>/<logical id> accepted for replacement or deletion"
    )
    parser.add_argument("--strict", action="store_true", help="security widening blocks too (exit 1)")
    parser.add_argument("--report-dir", type=Path, default=Path("."), help="where diff-report.md/json go (default: .)")
    args = parser.parse_args(argv)
    allow = parse_allow_replace(args.allow_replace)
    if not args.report_dir.is_dir():
        fail(f"report directory {args.report_dir} does not exist")
    try:
        base, head = read_assembly(args.base), read_assembly(args.head)
    except AssemblyError as error:
        fail(str(error))
    verdict = judge(base, head, allow, strict=args.strict)
    markdown_path, _ = write_reports(verdict, args.report_dir, str(args.base), str(args.head))
    print(markdown_path.read_text(encoding="utf-8"), end="")
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
