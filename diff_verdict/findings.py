"""What the verdict reports: one finding per flagged change, ordered dangers first (issue 13)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Literal

Severity = Literal["danger", "allowed", "interruption", "widening", "moved", "gate", "new", "change"]

# Report order: what blocks first, then what a reviewer must read, then what is only noted.
SEVERITY_ORDER: Final[dict[str, int]] = {
    "danger": 0,
    "allowed": 1,
    "interruption": 2,  # an in-place update that restarts or interrupts a stateful resource
    "widening": 3,
    "moved": 4,  # a firewall rule moved to another port of the same width: closed one, opened the other
    "gate": 5,
    "new": 6,  # a stack the base does not have: one line, its rules listed once
    "change": 7,
}
SEVERITY_LABEL: Final[dict[str, str]] = {
    "danger": "DANGER",
    "allowed": "allowed (ALLOW_REPLACE)",
    "interruption": "interrupts (in place)",
    "widening": "widening",
    "moved": "moved (not a widening)",
    "gate": "gate",
    "new": "new stack",
    "change": "replaced (stateless)",
}


@dataclass(frozen=True)
class Finding:
    severity: Severity
    stack: str
    logical_id: str
    resource_type: str
    change: str  # short verb: deleted, renamed, replaced, widened, acknowledgement added, ...
    detail: str  # what changed, old -> new
    controls: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        """The ALLOW_REPLACE form: <stack>/<logical id>."""
        return f"{self.stack}/{self.logical_id}"

    def sort_key(self) -> tuple[int, str, str]:
        return (SEVERITY_ORDER[self.severity], self.logical_id, self.detail)

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "address": self.address,
            "stack": self.stack,
            "logical_id": self.logical_id,
            "resource_type": self.resource_type,
            "change": self.change,
            "detail": self.detail,
            "controls": list(self.controls),
        }


def render(value: Any) -> str:
    """A template value as text, intrinsics the way cdk-nag prints them: <Bucket>, <Role.Arn>, joined ARNs."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref" and isinstance(argument, str):
            return f"<{argument}>"
        if function == "Fn::GetAtt" and isinstance(argument, list):
            return "<" + ".".join(str(part) for part in argument) + ">"
        if (
            function == "Fn::Join"
            and isinstance(argument, list)
            and len(argument) == 2
            and isinstance(argument[1], list)
        ):
            return str(argument[0]).join(render(part) for part in argument[1])
        if function == "Fn::ImportValue":
            return f"<import {render(argument)}>"
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def show(value: Any, limit: int = 90) -> str:
    """A template value, or a list of them, in one short line."""
    text = ", ".join(render(item) for item in value) if isinstance(value, list) else render(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
