"""ACC-3, `ServiceTrustBoundToSource`: every service role's trust policy carries the source conditions AWS documents.

A role that trusts a service principal without `aws:SourceAccount` can be assumed by that service on behalf of any
other account's resource (the cross-service confused deputy, IAM user guide "The confused deputy problem"). For each
statement of an `AssumeRolePolicyDocument` that allows a `Service` principal, the rule reads that service's row in
policies/service_trust.py (the AWS page read for it and what it documents) and requires:

- `required`: `StringEquals aws:SourceAccount` bound to this account (a `Ref` to `AWS::AccountId` or 12 digits)
  and, where the row documents a source ARN, `aws:SourceArn` (ArnLike/ArnEquals/StringLike/StringEquals) naming
  that service's resources;
- `if-present`: `aws:SourceAccount` with `StringEqualsIfExists` (or `StringEquals`);
- `not-sent`: nothing (AWS documents that the service passes its source another way);
- a service without a row: a finding, so a new role cannot skip the review.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import aws_cdk as cdk
import jsii

from policies.create_only_names import literal_text
from policies.service_trust import IF_PRESENT, NOT_SENT, SERVICE_TRUST
from policies.template_rules import Location, TemplateRule, TemplateRulePlugin, as_list, each_template

TRUST_RULE = "Project-ACC3-ServiceTrustBoundToSource"
ROLE_TYPES = frozenset({"AWS::IAM::Role"})
ACCOUNT_OPERATORS = {"required": ("stringequals",), "if-present": ("stringequals", "stringequalsifexists")}
ARN_OPERATORS = ("arnlike", "arnequals", "stringlike", "stringequals")


def _condition_values(statement: Mapping[str, Any], operators: tuple[str, ...], key: str) -> list[Any]:
    values: list[Any] = []
    for operator, block in (statement.get("Condition") or {}).items():
        if operator.lower() in operators and isinstance(block, dict):
            for name, value in block.items():
                if name.lower() == key:
                    values += as_list(value)
    return values


def _is_this_account(value: Any) -> bool:
    if value == {"Ref": "AWS::AccountId"}:
        return True
    return isinstance(value, str) and len(value) == 12 and value.isdigit()


def _arn_service(value: Any) -> str:
    """The service segment of an ARN value (pseudo parameters dropped): arn:<partition>:<service>:..."""
    parts = literal_text(value).split(":")
    return parts[2] if len(parts) > 2 else ""


def _gaps(service: str, statement: Mapping[str, Any]) -> list[str]:
    row = SERVICE_TRUST.get(service)
    if row is None:
        return [f"{service} has no row in policies/service_trust.py (read its trust-policy documentation first)"]
    if row.binding == NOT_SENT:
        return []
    gaps = []
    accounts = _condition_values(statement, ACCOUNT_OPERATORS[row.binding], "aws:sourceaccount")
    if not accounts or not all(_is_this_account(value) for value in accounts):
        operator = "StringEqualsIfExists" if row.binding == IF_PRESENT else "StringEquals"
        gaps.append(f"{service}: no {operator} aws:SourceAccount bound to this account ({row.doc})")
    if row.source_arn is not None:
        expected = row.source_arn.split(":")[2]
        arns = _condition_values(statement, ARN_OPERATORS, "aws:sourcearn")
        if not arns or any(_arn_service(value) != expected for value in arns):
            gaps.append(f"{service}: no aws:SourceArn on {row.source_arn} ({row.doc})")
    return gaps


def service_trusts_unbound(template: Mapping[str, Any]) -> Iterator[Location]:
    """Yield (logical id, location) of each service trust statement missing a documented source condition."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") not in ROLE_TYPES:
            continue
        document = (resource.get("Properties") or {}).get("AssumeRolePolicyDocument") or {}
        for index, statement in enumerate(as_list(document.get("Statement", []))):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal")
            if not isinstance(principal, dict) or "Service" not in principal:
                continue
            for service in as_list(principal["Service"]):
                for gap in _gaps(literal_text(service), statement):
                    yield (
                        logical_id,
                        f"Resources/{logical_id}/Properties/AssumeRolePolicyDocument/Statement/{index}: {gap}",
                    )


@jsii.implements(cdk.IPolicyValidationPlugin)
class TrustRules(TemplateRulePlugin):
    """A policy-validation plugin: registered with `Validations.of(app).add_plugins(...)` like the packs."""

    NAME = "ProjectTrustRules"
    VERSION = "1.0.0"
    RULES = (
        TemplateRule(
            TRUST_RULE,
            "ACC-3: a service role's trust policy lacks the aws:SourceAccount/aws:SourceArn conditions AWS documents "
            "for that service, so the service could assume it for another account's resource (confused deputy).",
            "Build the principal with constructs/trusted_service.trusted_service(scope, service), which applies the "
            "service's row in policies/service_trust.py; add a row (with the AWS page read) for a new service.",
            each_template(service_trusts_unbound),
        ),
    )
