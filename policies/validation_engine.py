"""aws-cdk-lib's CloudFormation validation engine in a Node process of its own, started early on a cold synth (CMP-1,
issue 25).

Creating the engine (WebAssembly) takes about 0.6 s, and in the jsii kernel it can only start once the templates are
written. A synth that will check every template (the gate cache off, or holding no validation result yet: a fresh
clone) starts this worker when the app starts, so the engine is created on the second core while the kernel builds
the construct tree. The worker runs aws-cdk-lib's own plugin (`CloudFormationValidatePlugin`, its JavaScript from the
installed aws-cdk-lib's jsii tarball, unpacked once: policies/jsii_tarballs.py) over the same stacks (template path,
construct path, account and region: all the plugin reads), so its findings are the in-kernel ones
(tests/test_synth_speed.py compares them). If the worker fails, the gate runs the engine in the kernel instead.

    python -m policies.validation_engine    unpacks the plugin if needed, then becomes Node: reads the stacks as
                                            one JSON line, writes the plugin's report as JSON

The worker is Python only until it hands over to Node (standard library imports, no jsii kernel), and Node ends as
soon as the report is out: Node's own exit waits for V8's background compilations of the engine's WebAssembly
(about 0.9 s of CPU on two cores that the app needs), which the report no longer needs.
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

from policies.cache_folder import cache_dir, cache_enabled
from policies.jsii_tarballs import jsii_tarball, unpacked
from policies.worker_environment import node_executable, worker_environment

WORKER_TIMEOUT_SECONDS = 600
NAMESPACE = "cloudformation-validate"  # the gate cache folder of policies/template_validation.py
ROOT = Path(__file__).resolve().parent.parent
# What the plugin loads from aws-cdk-lib's package (found by tracing Node's require): core/lib (the plugin, its default
# Rego rules, its lazy error helpers), the engine module, the deprecation checks every aws-cdk-lib entry point runs.
ENGINE_PARTS = ("core/lib", "node_modules/@aws/cloudformation-validate", ".warnings.jsii.js", "package.json")
PLUGIN_IN_PACKAGE = "core/lib/validation/cloudformation-validate-plugin.js"
# The plugin's JavaScript, as the kernel would run it: the engine is created before the stacks arrive (on stdin, one
# JSON line of the records `EngineWorker.validate` sends), the report is written to stdout, then the process ends.
_RUN_ENGINE_JS = """
const fs = require("fs");
const { CloudFormationValidatePlugin } = require(process.argv[1]);
const plugin = new CloudFormationValidatePlugin();
const stackTemplates = JSON.parse(fs.readFileSync(0, "utf8")).map((stack) => ({
  templatePath: stack.template_path,
  stackConstructPath: stack.stack_construct_path,
  accountId: stack.account_id || undefined,
  region: stack.region || undefined,
}));
const report = plugin.validate({ stackTemplates, templatePaths: stackTemplates.map((stack) => stack.templatePath) });
process.stdout.write(JSON.stringify(report), () => process.kill(process.pid, "SIGKILL"));
"""


class EngineWorker:
    """A started worker; `validate` hands it the stacks once and returns the plugin's report as its JavaScript wrote it
    (`policies.gate_cache.json_violation_records` makes it records by template path).

    `validate` returns at the end of the worker's output; the worker is waited for when the app exits (its exit
    handlers), so its CPU counts in the app's and nothing is left running."""

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

    def validate(self, stacks: list[dict[str, str]]) -> dict[str, Any]:
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
        report: dict[str, Any] = json.loads(output)
        return report

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self.reap()

    def reap(self) -> None:
        """Wait for the worker to end (a stuck one is killed), then close its pipes and error file. A worker never
        handed its stacks (the synth failed before its gates ran) is stopped at once: it would wait for them."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.kill()
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
    """Unpack the plugin (once per aws-cdk-lib tarball), then become Node with the same standard input and output."""
    package = unpacked(
        jsii_tarball("aws_cdk", "aws-cdk-lib"), cache_dir(), name="aws-cdk-lib-engine", parts=ENGINE_PARTS
    )
    node = node_executable()
    os.execvp(node, [node, "-e", _RUN_ENGINE_JS, str(package.folder / PLUGIN_IN_PACKAGE)])
    return 1  # not reached: exec replaces this process


if __name__ == "__main__":
    sys.exit(main())
