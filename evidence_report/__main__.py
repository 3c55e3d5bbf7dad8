"""python -m evidence_report [--out cdk.out] [--evidence evidence] [--junit FILE] [--date YYYY-MM-DD] [--strict]

Reads the cloud assembly, the control catalog and the test suite's source; writes index.html, evidence.json and
oscal/ into the evidence folder; prints one summary line. Exit 0; 1 with --strict when an in-scope control is
not met in some environment; 2 on bad input (one line, no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from config.catalog import load_catalog
from config.loader import ConfigError
from evidence_report.assembly import AssemblyError, load_assembly
from evidence_report.document import build_document, not_met, summary_line
from evidence_report.evaluate import evaluate
from evidence_report.output import report_files, write_atomically
from evidence_report.proving_tests import TestResultsError, collect, with_outcomes

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JUNIT = Path("test-results.xml")


class UsageError(Exception):
    """A bad argument; the message is one line."""


def report_date(flag: str | None, manifest: Path) -> tuple[str, str]:
    """The report's date: --date, else SOURCE_DATE_EPOCH, else manifest.json's modification time; never the clock."""
    if flag:
        try:
            moment = datetime.fromisoformat(flag)
        except ValueError:
            raise UsageError(
                f"--date {flag!r}: not an ISO date; use e.g. 2026-12-01 or 2026-12-01T10:00:00+00:00"
            ) from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat(), "--date"
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        if not epoch.isdigit():
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r}: not a number of seconds since 1970")
        return datetime.fromtimestamp(int(epoch), UTC).isoformat(), "SOURCE_DATE_EPOCH"
    return datetime.fromtimestamp(int(manifest.stat().st_mtime), UTC).isoformat(), "manifest.json modification time"


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evidence_report", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="cdk.out", help="cloud assembly folder (default cdk.out)")
    parser.add_argument("--evidence", default="evidence", help="report folder to write (default evidence)")
    parser.add_argument("--junit", help=f"JUnit XML of the last test run (default {DEFAULT_JUNIT} if present)")
    parser.add_argument("--tests", default=str(ROOT / "tests"), help="test folder to collect proving tests from")
    parser.add_argument("--date", help="report date (ISO); default SOURCE_DATE_EPOCH or manifest.json's mtime")
    parser.add_argument("--strict", action="store_true", help="exit 1 if an in-scope control is not met")
    args = parser.parse_args(argv)
    try:
        catalog = load_catalog()
        assembly = load_assembly(Path(args.out))
        date, date_source = report_date(args.date, Path(args.out) / "manifest.json")
        junit = Path(args.junit) if args.junit else (DEFAULT_JUNIT if DEFAULT_JUNIT.is_file() else None)
        if junit is not None and not junit.is_file():
            raise UsageError(f"--junit {junit}: no such file; run the tests with --junitxml={junit} first")
        tests_folder = Path(args.tests)
        if not tests_folder.is_dir():
            raise UsageError(f"--tests {tests_folder}: no such folder")
        tests = with_outcomes(collect(tests_folder, catalog.ids, ROOT), junit)
        document = build_document(
            evaluate(assembly, catalog, tests),
            catalog,
            assembly,
            date=date,
            date_source=date_source,
            assembly_label=args.out,
            junit_label=str(junit) if junit else None,
        )
        write_atomically(Path(args.evidence), report_files(document))
    except (AssemblyError, ConfigError, UsageError, TestResultsError) as error:
        print(f"evidence error: {error}", file=sys.stderr)
        return 2
    print(f"{summary_line(document)}  -> {args.evidence}/index.html")
    failing = not_met(document)
    if args.strict and failing:
        print(f"evidence: STRICT: not met: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
