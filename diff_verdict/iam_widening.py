"""Security widening in policy documents (issue 13, rule 2): an Allow that grants an action, resource or principal
no base statement granted, or under fewer conditions; a Deny removed or narrowed; a managed policy attached; a new
IAM user or access key. IAM (ACC-3, ACC-8), key policies (ENC-3), resource policies (ACC-1), TLS-only denies (ENC-1).
"""

from __future__ import annotations

from typing import Any

from diff_verdict.controls import control
from diff_verdict.findings import Finding, show
from diff_verdict.policy_documents import Statement, documents_of, text

LONG_LIVED_CREDENTIALS = frozenset({"AWS::IAM::User", "AWS::IAM::AccessKey"})
ATTACHABLE_POLICIES = frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"})


def policy_widenings(stack: str, logical_id: str, base: dict[str, Any] | None, head: dict[str, Any]) -> list[Finding]:
    resource_type = str(head.get("Type"))
    found: list[Finding] = []

    def flag(rule: str, detail: str) -> None:
        found.append(Finding("widening", stack, logical_id, resource_type, "widened", detail, (control(rule),)))

    if base is None and resource_type in LONG_LIVED_CREDENTIALS:
        flag("iam_user", f"new {resource_type}: long-lived credentials instead of a role")
    before = {prop: docs for prop, _, docs in documents_of(base)} if base else {}
    for prop, rule, head_statements in documents_of(head):
        base_statements = before.get(prop, [])
        for detail in _new_grants(head_statements, base_statements):
            flag(rule, f"{prop}: {detail}")
        for detail, statement in _lost_denies(head_statements, base_statements):
            flag("tls_only" if statement.touches_tls() else rule, f"{prop}: {detail}")
    if resource_type in ATTACHABLE_POLICIES:
        for key in ("Roles", "Users", "Groups"):
            before_attached = {text(v) for v in ((base or {}).get("Properties") or {}).get(key) or []}
            for target in (head.get("Properties") or {}).get(key) or []:
                if base is not None and text(target) not in before_attached:
                    flag("iam_identity", f"{key}: now also attached to {show(target)}")
    base_arns = {text(arn) for arn in ((base or {}).get("Properties") or {}).get("ManagedPolicyArns") or []}
    for arn in (head.get("Properties") or {}).get("ManagedPolicyArns") or []:
        if text(arn) not in base_arns:
            flag("iam_identity", f"managed policy attached: {show(arn)}")
    return found


def removed_policy_widenings(stack: str, logical_id: str, base: dict[str, Any]) -> list[Finding]:
    """A policy resource that leaves the template takes its Deny statements with it."""
    return [
        Finding(
            "widening",
            stack,
            logical_id,
            str(base.get("Type")),
            "widened",
            f"{prop}: {detail}",
            (control("tls_only" if statement.touches_tls() else rule),),
        )
        for prop, rule, statements in documents_of(base)
        for detail, statement in _lost_denies([], statements)
    ]


def _new_grants(head: list[Statement], base: list[Statement]) -> list[str]:
    base_allows = [s for s in base if s.effect == "Allow"]
    details = []
    for statement in (s for s in head if s.effect == "Allow"):
        if statement.opaque is not None:
            if not any(b.opaque == statement.opaque for b in base_allows):
                details.append(f"new Allow with NotAction/NotResource/NotPrincipal: {show(statement.opaque)}")
            continue
        plain = [b for b in base_allows if b.opaque is None]
        uncovered = [a for a in statement.atoms() if not any(b.covers(a, statement.conditions) for b in plain)]
        if uncovered:
            details.append(_describe_grant(statement, uncovered, plain))
    return details


def _describe_grant(statement: Statement, uncovered: list[tuple[str, str, str]], base: list[Statement]) -> str:
    actions = sorted({a for a, _, _ in uncovered})
    resources = sorted({r for _, r, _ in uncovered if r})
    principals = sorted({p for _, _, p in uncovered if p})
    grant = f"Allow {show(actions, 70)}" + (f" on {show(resources, 70)}" if resources else "")
    grant += f" to {show(principals, 70)}" if principals else ""
    new = []
    for label, values, known in (
        ("actions", actions, {a for b in base for a in b.actions}),
        ("resources", resources, {r for b in base for r in b.resources}),
        ("principals", principals, {p for b in base for p in b.principals}),
    ):
        fresh = [v for v in values if v not in known]
        if fresh:
            new.append(f"new {label} {show(fresh, 60)}")
    if len(new) == 3 or not base:
        return f"{grant} (new statement)"
    if not new:  # every part was granted before: the statement lost a condition
        dropped = sorted(
            f"{operator} {key}"
            for b in base
            if any(b.covers(a, b.conditions) for a in uncovered)
            for (operator, key), values in b.conditions.items()
            if not statement.conditions.get((operator, key), frozenset({"\0"})) <= values
        )
        new.append(f"condition removed or relaxed: {', '.join(dropped) or 'see the statement'}")
    return f"{grant}; {'; '.join(new)}"


def _lost_denies(head: list[Statement], base: list[Statement]) -> list[tuple[str, Statement]]:
    head_denies = [s for s in head if s.effect == "Deny"]
    lost = []
    for statement in (s for s in base if s.effect == "Deny"):
        if statement.opaque is not None:
            kept = any(h.opaque == statement.opaque for h in head_denies)
        else:
            plain = [h for h in head_denies if h.opaque is None]
            kept = all(any(h.covers(a, statement.conditions) for h in plain) for a in statement.atoms())
        if not kept:
            what = f"Deny {show(list(statement.actions), 60)} on {show(list(statement.resources), 60)}"
            lost.append((f"{what} removed or narrowed", statement))
    return lost
