"""`make acks`: count the acknowledgements in a synthesized assembly and check the targets (CMP-1).

Usage: python -m scripts.acks [cdk.out]. Prints the summary (evidence_report/acknowledgement_targets.py) and exits 1
when a target is missed, 2 when the folder is not a cloud assembly of this app.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from config.catalog import load_catalog
from evidence_report.acknowledgement_targets import Targets, fleet_stacks, summarize, summary_lines
from evidence_report.assembly import AssemblyError, load_assembly


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "cdk.out")
    try:
        assembly = load_assembly(folder)
    except AssemblyError as error:
        print(f"acks: {error}", file=sys.stderr)
        return 2
    targets = Targets()
    control_ids = frozenset(load_catalog().ids)
    summary = summarize(assembly.stacks, control_ids)
    for line in summary_lines(summary, targets):
        print(line)
    if fleet := fleet_stacks(assembly.stacks):
        pipelines = summarize(fleet, control_ids)
        print(
            f"of which cell pipelines: {pipelines.entries} entries on {pipelines.resources} resources, "
            f"{pipelines.reasons} distinct reasons"
        )
    missed = summary.misses(targets)
    for line in missed:
        print(f"acks: target missed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `make acks | head` ends quietly
    sys.exit(main(sys.argv[1:]))
