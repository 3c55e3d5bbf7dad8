"""`make bench`: what the gates cost, as ratios measured side by side in one run (issue 9).

The machine is shared and noisy, so every figure is a ratio of two commands run alternately in the same minutes,
each the median of its rounds. Three targets:

1. gated `make synth` of the example config / an empty one-stack CDK app, same venv and CLI: <= 2.0
2. gated synth of ten environments (generated from the example) / one environment: <= 3.0
3. warm `make test` <= 60 s; fresh-clone `make test` (setup included) <= 180 s (with BENCH_TESTS=1)
4. one cell pipeline's synth, 50 environments / 1, empty gate cache: <= 15x (and how time and cdk.out grow)

"Warm" means the gate cache already holds the results (any synth since the last change); "cold" runs with an
empty cache in a temporary folder, as the first synth after changing every template would.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def run(command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(command)} failed ({result.returncode}): {result.stderr.strip()[-400:]}")
    return elapsed


def side_by_side(label: str, first: Callable[[], float], second: Callable[[], float], rounds: int) -> float:
    a, b = [], []
    for _ in range(rounds):
        a.append(first())
        b.append(second())
    ratio = statistics.median(a) / statistics.median(b)
    print(f"{label}: {statistics.median(a):6.1f} s / {statistics.median(b):6.1f} s = {ratio:4.2f}x  ({rounds} rounds)")
    return ratio


def make_synth(out: Path, cache: Path | None = None) -> Callable[[], float]:
    env = {"GATE_CACHE_DIR": str(cache)} if cache else {}
    return lambda: run(["make", "--no-print-directory", "synth", f"OUT={out}"], env)


def empty_app(out: Path) -> Callable[[], float]:
    app = f"{PYTHON} tests/benchmarks/empty_app.py"
    return lambda: run([str(CDK), "synth", "--quiet", "--ci", "--no-notices", "--app", app, "-o", str(out)])


def environments(count: int, out: Path, cache: Path | None = None) -> Callable[[], float]:
    env = {"GATE_CACHE_DIR": str(cache)} if cache else {}
    return lambda: run([str(PYTHON), "-m", "tests.benchmarks.synth_environments", str(count), str(out)], env)


def cell_scale(work: Path) -> None:
    """4. (issue 26) one cell pipeline's synth step, 50 environments / 1, empty gate cache (a pipeline build starts
    with none): goal <= 15x. Prints each size's time and cdk.out size; RSS from /usr/bin/time when present."""
    figures = {}
    for count in (1, 10, 50):
        out = work / f"cell{count}"
        command = [str(PYTHON), "-m", "tests.benchmarks.synth_cell", str(count), str(out)]
        seconds = run(command, {"GATE_CACHE": "off"})
        size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file()) / 1e6
        figures[count] = seconds
        print(f"4. cell of {count:2d} environment(s), cold gates: {seconds:6.1f} s, cdk.out {size:6.1f} MB")
    print(f"4. fifty environments / one (cold): {figures[50] / figures[1]:4.2f}x (goal <= 15x)")


def fresh_cache(work: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
    # The unpacked rule files are not a result: keep them out of the cold figure.
    for rules in (ROOT / ".gate-cache").glob("control-tower-rules-*"):
        shutil.copytree(rules, folder / rules.name)
    return folder


def main() -> int:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        work = Path(folder)
        make_synth(work / "warmup")()  # fills the cache: the warm figures below start from it
        environments(10, work / "warmup10")()
        side_by_side(
            "1. make synth (warm cache) / empty CDK app", make_synth(work / "s"), empty_app(work / "e"), ROUNDS
        )
        side_by_side(
            "1. make synth (cold cache) / empty CDK app",
            make_synth(work / "s", fresh_cache(work)),
            empty_app(work / "e"),
            1,
        )
        side_by_side(
            "2. ten environments / one (warm cache)", environments(10, work / "t"), environments(1, work / "o"), ROUNDS
        )
        side_by_side(
            "2. ten environments / one (cold cache)",
            environments(10, work / "t", fresh_cache(work)),
            environments(1, work / "o", fresh_cache(work)),
            1,
        )
        cell_scale(work)
        if os.environ.get("BENCH_TESTS"):
            print(f"3. warm make test: {run(['make', '--no-print-directory', 'test']):.1f} s")
            clone = work / "clone"
            run(["git", "clone", "--quiet", str(ROOT), str(clone)])
            print(f"3. fresh-clone make test (setup included): {run(['make', 'test'], cwd=clone):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
