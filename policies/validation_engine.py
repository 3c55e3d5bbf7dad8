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

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from policies.gate_cache import cache_dir, cache_enabled
from policies.worker_environment import worker_environment

NAMESPACE = "cloudformation-validate"  # the gate cache folder of policies/template_validation.py
ROOT = Path(__file__).resolve().parent.parent


class EngineWorker:
    """A started worker; `validate` hands it the stacks once and returns their records by template path."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "policies.validation_engine"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=worker_environment(),
        )

    def validate(self, stacks: list[dict[str, str]]) -> dict[str, list[dict[str, Any]]]:
        stdout, stderr = self._process.communicate(json.dumps(stacks) + "\n", timeout=600)
        if self._process.returncode != 0:
            raise RuntimeError(f"validation engine worker failed ({self._process.returncode}): {stderr[-2000:]}")
        records: dict[str, list[dict[str, Any]]] = json.loads(stdout)
        return records

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()


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
    sys.stdout.write(json.dumps(violation_records(report)))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    code = main()
    # The records are written: end without tearing down the interpreter and the jsii kernel, which took about 1.8 s
    # on a cold synth while the app waited for the end of this output (the kernel exits when its pipe closes).
    sys.stdout.flush()
    os._exit(code)
