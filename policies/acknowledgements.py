"""Acknowledging a policy finding, on the resource it concerns, with a reason an auditor can check (CMP-1).

A finding may be acknowledged only where the control is met another way, or does not apply, and the reason must say
which and name the control: a `Cause`. One cause is written once and may answer several rule ids (the NIST, HIPAA and
PCI variants of one check, or several resources with the same reason). `acknowledge` places it only on the L1
resources whose findings it answers: the exact resource given, or, given a construct, the resources below it of the
types the rule inspects (`policies/rule_targets.py`), never the whole subtree (cdk-nag and aws-cdk-lib would copy it
onto every resource below). The acknowledgement is written into the template's Metadata (`cdk_nag.rules_to_suppress`).
A rule rejected for the whole app is excluded once where the packs are configured (`policies/rule_exclusions.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import aws_cdk as cdk

from constructs import IConstruct
from policies.controls import CONTROL_IDS
from policies.rule_targets import inspected_types

Basis = Literal["met another way", "not applicable"]
_MIN_EXPLANATION = 30


class AcknowledgementError(ValueError):
    """An acknowledgement without a specific, checkable reason, or on a resource its rule does not inspect."""


@dataclass(frozen=True)
class Cause:
    """Why findings are accepted: the control, whether it is met another way or does not apply, and how."""

    control: str
    basis: Basis
    how: str

    def __post_init__(self) -> None:
        if self.control not in CONTROL_IDS:
            raise AcknowledgementError(f"acknowledgement: control {self.control!r} is not in the control catalog")
        if self.basis not in ("met another way", "not applicable"):
            raise AcknowledgementError("acknowledgement: basis must be 'met another way' or 'not applicable'")
        if len(self.how.strip()) < _MIN_EXPLANATION:
            raise AcknowledgementError(
                f"acknowledgement: say how the control is met or why it does not apply "
                f"(at least {_MIN_EXPLANATION} characters), got {self.how!r}"
            )

    @property
    def reason(self) -> str:
        return f"{self.control} ({self.basis}): {self.how.strip()}"


def acknowledge(construct: IConstruct, rule_ids: str | Iterable[str], *, control: str, basis: Basis, how: str) -> str:
    """Acknowledge `rule_ids` for one cause on the resources they inspect at `construct`; return the reason."""
    return acknowledge_cause(construct, rule_ids, Cause(control, basis, how))


def acknowledge_cause(construct: IConstruct, rule_ids: str | Iterable[str], cause: Cause) -> str:
    """Acknowledge each of `rule_ids` for `cause` on exactly the resources whose findings it answers: one call per
    resource for all its rules (each call into aws-cdk-lib is a round trip to the jsii kernel, issue 25)."""
    rules = (rule_ids,) if isinstance(rule_ids, str) else tuple(rule_ids)
    if not rules:
        raise AcknowledgementError("acknowledgement: name at least one rule id")
    site = _Site(construct, rules)
    rules_of: dict[int, tuple[cdk.CfnResource, list[str]]] = {}  # by object: jsii hands out one object per resource
    for rule_id in rules:
        for resource in site.inspected_by(rule_id):
            rules_of.setdefault(id(resource), (resource, []))[1].append(rule_id)
    for resource, resource_rules in rules_of.values():
        if _recorded is not None:
            _recorded.extend((resource.node.path, rule_id) for rule_id in resource_rules)
        else:
            acknowledgments = (cdk.Acknowledgment(id=rule_id, reason=cause.reason) for rule_id in resource_rules)
            cdk.Validations.of(resource).acknowledge(*acknowledgments)
    return cause.reason


def inspected_resources(construct: IConstruct, rule_id: str) -> list[cdk.CfnResource]:
    """The L1 resources at `construct` that `rule_id` inspects: the resource itself; below a construct, those of the
    rule's types (policies/rule_targets.py), or for a rule not listed there the construct's own L1 (`default_child`)."""
    return _Site(construct, (rule_id,)).inspected_by(rule_id)


class _Site:
    """Where an acknowledgement goes, read from the construct tree once for all the rules of one cause."""

    def __init__(self, construct: IConstruct, rules: tuple[str, ...]) -> None:
        if isinstance(construct, (cdk.Stack, cdk.App, cdk.Stage)):
            raise AcknowledgementError(
                f"acknowledgement of {', '.join(rules)}: acknowledge on the resource it concerns, never a whole "
                "stack or app"
            )
        self._construct = construct
        self._own_type: str | None = None  # the construct's own CloudFormation type, when it is an L1 resource
        self._below: list[tuple[cdk.CfnResource, str]] | None = None  # the L1 resources below it, with their types

    def inspected_by(self, rule_id: str) -> list[cdk.CfnResource]:
        construct = self._construct
        types = inspected_types(rule_id)
        if isinstance(construct, cdk.CfnResource):
            if types is not None and self._type_of_resource() not in types:
                raise AcknowledgementError(
                    f"acknowledgement of {rule_id} on {construct.node.path}: the rule inspects {sorted(types)}, "
                    f"not {self._type_of_resource()}"
                )
            return [construct]
        if types is None:
            default = construct.node.default_child
            if isinstance(default, cdk.CfnResource):  # an L2 construct: its own L1 resource, not its other children
                return [default]
            raise AcknowledgementError(
                f"acknowledgement of {rule_id} on {construct.node.path}: give the exact L1 resource, or add the "
                "rule's resource types to policies/rule_targets.py"
            )
        found = [resource for resource, resource_type in self._resources_below() if resource_type in types]
        if not found:
            raise AcknowledgementError(
                f"acknowledgement of {rule_id} on {construct.node.path}: no resource of {sorted(types)} below it"
            )
        return found

    def _type_of_resource(self) -> str:
        if self._own_type is None:
            assert isinstance(self._construct, cdk.CfnResource)
            self._own_type = _resource_type(self._construct)
        return self._own_type

    def _resources_below(self) -> list[tuple[cdk.CfnResource, str]]:
        if self._below is None:
            self._below = [
                (child, _resource_type(child))
                for child in self._construct.node.find_all()
                if isinstance(child, cdk.CfnResource)
            ]
        return self._below


_FIXED_TYPES: dict[type, str] = {}


def _resource_type(resource: cdk.CfnResource) -> str:
    """The resource's CloudFormation type, asked of aws-cdk-lib once per generated L1 class (a class that declares
    `CFN_RESOURCE_TYPE_NAME` has that one type) rather than once per resource: each ask is a jsii round trip."""
    kind = type(resource)
    if "CFN_RESOURCE_TYPE_NAME" not in vars(kind):
        return resource.cfn_resource_type  # a plain CfnResource: each has the type it was given
    if kind not in _FIXED_TYPES:
        _FIXED_TYPES[kind] = resource.cfn_resource_type
    return _FIXED_TYPES[kind]


_recorded: list[tuple[str, str]] | None = None


@contextmanager
def recorded_not_applied() -> Iterator[list[tuple[str, str]]]:
    """Within this block, acknowledgements are listed (resource path, rule) instead of applied.

    The test that proves every acknowledgement is needed builds the app inside it: each listed rule must then
    fire on exactly that resource.
    """
    global _recorded  # noqa: PLW0603 - a test hook around app construction, not state the app reads
    _recorded = []
    try:
        yield _recorded
    finally:
        _recorded = None


def recording_acknowledgements() -> bool:
    """True inside `recorded_not_applied`: the stage assembly cache then builds every stage (stacks/cells.py)."""
    return _recorded is not None


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
