"""Synthesize the example app once per session, with every policy gate, and share the results.

Synthesis is the slow part of the suite, so every template test reads from this one synth. Probe tests
that need a deliberately bad resource build a tiny app of their own instead.

The app, the config and moto are imported inside the fixtures that use them: pytest-xdist's controller loads this
file before it starts the workers and runs no test, and importing them (the CDK's Node runtime among them) took it
about 3.5 s that every worker waited for.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.botocore_reuse import parsed_once
from tests.cli_synth import BackgroundSynth, shared_synth

if TYPE_CHECKING:
    from aws_cdk.assertions import Template

    from app import EnvironmentStacks
    from config import AppConfig

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

PROD = "acme-prod"
DEV = "globex-dev"


def _exit_without_interpreter_teardown() -> None:
    """A pytest-xdist worker has sent every result when its exit handlers run; tearing down its interpreter (the
    construct trees, moto's backends and cfn-lint's schemas it holds) then took 2.5 s that the whole run waited for.
    Registered before the CDK's Node runtime starts, so its own exit handler (which stops Node) still runs first."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if os.environ.get("PYTEST_XDIST_WORKER"):
    atexit.register(_exit_without_interpreter_teardown)


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    environments: dict[str, EnvironmentStacks]
    report: dict[str, Any]
    failure: str | None

    def template(self, stack_name: str) -> Template:
        from aws_cdk.assertions import Template

        return Template.from_json(self.template_json(stack_name))

    def template_json(self, stack_name: str) -> dict[str, Any]:
        return json.loads((self.outdir / f"{stack_name}.template.json").read_text(encoding="utf-8"))

    def stack_names(self) -> list[str]:
        """The tenant stacks (environments and account baselines); `fleet_stack_names` has the delivery stacks."""
        from config.pipeline import FLEET_TAG

        return sorted(name for name, tags in self._stacks().items() if FLEET_TAG not in tags)

    def fleet_stack_names(self) -> list[str]:
        """The cell pipelines, their support stacks and the tenant bootstrap (config `[pipeline]`)."""
        from config.pipeline import FLEET_TAG

        return sorted(name for name, tags in self._stacks().items() if FLEET_TAG in tags)

    def _stacks(self) -> dict[str, dict[str, str]]:
        manifest = json.loads((self.outdir / "manifest.json").read_text(encoding="utf-8"))
        return {
            name: artifact["properties"].get("tags", {})
            for name, artifact in manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        }


def synthesize(config: AppConfig, outdir: Path) -> Synthesized:
    """Build and synthesize the whole app with all gates; keep the report even when a gate fails."""
    from app import build, new_app

    app = new_app(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    environments = build(app, config, head_start=True)
    failure = None
    try:
        app.synth()
    except RuntimeError as error:  # jsii surfaces ValidationFailed as RuntimeError
        failure = str(error)
    report = json.loads((outdir / "validation-report.json").read_text(encoding="utf-8"))
    return Synthesized(outdir=outdir, environments=environments, report=report, failure=failure)


@pytest.fixture(scope="session", autouse=True)
def botocore_data_parsed_once() -> Iterator[None]:
    """Every boto3 client of the session reuses botocore's parsed service data (tests/botocore_reuse.py)."""
    with parsed_once():
        yield


@pytest.fixture(scope="session", autouse=True)
def background_cli_synth(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> BackgroundSynth | None:
    """Start the CLI synth first, when a collected test needs it, so it runs beside the in-process synth.

    Not under pytest-xdist, where every worker collects every test: there the CLI tests start it when they need it,
    and the other worker is the parallelism."""
    wanted = any("cli_synth" in getattr(item, "fixturenames", ()) for item in request.session.items)
    if not wanted or os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    return BackgroundSynth(tmp_path_factory.mktemp("make-synth") / "out")


@pytest.fixture(scope="session")
def cli_synth(
    background_cli_synth: BackgroundSynth | None, synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The README's main command, through the pinned CLI, with no credentials (the suite's second full synth,
    started in the background at the beginning of the session where it can be). Its folder, once it passed. Under
    pytest-xdist it starts after the session synth, whose gate results it then reads from the cache instead of
    checking every template again (on a fresh clone that is aws-cdk-lib's validation engine and cfn-guard twice)."""
    if background_cli_synth is not None:
        returncode, stderr = background_cli_synth.result()
        out = background_cli_synth.out
    else:  # under pytest-xdist: one synth for every worker
        out, returncode, stderr = shared_synth(tmp_path_factory.getbasetemp().parent / "shared-make-synth")
    assert returncode == 0, stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def example_config() -> AppConfig:
    from config import load_config

    return load_config()


@pytest.fixture(scope="session")
def synthesized(example_config: AppConfig, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The session synth. Under pytest-xdist the workers share one: the first to take the lock synthesizes, the
    others build the same app (its construct tree, which some tests read) while it does, without synthesizing it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return synthesize(example_config, tmp_path_factory.mktemp("cdk.out"))
    from app import build, new_app

    shared = tmp_path_factory.getbasetemp().parent / "shared-cdk.out"
    shared.mkdir(parents=True, exist_ok=True)
    done = shared / "synthesized.json"
    with (shared.parent / "shared-cdk.out.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # another worker is synthesizing
        else:
            if not done.exists():
                result = synthesize(example_config, shared)
                done.write_text(json.dumps({"failure": result.failure}), encoding="utf-8")
                return result
            fcntl.flock(lock, fcntl.LOCK_UN)
        app = new_app(outdir=str(tmp_path_factory.mktemp("unsynthesized")), context={"aws:cdk:bundling-stacks": []})
        environments = build(app, example_config)
        fcntl.flock(lock, fcntl.LOCK_SH)  # the synthesizing worker holds the lock until its report is written
    report = json.loads((shared / "validation-report.json").read_text(encoding="utf-8"))
    failure = json.loads(done.read_text(encoding="utf-8"))["failure"]
    return Synthesized(outdir=shared, environments=environments, report=report, failure=failure)


@pytest.fixture(scope="session")
def prod_network(synthesized: Synthesized) -> Template:
    return synthesized.template(f"{PROD}-network")


@pytest.fixture(scope="session")
def dev_network(synthesized: Synthesized) -> Template:
    return synthesized.template(f"{DEV}-network")


@pytest.fixture(scope="session")
def moto_deployment(synthesized: Synthesized, example_config: AppConfig) -> Any:
    """The whole example assembly deployed into moto once per session (tests/moto_deploy.py); the operations
    commands' tests run against this account. The edges' hosted zones exist before the deploy, as in a real account."""
    from tests.moto_deploy import MOTO_DEFAULT_ACCOUNT, deployed_in_moto

    zones = {
        env.edge.hosted_zone_id: (env.account or MOTO_DEFAULT_ACCOUNT, env.edge.hosted_zone_name)
        for env in example_config.environments
        if env.edge is not None
    }
    with deployed_in_moto(synthesized.outdir, zones) as deployment:
        yield deployment
