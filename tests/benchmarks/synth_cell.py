"""Synthesize one cell of N generated environments as its pipeline's synth step does (`make synth CELL=main`): the
cell's tenant stacks with every gate, their deployment stages and the cell pipeline (`make bench`: fifty within 15x
one, with GATE_CACHE=off as a pipeline build starts). Prints seconds and the cloud assembly's size.

python -m tests.benchmarks.synth_cell N OUTDIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from app import build, new_app
from policies.gate_report import crashed_gates, failed_gates
from tests.fleet_configs import fleet


def main(count: int, outdir: Path) -> int:
    started = time.perf_counter()
    app = new_app(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    build(app, fleet(count), cell="main", head_start=True)
    app.synth()
    size = sum(path.stat().st_size for path in outdir.rglob("*") if path.is_file())
    print(f"cell of {count}: {time.perf_counter() - started:.1f} s, cdk.out {size / 1e6:.1f} MB")
    return 1 if crashed_gates(outdir) or failed_gates(outdir) else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), Path(sys.argv[2])))
