"""Security widening in firewalls (issue 13, rule 2): security group and network ACL rules added or opened (a wider
source, a wider port range, all protocols), and network ACL denies removed. Security groups by CIDR guard traffic
from outside (NET-3), by reference the tiers from each other (NET-1); ACLs are the tier firewalls (NET-1); SSH from
a network is admin access (ACC-3).

Network ACL entries are compared as sets per ACL and direction; a change of rule order alone is not judged.
A rule that moves to other ports of no greater width (same group, direction, protocol and peer: a database port
change) is one "moved" finding per rule pair, closed and opened together, not a widening.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import Any, Final

from diff_verdict.controls import control
from diff_verdict.findings import Finding
from diff_verdict.policy_documents import text

Resources = dict[str, dict[str, Any]]
PROTOCOLS: Final = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
ADMIN_PORTS: Final = (22, 3389)


@dataclass(frozen=True)
class Rule:
    kind: str  # "sg" or "acl"
    group: str  # the security group or ACL it belongs to
    direction: str  # ingress | egress
    protocol: str
    ports: tuple[int, int] | str  # inclusive range, or the template text when not a literal
    peer: str  # "0.0.0.0/0", "sg:<ref>", "pl:<ref>", or template text
    action: str  # allow | deny (security groups only allow)
    where: str  # logical ID that defines it
    where_type: str

    def covers(self, other: Rule) -> bool:
        """Every packet `other` matches, this rule matches too."""
        if (self.kind, self.group, self.direction, self.action) != (
            other.kind,
            other.group,
            other.direction,
            other.action,
        ):
            return False
        if self.protocol not in ("-1", other.protocol):
            return False
        return _ports_cover(self, other) and _peer_covers(self.peer, other.peer)

    def describe(self) -> str:
        ports = "all ports" if self.protocol == "-1" else _show_ports(self.ports)
        word = "from" if self.direction == "ingress" else "to"
        action = f"{self.action} " if self.kind == "acl" else ""
        return f"{action}{self.direction} {_protocol_name(self.protocol)} {ports} {word} {self.peer}"


def _protocol_name(protocol: str) -> str:
    return "all protocols" if protocol == "-1" else protocol


def _show_ports(ports: tuple[int, int] | str) -> str:
    if isinstance(ports, str):
        return f"ports {ports}"
    low, high = ports
    return f"port {low}" if low == high else f"ports {low}-{high}"


def _ports_cover(wide: Rule, narrow: Rule) -> bool:
    if wide.protocol == "-1":
        return True
    if isinstance(wide.ports, tuple) and isinstance(narrow.ports, tuple):
        return wide.ports[0] <= narrow.ports[0] and narrow.ports[1] <= wide.ports[1]
    return wide.ports == narrow.ports


def _network(peer: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(peer, strict=False)
    except ValueError:
        return None


def _peer_covers(wide: str, narrow: str) -> bool:
    if wide == narrow:
        return True
    wide_net, narrow_net = _network(wide), _network(narrow)
    if wide_net is None or narrow_net is None or wide_net.version != narrow_net.version:
        return False
    return narrow_net.subnet_of(wide_net)  # type: ignore[arg-type]


def _target(value: Any) -> str:
    """A group reference by its logical ID where the template names one, else its text."""
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            return value["Ref"]
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute:
            return str(attribute[0])
    return text(value)


def _protocol(value: Any) -> str:
    name = text(value).lower()
    return PROTOCOLS.get(name, name)


def _port_range(protocol: str, low: Any, high: Any) -> tuple[int, int] | str:
    if protocol == "-1":
        return (0, 65535)
    if (
        isinstance(low, (int, str))
        and isinstance(high, (int, str))
        and str(low).lstrip("-").isdigit()
        and str(high).lstrip("-").isdigit()
    ):
        return (0, 65535) if int(low) == -1 else (int(low), int(high))
    return f"{text(low)}-{text(high)}"


def _sg_rule(group: str, direction: str, props: dict[str, Any], where: str, where_type: str) -> Rule:
    protocol = _protocol(props.get("IpProtocol", "-1"))
    ports = _port_range(protocol, props.get("FromPort", -1), props.get("ToPort", -1))
    peer = "?"
    for key, prefix in (
        ("CidrIp", ""),
        ("CidrIpv6", ""),
        ("SourceSecurityGroupId", "sg:"),
        ("DestinationSecurityGroupId", "sg:"),
        ("SourcePrefixListId", "pl:"),
        ("DestinationPrefixListId", "pl:"),
        ("SourceSecurityGroupName", "sg:"),
    ):
        if key in props:
            peer = prefix + _target(props[key]) if prefix else text(props[key])
            break
    return Rule("sg", group, direction, protocol, ports, peer, "allow", where, where_type)


def firewall_rules(resources: Resources) -> list[Rule]:
    rules = []
    for logical_id, resource in resources.items():
        kind, props = resource.get("Type"), resource.get("Properties") or {}
        if kind == "AWS::EC2::SecurityGroup":
            for direction, key in (("ingress", "SecurityGroupIngress"), ("egress", "SecurityGroupEgress")):
                for entry in props.get(key) or []:
                    rules.append(_sg_rule(logical_id, direction, entry, logical_id, str(kind)))
            if "SecurityGroupEgress" not in props:  # EC2 then keeps its default rule: all traffic out
                rules.append(
                    Rule("sg", logical_id, "egress", "-1", (0, 65535), "0.0.0.0/0", "allow", logical_id, str(kind))
                )
        elif kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            direction = "ingress" if kind.endswith("Ingress") else "egress"
            rules.append(
                _sg_rule(_target(props.get("GroupId", props.get("GroupName"))), direction, props, logical_id, kind)
            )
        elif kind == "AWS::EC2::NetworkAclEntry":
            rules.append(_acl_rule(logical_id, props))
    return rules


def _acl_rule(logical_id: str, props: dict[str, Any]) -> Rule:
    protocol = _protocol(props.get("Protocol", "-1"))
    port_range = props.get("PortRange") or {}
    ports = _port_range(protocol, port_range.get("From", -1), port_range.get("To", -1)) if port_range else (0, 65535)
    direction = "egress" if props.get("Egress") in (True, "true") else "ingress"
    peer = text(props.get("CidrBlock", props.get("Ipv6CidrBlock", "?")))
    action = str(props.get("RuleAction", "allow")).lower()
    return Rule(
        "acl",
        _target(props.get("NetworkAclId")),
        direction,
        protocol,
        ports,
        peer,
        action,
        logical_id,
        "AWS::EC2::NetworkAclEntry",
    )


@dataclass(frozen=True)
class FirewallChanges:
    findings: list[Finding]
    moved_from: frozenset[str]  # logical IDs of base rules whose removal a "moved" finding already reports


def firewall_widenings(stack: str, base: Resources, head: Resources) -> FirewallChanges:
    """Rules in head that no base rule covers (a widening, or a move when a closed rule pairs with it); ACL denies in
    base that no head deny covers."""
    base_rules, head_rules = firewall_rules(base), firewall_rules(head)
    closed = [b for b in base_rules if b.action == "allow" and not any(h.covers(b) for h in head_rules)]
    found, moved_from = [], set()
    for rule in head_rules:
        if rule.action == "allow" and not any(b.covers(rule) for b in base_rules):
            before = next((b for b in closed if _moved(b, rule)), None)
            if before is not None:
                closed.remove(before)
                moved_from.add(before.where)
                found.append(_move(stack, before, rule))
                continue
            replaced = [b for b in base_rules if not any(_same(b, h) for h in head_rules)]
            found.append(_finding(stack, rule, f"{rule.describe()} ({_was(rule, replaced)})"))
    for rule in base_rules:
        if rule.action == "deny" and not any(h.covers(rule) for h in head_rules):
            found.append(_finding(stack, rule, f"{rule.describe()} removed or narrowed"))
    return FirewallChanges(found, frozenset(moved_from))


def _width(ports: tuple[int, int]) -> int:
    return ports[1] - ports[0]


def _moved(before: Rule, after: Rule) -> bool:
    """The same rule on other ports, no wider than before: closed one port, opened another."""
    if replace(before, ports=after.ports, where="", where_type="") != replace(after, where="", where_type=""):
        return False
    if not (isinstance(before.ports, tuple) and isinstance(after.ports, tuple)):
        return False
    return before.ports != after.ports and _width(after.ports) <= _width(before.ports)


def _move(stack: str, before: Rule, after: Rule) -> Finding:
    detail = f"closed {before.describe()}, opened {_protocol_name(after.protocol)} {_show_ports(after.ports)}"
    return replace(_finding(stack, after, detail), severity="moved", change="port moved")


def _same(one: Rule, other: Rule) -> bool:
    return replace(one, where="", where_type="") == replace(other, where="", where_type="")


def _was(rule: Rule, base_rules: list[Rule]) -> str:
    """The base rule this one opens up (same group, gone from head), or "new rule"."""
    same_group = [
        b
        for b in base_rules
        if (b.kind, b.group, b.direction, b.action) == (rule.kind, rule.group, rule.direction, rule.action)
    ]
    for b in same_group:
        if b.protocol == rule.protocol and b.ports == rule.ports:
            return f"was {b.peer}"
    for b in same_group:
        if b.peer == rule.peer:
            return f"was {_protocol_name(b.protocol)} {_show_ports(b.ports)}"
    return "new rule"


def _finding(stack: str, rule: Rule, detail: str) -> Finding:
    controls: tuple[str, ...]
    if rule.kind == "acl":
        controls = (control("nacl"),)
    elif rule.direction == "egress":
        controls = (control("sg_egress"),)
    elif rule.peer.startswith(("sg:", "pl:")):
        controls = (control("sg_by_reference"),)
    else:
        controls = (control("sg_ingress_cidr"),)
    if rule.direction == "ingress" and rule.kind == "sg" and _opens_admin_port(rule):
        controls += (control("admin_access"),)
    return Finding("widening", stack, rule.where, rule.where_type, "opened", detail, controls)


def _opens_admin_port(rule: Rule) -> bool:
    if rule.protocol not in ("-1", "tcp") or not isinstance(rule.ports, tuple):
        return False
    return any(rule.ports[0] <= port <= rule.ports[1] for port in ADMIN_PORTS)
