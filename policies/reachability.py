"""Whether each promised flow can pass (NET-1, NET-3): one evaluator, for the synth gate
(policies/reachability_rules.py) and for the evidence report's NET-1 and NET-3 rows.

A flow is evaluated between every subnet of its source and every subnet of its target, layer by layer: the source's
security groups (egress), the source subnet's network ACL (outbound), the route table (the internet needs a route
to an internet gateway, or to a NAT gateway whose own subnet's ACL and route pass it on; traffic from the internet
enters only a subnet that routes to an internet gateway), the target subnet's ACL (inbound) and the target's
security groups (ingress, by CIDR or by referenced group). ACLs are stateless, so an allowed flow also needs its
replies (TCP to ports 1024-65535) through every ACL on the way back. An allowed flow must pass for ALL of its
addresses and ports; a blocked flow must be stopped, for ANY of them, by each layer it names. Pure functions of the
templates (policies/network_model.py); no aws_cdk import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network
from itertools import product

from policies.network_model import Network, Ref, Route, SecurityGroup, Subnet, Template
from policies.network_reading import read_networks
from policies.reachability_flows import Endpoint, Flow, promised_flows
from policies.rule_matching import Check, Traffic, acl_check, group_check

INTERNET = IPv4Network("0.0.0.0/0")
EPHEMERAL = (1024, 65535)
PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17}
NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class Place:
    """Where one end of a flow sits: a subnet and the groups it wears, or addresses outside the VPC."""

    label: str
    addresses: tuple[IPv4Network, ...]
    subnet: Subnet | None = None
    groups: tuple[SecurityGroup, ...] = ()
    gateway_endpoint: bool = False


@dataclass(frozen=True)
class Verdict:
    flow: Flow
    vpc: Ref
    status: str  # "allowed", "blocked" or "not applicable"
    ok: bool  # the status is what the flow table expects
    summary: str
    owner: Ref | None  # the resource the summary names (for findings and evidence rows)
    path: tuple[Check, ...] = ()
    ports: tuple[tuple[int, int], ...] = ()  # the flow's port ranges in this network (its database port known)

    @property
    def port_text(self) -> str:
        return ",".join(f"{low}" if low == high else f"{low}-{high}" for low, high in self.ports) or "-"


# ----------------------------------------------------------------------------------------------- layers


def _acl(network: Network, subnet: Subnet, traffic: Traffic, *, egress: bool, whole: bool) -> Check:
    direction = "outbound" if egress else "inbound"
    if subnet.acl is None:
        return Check("nacl", True, f"subnet {subnet.ref[1]} uses the VPC's default network ACL (admits all)")
    entries = network.entries(subnet.acl, egress=egress)
    return acl_check(entries, traffic, whole=whole, acl=f"NACL {subnet.acl[1]} ({direction})", owner=subnet.acl)


def _best_route(network: Network, subnet: Subnet, addresses: Iterable[IPv4Network], whole: bool) -> Route | None:
    """The most specific route of the subnet's table that matches the addresses (all of them, or any)."""
    routes = network.routes.get(subnet.route_table, []) if subnet.route_table else []
    nets = list(addresses)
    fits = [
        r
        for r in routes
        if (all(n.subnet_of(r.destination) for n in nets) if whole else any(n.overlaps(r.destination) for n in nets))
    ]
    return max(fits, key=lambda r: r.destination.prefixlen) if fits else None


def _route_check(route: Route) -> Check:
    return Check(
        "route",
        route.target in ("internet gateway", "NAT gateway"),
        f"route {route.ref[1]} to {route.target}",
        route.ref,
    )


def _routes(network: Network, src: Place, dst: Place, traffic: Traffic, whole: bool) -> list[Check]:
    """The route layer, and for a NAT gateway the ACL and route of its own subnet."""
    if src.subnet is not None and dst.subnet is not None:
        return [Check("route", True, f"local route of VPC {network.vpc[1]}", network.vpc)]
    if src.subnet is not None and dst.gateway_endpoint:
        return [_gateway_endpoint_route(network, src.subnet)]
    inside = src.subnet or dst.subnet
    assert inside is not None
    outside = dst if src.subnet is not None else src
    route = _best_route(network, inside, outside.addresses, whole)
    if route is None:
        table = inside.route_table
        name = table[1] if table else "(main)"
        return [Check("route", False, f"route table {name} has no route to or from {outside.label}", table)]
    found = _route_check(route)
    if route.target != "NAT gateway":
        return [found]
    if dst.subnet is not None:  # nothing outside can open a connection through a NAT gateway
        return [Check("route", False, f"{found.rule}: nothing outside can open a connection in", route.ref)]
    return [found, *_through_nat(network, route, inside, outside, traffic, whole=whole)]


def _gateway_endpoint_route(network: Network, subnet: Subnet) -> Check:
    table = subnet.route_table
    name = table[1] if table else "(main)"
    endpoint = next((e for e, tables in network.gateway_endpoints.items() if table in tables), None)
    if endpoint is None:
        return Check("route", False, f"route table {name} has no route to the S3 gateway endpoint", table)
    return Check("route", True, f"gateway endpoint {endpoint[1]} in route table {name}", endpoint)


def _through_nat(
    network: Network, route: Route, inside: Subnet, outside: Place, traffic: Traffic, *, whole: bool
) -> list[Check]:
    """A NAT gateway's own subnet: its ACL in from the source and out to the internet, its route to an internet
    gateway, and (for an allowed flow) the replies through its ACL again."""
    nat = network.subnets.get(route.nat_subnet) if route.nat_subnet else None
    if nat is None:
        return [Check("route", False, f"route {route.ref[1]}: its NAT gateway's subnet is not in this VPC", route.ref)]
    onward_traffic = Traffic(traffic.label, outside.addresses, frozenset(), traffic.protocol, traffic.ports)
    from_source = Traffic(traffic.label, (inside.cidr,), frozenset(), traffic.protocol, traffic.ports)
    checks = [_acl(network, nat, from_source, egress=False, whole=whole)]
    checks.append(_acl(network, nat, onward_traffic, egress=True, whole=whole))
    onward = _best_route(network, nat, outside.addresses, whole)
    if onward is None or onward.target != "internet gateway":
        checks.append(Check("route", False, f"NAT subnet {nat.ref[1]} has no route to an internet gateway", nat.ref))
    else:
        checks.append(_route_check(onward))
    if whole:  # the replies come back through the NAT gateway's subnet
        checks.append(_acl(network, nat, _with(onward_traffic, (EPHEMERAL,)), egress=False, whole=True))
        checks.append(_acl(network, nat, _with(from_source, (EPHEMERAL,)), egress=True, whole=True))
    return checks


def _with(traffic: Traffic, ports: tuple[tuple[int, int], ...]) -> Traffic:
    return Traffic(
        f"replies on tcp {ports[0][0]}-{ports[0][1]}", traffic.addresses, frozenset(), traffic.protocol, ports
    )


def path_checks(
    network: Network, flow: Flow, src: Place, dst: Place, ports: tuple[tuple[int, int], ...]
) -> list[Check]:
    """Every check on the way from `src` to `dst` (and back, for an allowed flow), in the order a packet meets them."""
    whole = flow.expect == "allowed"
    protocol = PROTOCOL_NUMBERS[flow.protocol]
    text = ",".join(f"{low}" if low == high else f"{low}-{high}" for low, high in ports)  # as Verdict.port_text
    to_dst = Traffic(f"{flow.protocol} {text} to {dst.label}", dst.addresses, _refs(dst), protocol, ports)
    from_src = Traffic(f"{flow.protocol} {text} from {src.label}", src.addresses, _refs(src), protocol, ports)
    crosses = src.subnet is None or dst.subnet is None or src.subnet.ref != dst.subnet.ref
    checks = []
    if src.groups:
        egress = [rule for group in src.groups for rule in group.egress]
        checks.append(group_check(egress, to_dst, whole=whole, side=f"egress of {src.label}"))
    if src.subnet is not None and crosses:
        checks.append(_acl(network, src.subnet, to_dst, egress=True, whole=whole))
    checks += _routes(network, src, dst, to_dst, whole)
    if dst.subnet is not None and crosses:
        checks.append(_acl(network, dst.subnet, from_src, egress=False, whole=whole))
    if dst.groups:
        ingress = [rule for group in dst.groups for rule in group.ingress]
        checks.append(group_check(ingress, from_src, whole=whole, side=f"ingress of {dst.label}"))
    if whole and crosses:
        if dst.subnet is not None:
            checks.append(_acl(network, dst.subnet, _with(from_src, (EPHEMERAL,)), egress=True, whole=True))
        if src.subnet is not None:
            checks.append(_acl(network, src.subnet, _with(to_dst, (EPHEMERAL,)), egress=False, whole=True))
    return checks


def _refs(place: Place) -> frozenset[Ref]:
    return frozenset(group.ref for group in place.groups)


# ----------------------------------------------------------------------------------------------- places and verdicts


def places(network: Network, endpoint: Endpoint) -> list[Place]:
    """Where `endpoint` sits in `network`; empty when the network has no such thing (the flow does not apply)."""
    internet = tuple(INTERNET.address_exclude(network.cidr))
    if endpoint.place == "internet":
        return [Place("the internet", internet)]
    if endpoint.place == "admin-networks":
        return [Place("the admin networks", tuple(network.admin_networks))] if network.admin_networks else []
    if endpoint.place == "s3-gateway-endpoint":
        return [Place("the S3 gateway endpoint", internet, gateway_endpoint=True)] if network.gateway_endpoints else []
    found = []
    if endpoint.host is not None:
        for host in network.hosts:
            groups = tuple(network.groups[g] for g in host.groups if g in network.groups)
            if host.kind != endpoint.host or (endpoint.group and all(g.role != endpoint.group for g in groups)):
                continue
            for subnet in (network.subnets[s] for s in host.subnets if s in network.subnets):
                found.append(Place(f"{host.kind} {host.ref[1]} in {subnet.ref[1]}", (subnet.cidr,), subnet, groups))
        return found
    groups = tuple(g for g in network.groups.values() if g.role == endpoint.group) if endpoint.group else ()
    if endpoint.group and not groups:
        return []
    for subnet in network.subnets.values():
        if subnet.tier == endpoint.tier:
            found.append(Place(f"{endpoint} in {subnet.ref[1]}", (subnet.cidr,), subnet, groups))
    return found


def evaluate_flow(network: Network, flow: Flow) -> Verdict:
    """The flow's verdict in this network: what it is, whether that is what the flow table expects, and why."""
    applies = {"always": True, "with-edge": network.has_edge, "without-edge": not network.has_edge}[flow.applies]
    sources, targets = places(network, flow.source), places(network, flow.target)
    ports = flow.port_ranges(network.database_port)
    if not applies:
        edge = "has an" if network.has_edge else "has no"
        return Verdict(flow, network.vpc, NOT_APPLICABLE, True, f"{NOT_APPLICABLE}: the VPC {edge} edge", None)
    if not (sources and targets and ports):
        missing = flow.source if not sources else flow.target if not targets else "database port"
        return Verdict(flow, network.vpc, NOT_APPLICABLE, True, f"{NOT_APPLICABLE}: no {missing} here", None)
    first: list[Check] = []
    for src, dst in product(sources, targets):
        checks = path_checks(network, flow, src, dst, ports)
        first = first or checks
        if flow.expect == "allowed":
            blocked = next((c for c in checks if not c.admits), None)
            if blocked is not None:
                summary = f"blocked by {blocked.rule}"
                return Verdict(flow, network.vpc, "blocked", False, summary, blocked.owner, tuple(checks), ports)
            continue
        for layer in flow.blocked_by:
            in_layer = [c for c in checks if c.layer == layer]
            if not any(not c.admits for c in in_layer):
                admitted = "; ".join(c.rule for c in in_layer) or f"no {layer} on this path"
                owner = next((c.owner for c in in_layer if c.owner), None)
                summary = f"{layer} must block it from {src.label} to {dst.label}, but admits it: {admitted}"
                status = "allowed" if all(c.admits for c in checks) else "blocked"  # by other layers, if at all
                return Verdict(flow, network.vpc, status, False, summary, owner, tuple(checks), ports)
    if flow.expect == "allowed":
        # the row belongs where the target admits it: its security group rule (or the last rule on the way)
        admitted_by = [c.owner for c in first if c.owner and c.layer == "security-group"] or [
            c.owner for c in first if c.owner
        ]
        summary = "allowed: " + "; ".join(c.rule for c in first)
        return Verdict(
            flow, network.vpc, "allowed", True, summary, admitted_by[-1] if admitted_by else None, tuple(first), ports
        )
    blocking = [next(c for c in first if c.layer == layer and not c.admits) for layer in flow.blocked_by]
    summary = "blocked by " + "; and by ".join(c.rule for c in blocking)
    return Verdict(flow, network.vpc, "blocked", True, summary, blocking[0].owner, tuple(first), ports)


def evaluate(templates: Mapping[str, Template], flows: Iterable[Flow] | None = None) -> list[Verdict]:
    """Every flow of the table in every VPC of the templates."""
    table = tuple(flows) if flows is not None else promised_flows()
    return [evaluate_flow(network, flow) for network in read_networks(templates) for flow in table]
