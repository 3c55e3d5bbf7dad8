"""`make acks`: count the acknowledgements in a synthesized assembly and check the targets (CMP-1).

Usage: python -m scripts.acks [cdk.out]. Prints the summary (evidence_report/acknowledgement_targets.py) and exits 1
when a target is missed, 2 when the folder is not a cloud assembly of this app.
"""

from __future__ import annotations

import sys
from pathlib import Path

from config.catalog import load_catalog
from evidence_report.acknowledgement_targets import Targets, split_fleet, summarize, summary_lines
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
    environments, fleet = split_fleet(assembly.stacks)
    summary = summarize(environments, control_ids)
    for line in summary_lines(summary, targets):
        print(line)
    missed = summary.misses(targets)
    if fleet:
        pipelines = summarize(fleet, control_ids)
        print(
            f"cell pipelines, counted apart: {pipelines.entries} entries on {pipelines.resources} resources, "
            f"{pipelines.reasons} distinct reasons, {len(pipelines.stray)} on resources their rule does not inspect"
        )
        missed += [
            f"cell pipelines: {line}" for line in pipelines.misses(Targets(max_reasons=10**6, max_entries=10**6))
        ]
    for line in missed:
        print(f"acks: target missed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
