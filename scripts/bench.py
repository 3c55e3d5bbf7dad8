"""`make bench`: synth and test speed measured the way a user meets them (issue 25; issue 9's ten environments).

Every figure is taken on a fresh clone of this repository (committed HEAD) after `make setup`:

1. warm `make synth` (gate cache filled by a previous synth) / an empty one-stack CDK app     target <= 2.0
2. cold `make synth` (`GATE_CACHE=off`) / the empty app                                         target <= 3.0
3. where the time goes: each phase of the synths above (CLI start, Python imports, construct tree, each gate,
   writing the assembly, the CLI reading it back), wall and CPU, medians
4. with BENCH_TESTS=1: fresh-clone `make test`, setup included (target <= 150 s), then warm `make test` (<= 60 s)
5. with BENCH_ENVIRONMENTS=1: ten environments / one (issue 9, target <= 3.0)
6. one cell pipeline's synth, 50 environments / 1, empty gate cache: <= 15x, and how time and cdk.out grow (issue 26;
   BENCH_CELLS=0 skips it)

The empty app runs through the clone's venv and CLI with the environment `make synth` gives its app; the two
commands alternate, BENCH_ROUNDS (3) rounds each, and each side is the median of its rounds, so a load that comes
and goes falls on both. The machine's load average is printed with each figure: on a loaded machine, read the CPU
column of the breakdown (the app's whole process tree), which load changes far less than wall time. A benchmark,
not a test: it asserts nothing. Each measurement is one function in MEASUREMENTS.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ON_UNLESS_ZERO = frozenset({"BENCH_CELLS"})  # switches that are on unless set to 0; the others are off unless set
# What the Makefile exports to every recipe, so the empty app runs in the environment `make synth` gives ours.
MAKE_ENVIRONMENT = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "CDK_DISABLE_VERSION_CHECK": "1",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu: float  # every process of the command, waited for (the CLI, make, Python, Node, cfn-guard)
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)  # phase -> (wall s, CPU s)


@dataclass
class Bench:
    work: Path
    clone: Path
    env: dict[str, str]
    runs: dict[str, list[Run]] = field(default_factory=dict)
    last_cpu: float = 0.0

    def run(self, command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
        """Run the command, return its wall seconds; `last_cpu` is then the CPU seconds of it and its descendants."""
        started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            command, cwd=cwd or self.clone, env={**self.env, **(env or {})}, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            sys.exit(f"bench: {' '.join(command)} failed ({result.returncode}): {result.stderr.strip()[-600:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.last_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return time.perf_counter() - started


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def fresh_clone(work: Path, name: str) -> Path:
    clone = work / name
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    return clone


# --- one synth, as a user runs it, and the reference -------------------------------------------------------------


def make_synth(bench: Bench, *, cold: bool) -> Run:
    """`make synth` in the clone, with its timeline (policies/synth_timeline.py) cut into phases."""
    timeline = bench.work / "timeline.json"
    timeline.unlink(missing_ok=True)
    env = {"SYNTH_TIMELINE": str(timeline), **({"GATE_CACHE": "off"} if cold else {})}
    launched = time.time()
    seconds = bench.run(["make", "--no-print-directory", "synth", f"OUT={bench.work / 'synth.out'}"], env=env)
    marks = json.loads(timeline.read_text(encoding="utf-8"))
    return Run(seconds, bench.last_cpu, phases(marks, launched, launched + seconds))


def empty_app(bench: Bench) -> Run:
    app = f"{bench.clone / '.venv' / 'bin' / 'python'} {bench.clone / 'tests' / 'benchmarks' / 'empty_app.py'}"
    out = bench.work / "empty.out"
    cdk = str(bench.clone / "node_modules" / ".bin" / "cdk")
    seconds = bench.run([cdk, "synth", "--quiet", "--ci", "--no-notices", "--app", app, "-o", str(out)])
    return Run(seconds, bench.last_cpu)


def phases(marks: list[dict[str, Any]], launched: float, ended: float) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds per phase. A gate's mark carries its own time; the rest of the time before it (and
    after the last gate) is aws-cdk-lib writing the assembly."""
    found: dict[str, tuple[float, float]] = {}

    def add(phase: str, wall: float, cpu: float) -> None:
        before = found.get(phase, (0.0, 0.0))
        found[phase] = (before[0] + wall, before[1] + cpu)

    first = marks[0]
    add("CLI start (make, node, Python start)", first["at"] - launched, 0.0)
    for previous, mark in itertools.pairwise(marks):
        wall, cpu = mark["at"] - previous["at"], mark["cpu"] - previous["cpu"]
        if mark["seconds"] is not None:  # a gate: its own time; the share of CPU in proportion
            own = min(mark["seconds"], wall)
            share = own / wall if wall > 0 else 1.0
            add(mark["phase"], own, cpu * share)
            add("writing the assembly", wall - own, cpu * (1 - share))
        elif mark["phase"] == "assembly written":
            add("writing the assembly", wall, cpu)
        else:
            add(
                {"imports": "Python imports", "stacks built": "construct tree"}.get(mark["phase"], mark["phase"]),
                wall,
                cpu,
            )
    add("CLI reads the assembly back, exits", ended - marks[-1]["at"], 0.0)
    return found


def alternate(first: Callable[[], Run], second: Callable[[], Run]) -> tuple[list[Run], list[Run]]:
    a, b = [], []
    for _ in range(ROUNDS):
        a.append(first())
        b.append(second())
    return a, b


def ratio(label: str, target: float, ours: list[Run], reference: list[Run]) -> None:
    """The wall-time ratio (the target), and beside it the CPU ratio, which load moves far less: on a quiet machine
    the wall ratio is at most about the CPU ratio (work that runs on the second core shows in CPU, not in wall)."""
    mine, empty = statistics.median(r.seconds for r in ours), statistics.median(r.seconds for r in reference)
    cpu, cpu_empty = statistics.median(r.cpu for r in ours), statistics.median(r.cpu for r in reference)
    verdict = "met" if mine / empty <= target else "NOT met"
    print(
        f"{label}: {mine:5.1f} s / {empty:5.1f} s = {mine / empty:4.2f}x  (target <= {target}: {verdict}; {load()}); "
        f"CPU {cpu:5.1f} s / {cpu_empty:5.1f} s = {cpu / cpu_empty:4.2f}x"
    )


# --- the measurements ---------------------------------------------------------------------------------------------


def warm_synth(bench: Bench) -> None:
    bench.run(["make", "--no-print-directory", "synth", f"OUT={bench.work / 'synth.out'}"])  # fills the gate cache
    ours, empty = alternate(lambda: make_synth(bench, cold=False), lambda: empty_app(bench))
    bench.runs["warm"] = ours
    ratio("1. warm make synth / empty CDK app", 2.0, ours, empty)


def cold_synth(bench: Bench) -> None:
    ours, empty = alternate(lambda: make_synth(bench, cold=True), lambda: empty_app(bench))
    bench.runs["cold"] = ours
    ratio("2. cold make synth (GATE_CACHE=off) / empty CDK app", 3.0, ours, empty)


def breakdown(bench: Bench) -> None:
    """The phases of the warm and the cold synths above, medians of their rounds."""
    columns = [name for name in ("warm", "cold") if name in bench.runs]
    names = list(dict.fromkeys(phase for name in columns for run in bench.runs[name] for phase in run.phases))
    print(f"3. where the time goes (medians; CPU = the app's process tree):\n   {'phase':<46}", end="")
    print("".join(f"{name + ' wall':>11}{name + ' CPU':>10}" for name in columns))
    for phase in names:
        cells = ""
        for name in columns:
            values = [run.phases.get(phase, (0.0, 0.0)) for run in bench.runs[name]]
            cells += f"{statistics.median(v[0] for v in values):10.2f}s{statistics.median(v[1] for v in values):9.2f}s"
        print(f"   {phase:<46}{cells}")
    totals = "".join(f"{statistics.median(r.seconds for r in bench.runs[name]):10.2f}s{'':>10}" for name in columns)
    print(f"   {'make synth, end to end':<46}{totals}")


def make_test(bench: Bench) -> None:
    clone = fresh_clone(bench.work, "test-clone")
    fresh = bench.run(["make", "test"], cwd=clone)
    cpu = bench.last_cpu
    print(f"4. fresh-clone make test, setup included: {fresh:5.1f} s (target <= 150 s; {load()}); CPU {cpu:.1f} s")
    warm = bench.run(["make", "test"], cwd=clone)
    print(f"4. warm make test: {warm:5.1f} s (target <= 60 s; {load()}); CPU {bench.last_cpu:.1f} s")


def ten_environments(bench: Bench) -> None:
    def environments(count: int, cold: bool) -> Callable[[], Run]:
        command = [str(bench.clone / ".venv" / "bin" / "python"), "-m", "tests.benchmarks.synth_environments"]
        env = {"GATE_CACHE": "off"} if cold else {}
        return lambda: Run(
            bench.run([*command, str(count), str(bench.work / f"env{count}.out")], env=env), bench.last_cpu
        )

    environments(10, False)()  # fills the gate cache
    ratio("5. ten environments / one (warm)", 3.0, *alternate(environments(10, False), environments(1, False)))
    ratio("5. ten environments / one (cold)", 3.0, *alternate(environments(10, True), environments(1, True)))


def cell_scale(bench: Bench) -> None:
    """(issue 26) one cell pipeline's synth step, 50 environments / 1, empty gate cache (a pipeline build starts
    with none): goal <= 15x. Prints each size's time and cdk.out size."""
    figures = {}
    for count in (1, 10, 50):
        out = bench.work / f"cell{count}"
        command = [str(bench.clone / ".venv" / "bin" / "python"), "-m", "tests.benchmarks.synth_cell", str(count)]
        seconds = bench.run([*command, str(out)], env={"GATE_CACHE": "off"})
        size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file()) / 1e6
        figures[count] = seconds
        print(f"6. cell of {count:2d} environment(s), cold gates: {seconds:6.1f} s, cdk.out {size:6.1f} MB")
    print(f"6. fifty environments / one (cold): {figures[50] / figures[1]:4.2f}x (goal <= 15x; {load()})")


MEASUREMENTS: list[tuple[str | None, Callable[[Bench], None]]] = [
    (None, warm_synth),
    (None, cold_synth),
    (None, breakdown),
    ("BENCH_TESTS", make_test),
    ("BENCH_ENVIRONMENTS", ten_environments),
    ("BENCH_CELLS", cell_scale),
]


def main() -> int:
    print(
        f"bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {load()}; {ROUNDS} rounds, alternating, medians"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"} | MAKE_ENVIRONMENT
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        bench = Bench(work=work, clone=fresh_clone(work, "clone"), env=env)
        setup = bench.run(["make", "--no-print-directory", "setup"])
        head = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True).strip()
        print(f"fresh clone of {head}; make setup {setup:.1f} s")
        for switch, measure in MEASUREMENTS:
            if switch is None or os.environ.get(switch, "1" if switch in ON_UNLESS_ZERO else "") not in ("", "0"):
                measure(bench)
    print(f"done; {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
