"""Acknowledging a policy finding, with a reason an auditor can check (CMP-1).

A finding may be acknowledged only where the control is met another way, or does not apply, and the
reason must say which and name the control. `acknowledge` refuses anything else at synth time, and the
acknowledgement is written into the template's Metadata (`cdk_nag.rules_to_suppress`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import aws_cdk as cdk

from constructs import IConstruct
from policies.controls import CONTROL_IDS

Basis = Literal["met another way", "not applicable"]
_MIN_EXPLANATION = 30


class AcknowledgementError(ValueError):
    """An acknowledgement without a specific, checkable reason."""


def acknowledge(construct: IConstruct, rule_id: str, *, control: str, basis: Basis, how: str) -> str:
    """Acknowledge `rule_id` on `construct` only; return the reason written to the template."""
    if control not in CONTROL_IDS:
        raise AcknowledgementError(f"acknowledgement of {rule_id}: control {control!r} is not in the control catalog")
    if basis not in ("met another way", "not applicable"):
        raise AcknowledgementError(f"acknowledgement of {rule_id}: basis must be 'met another way' or 'not applicable'")
    if len(how.strip()) < _MIN_EXPLANATION:
        raise AcknowledgementError(
            f"acknowledgement of {rule_id}: say how the control is met or why it does not apply "
            f"(at least {_MIN_EXPLANATION} characters), got {how!r}"
        )
    if isinstance(construct, (cdk.Stack, cdk.App)):
        raise AcknowledgementError(
            f"acknowledgement of {rule_id}: acknowledge on the resource it concerns, never a whole stack or app"
        )
    reason = f"{control} ({basis}): {how.strip()}"
    if _recorded is not None:
        _recorded.append((construct.node.path, rule_id))
        return reason
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))
    return reason


_recorded: list[tuple[str, str]] | None = None


@contextmanager
def recorded_not_applied() -> Iterator[list[tuple[str, str]]]:
    """Within this block, acknowledgements are listed (construct path, rule) instead of applied.

    The test that proves every acknowledgement is needed builds the app inside it: each listed rule must then
    fire on that construct or below it.
    """
    global _recorded  # noqa: PLW0603 - a test hook around app construction, not state the app reads
    _recorded = []
    try:
        yield _recorded
    finally:
        _recorded = None


def nag_resource_text(scope: IConstruct, value: str) -> str:
    """Render a (possibly tokenized) ARN the way cdk-nag prints it in a finding suffix.

    cdk-nag writes `{"Ref": "X"}` as `<X>`, `{"Fn::GetAtt": ["X", "Arn"]}` as `<X.Arn>` and joins `Fn::Join` parts,
    so an acknowledgement can name the exact finding, e.g. `AwsSolutions-IAM5[Resource::<DataBucketBD860FE1.Arn>/*]`.
    """
    return _render(cdk.Stack.of(scope).resolve(value))


def _render(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} as cdk-nag finding text")
