"""Lambda functions and IAM roles, checked over the template JSON whatever construct emitted them (NET-5, ACC-3, CMP-1).

cdk-nag 3.0.2's rules test `instanceof CfnFunction` / `CfnRole`, so the CDK's own provider Lambdas and roles (emitted
as plain `CfnResource`: cross-region export readers and writers, the default-security-group restriction, the
AwsCustomResource singleton) are never inspected by the nag packs. These checks read every `AWS::Lambda::Function`
and `AWS::IAM::Role` of every template instead:

- NET-5 `LambdaRuntimeSupported`: the runtime is not past its deprecation date (Lambda's runtime lifecycle, as
  cfn-lint ships it in `LmbdRuntimeLifecycle.json`): a deprecated runtime gets no security patches.
- ACC-3 `RoleNotWildcardAdmin`: no role holds `Action: *` on `Resource: *` (inline, `AWS::IAM::Policy` or managed
  policy of the template) or an AWS administrator policy (AdministratorAccess, PowerUserAccess, IAMFullAccess).
- CMP-1 `FunctionRoleInTemplate`: a function's execution role is a role of its own template, trusted only by
  `lambda.amazonaws.com`, so the project's rules (and the trust-policy guard) inspect what the function may do.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

from policies.template_rules import Location, Template, as_list, logical_ids_in, role_statements

ADMIN_POLICIES: Final = ("/AdministratorAccess", "/PowerUserAccess", "/IAMFullAccess")
WILDCARD_ACTIONS: Final = frozenset({"*", "*:*"})


@cache
def runtime_deprecation() -> dict[str, datetime.date]:
    """Runtime -> the date Lambda deprecates it, from cfn-lint's copy of the Lambda runtime lifecycle."""
    # find_spec locates the package without importing it: importing cfn-lint costs seconds at every synth.
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or spec.origin is None:
        raise RuntimeError("cfn-lint is a runtime requirement (requirements.txt): its Lambda runtime data is missing")
    lifecycle = Path(spec.origin).parent / "data" / "AdditionalSpecs" / "LmbdRuntimeLifecycle.json"
    data = lifecycle.read_text(encoding="utf-8")
    return {
        runtime: datetime.date.fromisoformat(dates["deprecated"])
        for runtime, dates in json.loads(data).items()
        if dates.get("deprecated")
    }


def deprecated_runtimes(template: Template, today: datetime.date | None = None) -> Iterator[Location]:
    day = today or datetime.datetime.now(tz=datetime.UTC).date()
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        runtime = (resource.get("Properties") or {}).get("Runtime")
        if not isinstance(runtime, str):
            continue  # a container image carries its own runtime
        deprecated = runtime_deprecation().get(runtime)
        if deprecated is not None and deprecated <= day:
            yield logical_id, f"Properties/Runtime ({runtime} deprecated {deprecated.isoformat()})"


def _is_admin_policy(arn: Any) -> bool:
    text = json.dumps(arn)
    return any(name in text and ":iam::aws:policy" in text for name in ADMIN_POLICIES)


def wildcard_admin_roles(template: Template) -> Iterator[Location]:
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        for arn in (resource.get("Properties") or {}).get("ManagedPolicyArns") or []:
            if _is_admin_policy(arn):
                yield logical_id, f"Properties/ManagedPolicyArns ({json.dumps(arn)})"
        for statement in role_statements(template, logical_id):
            actions = {str(action) for action in as_list(statement.get("Action", []))}
            if (
                statement.get("Effect") == "Allow"
                and actions & WILDCARD_ACTIONS
                and "*" in as_list(statement.get("Resource", []))
            ):
                yield logical_id, "a policy statement allows Action * on Resource *"


def _trusted_services(role: Mapping[str, Any]) -> set[str]:
    document = (role.get("Properties") or {}).get("AssumeRolePolicyDocument") or {}
    services: set[str] = set()
    for statement in as_list(document.get("Statement", [])):
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if not isinstance(principal, dict) or set(principal) != {"Service"}:
            services.add("<not a service>")
        else:
            services.update(str(service) for service in as_list(principal["Service"]))
    return services


def functions_outside_scope(template: Template) -> Iterator[Location]:
    resources = template.get("Resources") or {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        role_ids = list(logical_ids_in((resource.get("Properties") or {}).get("Role")))
        roles = [resources[r] for r in role_ids if resources.get(r, {}).get("Type") == "AWS::IAM::Role"]
        if not roles:
            yield logical_id, "Properties/Role (not a role of this template)"
        elif _trusted_services(roles[0]) != {"lambda.amazonaws.com"}:
            yield logical_id, f"Properties/Role ({role_ids[0]} is trusted by more than lambda.amazonaws.com)"
