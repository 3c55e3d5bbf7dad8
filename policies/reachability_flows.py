"""The flow table (policies/reachability.toml), validated once: what each environment's network must carry and what it
must never carry (NET-1, NET-3). Data, so a new promise is a new entry, not new code (docs/reachability.md)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

FLOWS_FILE = Path(__file__).with_name("reachability.toml")
Layer = Literal["security-group", "nacl", "route"]
LAYERS: tuple[Layer, ...] = ("security-group", "nacl", "route")
DATABASE_PORT = "database"  # the port the network stack's Metadata names (its database's)


class Endpoint(BaseModel):
    """One end of a flow: a place outside the VPC, a deployed host, or a host placed in a tier."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    place: Literal["internet", "admin-networks", "s3-gateway-endpoint"] | None = None
    host: Literal["load-balancer", "service", "database", "instance"] | None = None
    tier: Literal["public", "application", "data"] | None = None
    group: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Endpoint:
        if sum(value is not None for value in (self.place, self.host, self.tier)) != 1:
            raise ValueError("name exactly one of place, host or tier")
        if self.place is not None and self.group is not None:
            raise ValueError("a place outside the VPC wears no security group")
        return self

    def __str__(self) -> str:
        where = self.place or self.host or f"{self.tier} tier"
        return f"{where} ({self.group})" if self.group else str(where)


class Flow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    control: Literal["NET-1", "NET-3"]  # each has its gate rule (policies/reachability_rules.py) and evidence row
    source: Endpoint
    target: Endpoint
    protocol: Literal["tcp", "udp"] = "tcp"
    ports: tuple[str, ...]
    expect: Literal["allowed", "blocked"]
    blocked_by: tuple[Layer, ...] = ()
    applies: Literal["always", "with-edge", "without-edge"] = "always"

    @field_validator("ports", mode="before")
    @classmethod
    def _port_list(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @field_validator("ports")
    @classmethod
    def _port_ranges(cls, ports: tuple[str, ...]) -> tuple[str, ...]:
        for text in ports:
            if text != DATABASE_PORT and not _range(text):
                raise ValueError(f"{text!r} is not a port, a range 'low-high' within 0-65535, or 'database'")
        return ports

    @model_validator(mode="after")
    def _blocked_names_layers(self) -> Flow:
        if (self.expect == "blocked") != bool(self.blocked_by):
            raise ValueError("a blocked flow names the layers that must each block it (blocked_by); others none")
        return self

    def port_ranges(self, database_port: int | None) -> tuple[tuple[int, int], ...]:
        """The flow's port ranges; 'database' is the network's database port (none known: no range)."""
        found = []
        for text in self.ports:
            span = (database_port, database_port) if text == DATABASE_PORT and database_port else _range(text)
            if span:
                found.append(span)
        return tuple(found)


def _range(text: str) -> tuple[int, int] | None:
    low, _, high = text.partition("-")
    if not low.isdigit() or (high and not high.isdigit()):
        return None
    span = (int(low), int(high or low))
    return span if 0 <= span[0] <= span[1] <= 65535 else None


class FlowTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    flow: tuple[Flow, ...]


class FlowTableError(Exception):
    """The flow table is not valid; the message is one line naming the entry and what is allowed."""


def parse_flows(text: str, origin: str = str(FLOWS_FILE)) -> tuple[Flow, ...]:
    try:
        return FlowTable.model_validate(tomllib.loads(text)).flow
    except tomllib.TOMLDecodeError as error:
        raise FlowTableError(f"{origin}: not valid TOML ({error})") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FlowTableError(f"{origin}: {where}: {first['msg']}") from None


@cache
def promised_flows() -> tuple[Flow, ...]:
    """The project's flow table, read once per process."""
    return parse_flows(FLOWS_FILE.read_text(encoding="utf-8"))
