"""What `make synth` prints while it works: one short line per step and per gate, on stderr (CMP-1).

Plain lines, no terminal codes, so CI logs stay readable; each step is also a mark of the synth's timeline, which
`make bench` reads (policies/synth_timeline.py).
"""

from __future__ import annotations

import sys
import time

from policies.gate_report import GateCounts
from policies.gate_timing import GateRun
from policies.synth_timeline import Timeline


class SynthProgress:
    """Short progress lines on stderr: what step, how long. Plain lines, so CI logs stay readable.

    aws-cdk-lib applies acknowledgements after the last gate, so each gate's line ("gate X: 18 findings, 18
    acknowledged, 0 open, 1.2s") is printed once the report says which findings were acknowledged. Each step, each
    gate when it ends, is also a mark of the synth's timeline (`make bench` reads it: policies/synth_timeline.py)."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._runs: list[GateRun] = []
        self.timeline = Timeline()

    def say(self, message: str) -> None:
        self.timeline.mark(message.split(":", maxsplit=1)[0])
        self._print(message)

    def _print(self, message: str) -> None:
        print(f"synth [{time.perf_counter() - self._started:5.1f}s] {message}", file=sys.stderr, flush=True)

    def gate_done(self, run: GateRun) -> None:
        self._runs.append(run)
        self.timeline.mark(f"gate {run.name}", run.seconds)

    def gates_reported(self, counts: dict[str, GateCounts]) -> None:
        for run in self._runs:
            self._print(gate_line(run, counts.get(run.name, GateCounts(acknowledged=0, open=run.findings))))


def gate_line(run: GateRun, counts: GateCounts) -> str:
    if not run.reports_acknowledged:  # a cdk-nag pack: its acknowledged findings never reach the report
        return f"gate {run.name}: {counts.open} open, {run.seconds:.1f}s"
    findings = counts.acknowledged + counts.open
    noun = "finding" if findings == 1 else "findings"
    tally = f"{findings} {noun}, {counts.acknowledged} acknowledged, {counts.open} open"
    return f"gate {run.name}: {tally}, {run.seconds:.1f}s"
