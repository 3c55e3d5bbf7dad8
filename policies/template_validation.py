"""aws-cdk-lib's own CloudFormation template validation, run once per distinct template (CMP-1).

aws-cdk-lib 2.275 validates every synthesized template with a CloudFormation validation engine (it once found a
circular dependency CloudFormation would have refused; tests/test_policy_gates.py fails on any of its findings).
Its engine (WebAssembly) takes about 2 s to start, once per synth, and then about 0.1 s per template.
`CachedTemplateValidation` replaces the built-in registration (`new_app` turns it off) with the same plugin,
under the same name, created only when some template was not validated before: its findings per template are a
pure function of the template bytes, the stack's account and region, and the aws-cdk-lib version (which pins the
engine), so those form the cache key (`policies/gate_cache.py`).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from constructs import IConstruct
from policies.cache_folder import content_key
from policies.gate_cache import GateCache, as_violation, json_violation_records, violation_records
from policies.validation_engine import EngineWorker, take_early_worker

CACHE_FORMAT = "cloudformation-validate-1"


@jsii.implements(cdk.IPolicyValidationContext)
class SomeStacks:
    """A validation context holding only the stacks whose templates still need the engine."""

    def __init__(self, app: IConstruct, stacks: list[cdk.PolicyValidationStack]) -> None:
        self._app, self._stacks = app, stacks

    @property
    def app_construct(self) -> IConstruct:
        return self._app

    @property
    def stack_templates(self) -> list[cdk.PolicyValidationStack]:
        return self._stacks

    @property
    def template_paths(self) -> list[str]:
        return [stack.template_path for stack in self._stacks]

    @property
    def account_id(self) -> str | None:
        return None

    @property
    def region(self) -> str | None:
        return None


@jsii.implements(cdk.IPolicyValidationPlugin)
class CachedTemplateValidation:
    def __init__(
        self,
        cache: GateCache | None = None,
        *,
        meanwhile: Callable[[list[str]], None] | None = None,
        engine: EngineWorker | None = None,
    ) -> None:
        """`meanwhile` hears the template paths first: work that can run beside the engine, which holds the jsii
        kernel for seconds on a cold synth (the Control Tower gate's cfn-guard runs, issue 25). `engine` is a worker
        process to validate in (default: the one `policies.validation_engine.start_early_if_cold` started, if any)."""
        self._cache = cache or GateCache("cloudformation-validate")
        self._library = f"aws-cdk-lib {version('aws-cdk-lib')}"
        self._meanwhile = meanwhile
        self._engine = engine

    @property
    def name(self) -> str:
        return str(cdk.CloudFormationValidatePlugin.PLUGIN_NAME)  # the name aws-cdk-lib reports it under

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    @property
    def version(self) -> str:
        return self._library

    @property
    def cache(self) -> GateCache:
        return self._cache

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        if self._meanwhile is not None:
            self._meanwhile(list(context.template_paths))
        records: dict[str, list[dict[str, object]]] = {}
        keys: dict[str, str] = {}
        unchecked: list[cdk.PolicyValidationStack] = []
        for stack in context.stack_templates:
            key = content_key(
                CACHE_FORMAT,
                self._library,
                Path(stack.template_path).read_bytes(),
                stack.stack_construct_path,  # findings not about one resource name the stack by its path
                stack.account_id or "",
                stack.region or "",
            )
            cached = self._cache.get(key)
            if cached is None:
                keys[stack.template_path] = key
                unchecked.append(stack)
            else:
                records[stack.template_path] = cached
        worker = self._engine or take_early_worker()
        if unchecked:
            found = self._validate(context.app_construct, unchecked, worker)
            for stack in unchecked:
                records[stack.template_path] = found.get(stack.template_path, [])
                self._cache.put(keys[stack.template_path], records[stack.template_path])
        elif worker is not None:
            worker.stop()
        violations = [as_violation(record, path) for path, items in records.items() for record in items]
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)

    @staticmethod
    def _validate(
        app: IConstruct, stacks: list[cdk.PolicyValidationStack], worker: EngineWorker | None
    ) -> dict[str, list[dict[str, Any]]]:
        """The engine's records for these stacks: from the worker started early when there is one, else (or if it
        failed) from the engine in the kernel."""
        if worker is not None:
            with contextlib.suppress(RuntimeError, ValueError, KeyError, OSError, subprocess.SubprocessError):
                return json_violation_records(
                    worker.validate(
                        [
                            {
                                "template_path": stack.template_path,
                                "stack_construct_path": stack.stack_construct_path,
                                "account_id": stack.account_id or "",
                                "region": stack.region or "",
                            }
                            for stack in stacks
                        ]
                    )
                )
            worker.stop()
        return violation_records(cdk.CloudFormationValidatePlugin().validate(SomeStacks(app, stacks)))
