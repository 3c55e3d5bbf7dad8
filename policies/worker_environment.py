"""The environment of the Node processes a synth starts beside the app (issue 25): aws-cdk-lib's validation engine
worker (policies/validation_engine.py) and the Control Tower runs (policies/control_tower.py).

Each Node process starts a V8 pool of four background threads (compilation, garbage collection) by default. On a cold
synth these workers run beside the app's own jsii kernel, and on two cores the threads only take turns: with a pool of
one, the validation engine worker measured 3.2 s of CPU instead of 4.3 s (its engine ready in 0.7 s instead of 1.3 s,
the 20 example templates validated in 0.4 s instead of 1.0 s) and a cold `make synth` about 1 s less (docs/speed.md).
The app's kernel and the CDK CLI keep Node's default. A user's own `--v8-pool-size` in NODE_OPTIONS wins.
"""

from __future__ import annotations

import os

POOL_SIZE_OPTION = "--v8-pool-size"


def worker_environment() -> dict[str, str]:
    """This process's environment, with a V8 pool of one background thread for the Node worker it starts."""
    environment = dict(os.environ)
    options = environment.get("NODE_OPTIONS", "")
    if POOL_SIZE_OPTION not in options:
        environment["NODE_OPTIONS"] = f"{options} {POOL_SIZE_OPTION}=1".strip()
    return environment


def node_executable() -> str:
    """The Node the workers run: the one jsii runs (`JSII_NODE`), else `node` on the PATH."""
    return os.environ.get("JSII_NODE", "node")
