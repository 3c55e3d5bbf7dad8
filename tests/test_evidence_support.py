"""Helpers for the evidence report's tests: copy the session's real assembly, break one template, evaluate.

No tests here. Every breaking-template test starts from the session synth (`synthesized`), never a new one.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from config.catalog import Catalog, load_catalog
from evidence_report.assembly import Assembly, Stack, load_assembly
from evidence_report.evaluate import EnvironmentResult, evaluate
from evidence_report.evidence import Row
from tests.conftest import Synthesized

PROD = "acme-prod"
DEV = "globex-dev"
PROD_ACCOUNT = "111122223333"
Template = dict[str, Any]


def real_assembly(synthesized: Synthesized) -> Assembly:
    return load_assembly(synthesized.outdir)


def changed(assembly: Assembly, stack_name: str, mutate: Callable[[Template], None]) -> Assembly:
    """A copy of `assembly` whose `stack_name` template went through `mutate` (the others are shared)."""
    stacks = []
    for stack in assembly.stacks:
        if stack.name == stack_name:
            template = copy.deepcopy(stack.template)
            mutate(template)
            stacks.append(dataclasses.replace(stack, template=template))
        else:
            stacks.append(stack)
    assert any(s.name == stack_name for s in stacks), f"no stack {stack_name}"
    return dataclasses.replace(assembly, stacks=tuple(stacks))


def moved(assembly: Assembly, stack_name: str, **fields: Any) -> Assembly:
    """A copy with one stack's manifest fields (region, account, tags) replaced."""
    return dataclasses.replace(
        assembly, stacks=tuple(dataclasses.replace(s, **fields) if s.name == stack_name else s for s in assembly.stacks)
    )


def added(
    assembly: Assembly, name: str, resources: dict[str, Any], *, account: str, environment: str | None
) -> Assembly:
    """A copy with one more stack: an environment's (tagged) or an account-level one (no environment tag)."""
    tags = {"environment": environment, "stage": environment.split("-")[-1]} if environment else {}
    stack = Stack(name=name, account=account, region="us-east-1", tags=tags, template={"Resources": resources})
    return dataclasses.replace(assembly, stacks=(*assembly.stacks, stack))


def only(control_id: str) -> Catalog:
    catalog = load_catalog()
    return Catalog(families=catalog.families, features=catalog.features, controls=(catalog.control(control_id),))


def status(assembly: Assembly, control_id: str, environment: str = PROD) -> str:
    """The control's status in one environment, through the report's real evaluation."""
    result = evaluate(assembly, only(control_id), []).controls[0]
    return result.status_in(environment)


def rule_status(assembly: Assembly, control_id: str, rule: str, environment: str = PROD) -> str:
    env = environment_result(assembly, control_id, environment)
    return next(r.status for r in env.rules if r.rule == rule)


def of_type(template: Template, resource_type: str) -> dict[str, Any]:
    """Logical ID -> resource body of every resource of `resource_type`."""
    return {lid: body for lid, body in template["Resources"].items() if body["Type"] == resource_type}


def one(template: Template, resource_type: str, contains: str = "") -> dict[str, Any]:
    found = [body for lid, body in of_type(template, resource_type).items() if contains in lid]
    assert len(found) == 1, f"{len(found)} {resource_type} matching {contains!r}"
    return found[0]


def logical_id(template: Template, resource_type: str, contains: str = "") -> str:
    """The one logical ID of `resource_type` containing `contains` (real templates carry hashed IDs)."""
    found = [lid for lid in of_type(template, resource_type) if contains in lid]
    assert len(found) == 1, f"{len(found)} {resource_type} matching {contains!r}"
    return found[0]


def environment_result(assembly: Assembly, control_id: str, environment: str = PROD) -> EnvironmentResult:
    result = evaluate(assembly, only(control_id), []).controls[0]
    return next(e for e in result.environments if e.environment == environment)


def rows(assembly: Assembly, control_id: str, environment: str = PROD) -> list[Row]:
    return environment_result(assembly, control_id, environment).rows


def delete(template: Template, resource_type: str, contains: str = "") -> int:
    doomed = [lid for lid in of_type(template, resource_type) if contains in lid]
    for lid in doomed:
        del template["Resources"][lid]
    return len(doomed)
