"""Where a synth's time goes: wall-clock and CPU marks of its phases, for `make bench`'s breakdown (CMP-1, issue 25).

The app marks each phase (imports done, config validated, stacks built, each gate, assembly written). With
`SYNTH_TIMELINE=<file>` set it writes the marks there as JSON, with wall-clock times that the benchmark sets beside
its own (when it started `make synth`, when the CLI returned), so the CLI's start and its reading of the assembly
show too. CPU is the app's whole process tree (Python, the jsii kernel's Node processes and what they ran): on a
loaded machine it says what the work costs when wall time no longer does.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

TIMELINE_ENV = "SYNTH_TIMELINE"


@dataclass(frozen=True)
class Mark:
    phase: str  # what just ended
    at: float  # wall clock, seconds since the epoch
    cpu: float  # CPU seconds of the process tree so far
    seconds: float | None = None  # a gate's own time, as it reported it (the rest since the last mark is not its)


def process_started() -> float | None:
    """When this process started (wall clock), from /proc: the imports before any line of the app ran count too."""
    try:
        fields = Path("/proc/self/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return time.time() - age


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text(encoding="ascii").split()]
    return found


def tree_cpu() -> float:
    """CPU seconds used by this process, its finished children and every live descendant (the jsii kernel's Node
    runs in a grandchild); Linux only, else this process's own."""
    total = time.process_time()
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        pending = _children(os.getpid())
        while pending:
            pid = pending.pop()
            fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15]) / ticks  # utime, stime, cutime, cstime
            pending += _children(pid)
    except (OSError, ValueError):
        pass  # a child that ended between the listing and the read: its time is in cutime after it is reaped
    reaped = os.times()
    return total + reaped.children_user + reaped.children_system


@dataclass
class Timeline:
    marks: list[Mark] = field(default_factory=list)

    def __post_init__(self) -> None:
        if (started := process_started()) is not None:
            self.marks.append(Mark("python started", started, 0.0))
        self.mark("imports")

    def mark(self, phase: str, seconds: float | None = None) -> None:
        self.marks.append(Mark(phase, time.time(), tree_cpu(), seconds))

    def write(self) -> None:
        """To `$SYNTH_TIMELINE`, when set (the benchmark sets it); otherwise nothing."""
        if path := os.environ.get(TIMELINE_ENV):
            Path(path).write_text(json.dumps([asdict(mark) for mark in self.marks]), encoding="utf-8")
