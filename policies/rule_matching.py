"""Whether one security group's or one network ACL's rules admit some traffic (NET-1, NET-3), for the reachability
evaluator (policies/reachability.py). "whole": every address and port of the traffic must be admitted (a promised
flow); otherwise any of them admitted is enough (a forbidden flow gets through). No aws_cdk import.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network
from itertools import product

from policies.network_model import Ref, Rule
from policies.reachability_flows import Layer


@dataclass(frozen=True)
class Traffic:
    label: str  # for messages: "tcp 443 from the internet"
    addresses: tuple[IPv4Network, ...]  # the other end's addresses
    peers: frozenset[Ref]  # the other end's security groups
    protocol: int
    ports: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Check:
    layer: Layer
    admits: bool
    rule: str  # the rule that admits, or why the layer drops it
    owner: Ref | None = None  # the template resource the rule lives in


def _units(traffic: Traffic) -> list[tuple[IPv4Network, tuple[int, int]]]:
    return list(product(traffic.addresses, traffic.ports))


def _protocol_matches(rule: Rule, traffic: Traffic) -> bool:
    return rule.protocol in (-1, traffic.protocol)


def _covers(rule: Rule, traffic: Traffic, unit: tuple[IPv4Network, tuple[int, int]]) -> bool:
    net, (low, high) = unit
    where = (rule.peer_group in traffic.peers) or (rule.cidr is not None and net.subnet_of(rule.cidr))
    return where and _protocol_matches(rule, traffic) and rule.ports[0] <= low and high <= rule.ports[1]


def _touches(rule: Rule, traffic: Traffic, unit: tuple[IPv4Network, tuple[int, int]]) -> bool:
    net, (low, high) = unit
    where = (rule.peer_group in traffic.peers) or (rule.cidr is not None and net.overlaps(rule.cidr))
    return where and _protocol_matches(rule, traffic) and low <= rule.ports[1] and rule.ports[0] <= high


def group_check(rules: list[Rule], traffic: Traffic, *, whole: bool, side: str) -> Check:
    """Security groups (allow rules only, stateful): `whole` needs every address and port admitted by some rule."""
    used = []
    for unit in _units(traffic):
        hit = next((r for r in rules if (_covers if whole else _touches)(r, traffic, unit)), None)
        if hit is None and whole:
            return Check("security-group", False, f"{side}: no rule admits {traffic.label}")
        if hit is not None:
            if not whole:
                return Check("security-group", True, hit.label, hit.owner)
            used.append(hit)
    if whole:
        return Check("security-group", True, ", ".join(dict.fromkeys(r.label for r in used)), used[0].owner)
    return Check("security-group", False, f"{side}: no rule admits any of {traffic.label}")


def acl_check(entries: list[Rule], traffic: Traffic, *, whole: bool, acl: str, owner: Ref | None) -> Check:
    """A network ACL: entries in rule-number order, the first that matches decides, then the implicit deny (*)."""
    used = []
    for unit in _units(traffic):
        decided = None
        for entry in entries:
            if not _touches(entry, traffic, unit):
                continue
            if not entry.allow and (whole or _covers(entry, traffic, unit)):
                decided = entry
                break
            if entry.allow and (not whole or _covers(entry, traffic, unit)):
                decided = entry
                break
        if decided is not None and not decided.allow and whole:
            return Check("nacl", False, decided.label, decided.owner)
        if decided is not None and decided.allow and not whole:
            return Check("nacl", True, decided.label, decided.owner)
        if decided is None and whole:
            return Check(
                "nacl", False, f"{acl}: no entry admits {traffic.label}; the implicit deny (*) drops it", owner
            )
        if decided is not None:
            used.append(decided)
    if whole:
        return Check("nacl", True, ", ".join(dict.fromkeys(e.label for e in used)), used[0].owner if used else owner)
    return Check("nacl", False, f"{acl}: no entry admits any of {traffic.label}", owner)
