"""aws-cdk-lib's CloudFormation validation engine in a process of its own, started early on a cold synth (CMP-1,
issue 25).

Creating the engine (WebAssembly) takes about 3 s, and in the jsii kernel it can only start once the templates are
written. A synth that will check every template (the gate cache off, or holding no validation result yet: a fresh
clone) starts this worker when the app starts, so the engine is created on the second core while the kernel builds
the construct tree. The worker runs the same plugin of the same aws-cdk-lib over the same stacks (template path,
construct path, account and region: all the plugin reads), so its findings are the in-kernel ones
(tests/test_synth_speed.py compares them). If the worker fails, the gate runs the engine in the kernel instead.

    python -m policies.validation_engine    reads the stacks as one JSON line, writes violation records as JSON
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from policies.gate_cache import cache_dir, cache_enabled
from policies.worker_environment import worker_environment

WORKER_TIMEOUT_SECONDS = 600
NAMESPACE = "cloudformation-validate"  # the gate cache folder of policies/template_validation.py
ROOT = Path(__file__).resolve().parent.parent


class EngineWorker:
    """A started worker; `validate` hands it the stacks once and returns their records by template path.

    The worker closes its output as soon as the records are written, before it stops its own jsii kernel (about 1 s
    for the engine's Node process to exit): `validate` returns at the end of the output, and the worker is waited
    for when the app exits (its exit handlers), so its CPU still counts in the app's and nothing is left running."""

    def __init__(self) -> None:
        # The worker's errors go to a file, not a pipe, which could fill up while nobody reads it; closed by `reap`.
        self._errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._process = subprocess.Popen(
            [sys.executable, "-m", "policies.validation_engine"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
            env=worker_environment(),
        )
        atexit.register(self.reap)

    def validate(self, stacks: list[dict[str, str]]) -> dict[str, list[dict[str, Any]]]:
        assert self._process.stdin is not None  # a pipe
        assert self._process.stdout is not None  # a pipe
        self._process.stdin.write(json.dumps(stacks) + "\n")
        self._process.stdin.close()
        reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-worker")
        try:
            output = reader.submit(self._process.stdout.read).result(timeout=WORKER_TIMEOUT_SECONDS)
        except TimeoutError:
            self.stop()
            raise
        finally:
            reader.shutdown(wait=False)
        if not output:  # it failed before writing any record
            code = self._process.wait(timeout=WORKER_TIMEOUT_SECONDS)
            self._errors.seek(0)
            raise RuntimeError(f"validation engine worker failed ({code}): {self._errors.read()[-2000:]}")
        records: dict[str, list[dict[str, Any]]] = json.loads(output)
        return records

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self.reap()

    def reap(self) -> None:
        """Wait for the worker to end (a stuck one is killed), then close its pipes and error file."""
        try:
            self._process.wait(timeout=WORKER_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._errors):
            if stream is not None:
                stream.close()
        atexit.unregister(self.reap)


_early: list[EngineWorker] = []


def start_early_if_cold() -> None:
    """Start the worker now if this synth will validate every template: the cache is off or has no result yet."""
    folder = cache_dir() / NAMESPACE
    if not cache_enabled() or not any(folder.glob("*.json")):
        _early.append(EngineWorker())


def take_early_worker() -> EngineWorker | None:
    """The worker `start_early_if_cold` started, once (the gate that takes it validates through it or stops it)."""
    return _early.pop() if _early else None


def main() -> int:
    # The records go to the pipe the app reads; the jsii kernel's Node processes inherit standard output, and would
    # hold that pipe open until they exit (about 1.5 s after the records on a cold synth): they get /dev/null.
    records = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), sys.stdout.fileno())
    import aws_cdk as cdk  # noqa: PLC0415 - the worker's own imports, not the importing app's

    from policies.gate_cache import violation_records  # noqa: PLC0415
    from policies.template_validation import SomeStacks  # noqa: PLC0415

    plugin = cdk.CloudFormationValidatePlugin()  # the engine starts here, before the stacks arrive
    stacks = [
        cdk.PolicyValidationStack(
            template_path=stack["template_path"],
            stack_construct_path=stack["stack_construct_path"],
            account_id=stack["account_id"] or None,
            region=stack["region"] or None,
        )
        for stack in json.loads(sys.stdin.readline())
    ]
    report = plugin.validate(SomeStacks(cdk.App(), stacks))
    with records:  # closed: the app reads the end of the records now
        records.write(json.dumps(violation_records(report)))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    code = main()
    # The records are written and closed: stop the jsii kernel (the exit handlers) and skip the interpreter's teardown.
    atexit._run_exitfuncs()
    os._exit(code)
