"""Synthesize N environments generated from the example, with every gate (`make bench`: ten within 3x one).

python -m tests.benchmarks.synth_environments N OUTDIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from app import build, new_app
from policies.gate_report import crashed_gates
from tests.benchmarks.environments import environments


def main(count: int, outdir: Path) -> int:
    app = new_app(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    build(app, environments(count), head_start=True)
    app.synth()
    return 1 if crashed_gates(outdir) else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), Path(sys.argv[2])))
