"""What an evidence rule returns: rows of evidence found in the templates, and the problems that break a promise."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from evidence_report.assembly import Assembly, Resource, Stack

_MAX_VALUE_CHARS = 240


@dataclass(frozen=True, order=True)
class Row:
    """One piece of evidence: where it is in the templates, what it says, and why it keeps the control."""

    environment: str
    stack: str
    logical_id: str
    resource_type: str
    property_path: str
    value: str
    why: str


def render(value: Any) -> str:
    """A template value as compact, stable text (JSON for structures), cut to a readable length."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


@dataclass
class Evidence:
    """Collects what one rule found in one environment."""

    environment: str
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    provided: list[str] = field(default_factory=list)

    def row(self, resource: Resource, path: str, value: Any, why: str) -> None:
        self.rows.append(
            Row(
                environment=self.environment,
                stack=resource.stack.name,
                logical_id=resource.logical_id,
                resource_type=resource.type,
                property_path=path,
                value=render(value),
                why=why,
            )
        )

    def stack_row(self, stack: Stack, path: str, value: Any, why: str) -> None:
        """Evidence about a stack as a whole (its region, its tags), not one resource."""
        self.rows.append(Row(self.environment, stack.name, "-", "AWS::CloudFormation::Stack", path, render(value), why))

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def provided_by_organization(self, stack: Stack, service: str, what: str) -> None:
        """The organization provides `service` here (the baseline's Metadata says so): not shown, so not "met"."""
        path = "Metadata.AccountBaseline.ProvidedByOrganization"
        self.stack_row(stack, path, service, f"{what}: by the organization")
        reason = f"{stack.name}: the organization provides {service} ({what}); verify it there."
        if reason not in self.provided:
            self.provided.append(reason)


@dataclass(frozen=True)
class EnvironmentView:
    """What a rule sees: one environment's stacks plus the account-level stacks of its account."""

    name: str
    stage: str | None
    stacks: tuple[Stack, ...]
    assembly: Assembly

    def resources(self, *types: str) -> Iterator[Resource]:
        for stack in self.stacks:
            yield from stack.resources(*types)

    def matching(self, predicate: Callable[[Resource], bool]) -> list[Resource]:
        return [resource for resource in self.resources() if predicate(resource)]

    def target(self, origin: Resource, value: Any) -> Resource | None:
        """The resource a Ref / Fn::GetAtt / Fn::ImportValue in `origin`'s template points at, if any."""
        return self._resolve(origin.stack, value)

    def _resolve(self, stack: Stack, value: Any) -> Resource | None:
        if not isinstance(value, dict):
            return None
        if "Ref" in value:
            return stack.resource(str(value["Ref"]))
        if "Fn::GetAtt" in value:
            attribute = value["Fn::GetAtt"]
            return stack.resource(str(attribute[0] if isinstance(attribute, list) else str(attribute).split(".")[0]))
        if "Fn::ImportValue" in value:
            for producer in self.stacks:
                exported = producer.exports().get(str(value["Fn::ImportValue"]))
                if exported is not None:
                    return self._resolve(producer, exported)
        return None

    def refers_to(self, origin: Resource, value: Any, resource: Resource) -> bool:
        found = self.target(origin, value)
        return found is not None and found.stack is resource.stack and found.logical_id == resource.logical_id
