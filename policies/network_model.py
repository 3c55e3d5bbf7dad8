"""The network of one VPC as the reachability evaluator sees it (NET-1, NET-3): subnets and their tiers, network ACL
entries, route tables, security groups and the hosts that wear them (read by policies/network_reading.py).
Pure data, no aws_cdk import: the evidence report reads it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Any

Template = dict[str, Any]
Ref = tuple[str, str]  # (template key, logical id)
# Metadata the network stack writes into its template: the inputs of its promised flows an auditor can read.
REACHABILITY_METADATA = "Reachability"


@dataclass(frozen=True)
class Rule:
    """One allow (or, in a network ACL, deny) rule; `label` names it as an auditor finds it in the template."""

    owner: Ref  # the template resource that holds the rule
    label: str
    protocol: int  # -1: all
    ports: tuple[int, int]
    cidr: IPv4Network | None = None
    peer_group: Ref | None = None  # a security-group rule naming another group
    allow: bool = True
    number: int = 0  # network ACL entries are evaluated in this order
    egress: bool = False


@dataclass
class SecurityGroup:
    ref: Ref
    role: str | None
    ingress: list[Rule] = field(default_factory=list)
    egress: list[Rule] = field(default_factory=list)


@dataclass(frozen=True)
class Subnet:
    ref: Ref
    cidr: IPv4Network
    tier: str | None
    acl: Ref | None  # None: the VPC's default network ACL, which admits everything
    route_table: Ref | None


@dataclass(frozen=True)
class Route:
    ref: Ref
    destination: IPv4Network
    target: str  # "internet gateway", "NAT gateway" or the property naming another target
    nat_subnet: Ref | None = None


@dataclass(frozen=True)
class Host:
    """A resource that sits in subnets and wears security groups: load balancer, service, database, instance."""

    ref: Ref
    kind: str
    groups: tuple[Ref, ...]
    subnets: tuple[Ref, ...]
    internet_facing: bool = False


@dataclass
class Network:
    vpc: Ref
    cidr: IPv4Network
    admin_networks: list[IPv4Network] = field(default_factory=list)
    database_port: int | None = None
    subnets: dict[Ref, Subnet] = field(default_factory=dict)
    acl_entries: dict[Ref, list[Rule]] = field(default_factory=dict)  # acl -> entries (inbound and outbound)
    routes: dict[Ref, list[Route]] = field(default_factory=dict)  # route table -> routes
    groups: dict[Ref, SecurityGroup] = field(default_factory=dict)
    hosts: list[Host] = field(default_factory=list)
    gateway_endpoints: dict[Ref, frozenset[Ref]] = field(default_factory=dict)  # endpoint -> its route tables

    def entries(self, acl: Ref, *, egress: bool) -> list[Rule]:
        return sorted((r for r in self.acl_entries.get(acl, []) if r.egress == egress), key=_number)

    @property
    def has_edge(self) -> bool:
        return any(host.kind == "load-balancer" and host.internet_facing for host in self.hosts)


def _number(rule: Rule) -> int:
    return rule.number
