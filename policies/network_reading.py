"""Read the networks of an app from its synthesized templates (NET-1, NET-3): one per VPC, with what sits in it.

Templates are keyed by any name (a template path for the gate, a stack name for the evidence report); references
across stacks (Fn::ImportValue of another template's export) are resolved, so a load balancer in the edge stack is
placed in the network stack's subnets. No aws_cdk import: the evidence report reads it too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from ipaddress import IPv4Network
from typing import Any

from config.limits import SG_ROLE_TAG, TIER_TAG
from policies.network_model import (
    REACHABILITY_METADATA,
    Host,
    Network,
    Ref,
    Route,
    Rule,
    SecurityGroup,
    Subnet,
    Template,
)

ALL_PORTS = (0, 65535)
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "-1": -1, "all": -1}


class Resolver:
    """Refs, GetAtts and cross-stack imports, resolved to the (template key, logical id) they name."""

    def __init__(self, templates: Mapping[str, Template]) -> None:
        self.templates = templates
        self.exports: dict[str, tuple[str, Any]] = {}
        for key, template in templates.items():
            for output in (template.get("Outputs") or {}).values():
                name = (output.get("Export") or {}).get("Name")
                if isinstance(name, str):
                    self.exports[name] = (key, output.get("Value"))

    def resources(self, *types: str) -> Iterator[tuple[Ref, dict[str, Any]]]:
        for key, template in self.templates.items():
            for logical_id, resource in (template.get("Resources") or {}).items():
                if resource.get("Type") in types:
                    yield (key, logical_id), resource.get("Properties") or {}

    def type_of(self, ref: Ref) -> str | None:
        resource = (self.templates[ref[0]].get("Resources") or {}).get(ref[1])
        return resource.get("Type") if resource else None

    def properties(self, ref: Ref) -> dict[str, Any]:
        return ((self.templates[ref[0]].get("Resources") or {}).get(ref[1]) or {}).get("Properties") or {}

    def resolve(self, key: str, value: Any) -> Ref | None:
        if not isinstance(value, dict):
            return None
        if isinstance(value.get("Ref"), str):
            target = value["Ref"]
        elif "Fn::GetAtt" in value:
            attribute = value["Fn::GetAtt"]
            target = attribute[0] if isinstance(attribute, list) else str(attribute).split(".")[0]
        elif isinstance(value.get("Fn::ImportValue"), str) and value["Fn::ImportValue"] in self.exports:
            producer, exported = self.exports[value["Fn::ImportValue"]]
            return self.resolve(producer, exported)
        else:
            return None
        return (key, target) if target in (self.templates[key].get("Resources") or {}) else None

    def resolve_all(self, key: str, values: Any) -> tuple[Ref, ...]:
        found = (self.resolve(key, value) for value in (values if isinstance(values, list) else [values]))
        return tuple(ref for ref in found if ref is not None)


def tags_of(properties: Mapping[str, Any]) -> dict[str, str]:
    tags = properties.get("Tags") or []
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t.get("Key")): str(t.get("Value")) for t in tags if isinstance(t, dict)}


def _cidr(value: Any) -> IPv4Network | None:
    try:
        return IPv4Network(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _protocol(value: Any) -> int:
    text = str(value).lower()
    return PROTOCOLS.get(text, int(text) if text.lstrip("-").isdigit() else -2)


def _acl_entry(ref: Ref, acl: Ref, p: Mapping[str, Any]) -> Rule:
    protocol = _protocol(p.get("Protocol"))
    port_range = p.get("PortRange") or {}
    ports = (int(port_range.get("From", 0)), int(port_range.get("To", 65535))) if port_range else ALL_PORTS
    direction = "outbound" if p.get("Egress") is True else "inbound"
    return Rule(
        owner=ref,
        label=f"NACL {acl[1]} entry #{p.get('RuleNumber')} ({direction})",
        protocol=protocol,
        ports=ports if protocol in (6, 17) else ALL_PORTS,
        cidr=_cidr(p.get("CidrBlock")),
        allow=str(p.get("RuleAction")).lower() == "allow",
        number=int(p.get("RuleNumber", 0)),
        egress=p.get("Egress") is True,
    )


def _group_rule(resolver: Resolver, owner: Ref, label: str, p: Mapping[str, Any], *, egress: bool) -> Rule:
    protocol = _protocol(p.get("IpProtocol"))
    ports = (int(p.get("FromPort", 0)), int(p.get("ToPort", 65535))) if protocol in (6, 17) else ALL_PORTS
    peer = p.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId")
    return Rule(
        owner=owner,
        label=label,
        protocol=protocol,
        ports=ports,
        cidr=_cidr(p.get("CidrIp")),
        peer_group=resolver.resolve(owner[0], peer) if peer is not None else None,
        egress=egress,
    )


# Host type -> (kind, property path of its security groups, property path of its subnets).
HOST_TYPES: dict[str, tuple[str, str, str]] = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("load-balancer", "SecurityGroups", "Subnets"),
    "AWS::ECS::Service": (
        "service",
        "NetworkConfiguration.AwsvpcConfiguration.SecurityGroups",
        "NetworkConfiguration.AwsvpcConfiguration.Subnets",
    ),
    "AWS::RDS::DBInstance": ("database", "VPCSecurityGroups", "DBSubnetGroupName"),
    "AWS::EC2::Instance": ("instance", "SecurityGroupIds", "SubnetId"),
}


def _at(properties: Mapping[str, Any], path: str) -> Any:
    value: Any = properties
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _hosts(resolver: Resolver) -> Iterator[Host]:
    for resource_type, (kind, groups_path, subnets_path) in HOST_TYPES.items():
        for ref, p in resolver.resources(resource_type):
            groups, subnets = _at(p, groups_path), _at(p, subnets_path)
            if kind == "instance" and p.get("NetworkInterfaces"):
                interface = p["NetworkInterfaces"][0]
                groups, subnets = interface.get("GroupSet"), interface.get("SubnetId")
            if kind == "load-balancer" and not subnets:  # placed by subnet mappings instead
                subnets = [mapping.get("SubnetId") for mapping in p.get("SubnetMappings") or []]
            subnet_refs = resolver.resolve_all(ref[0], subnets or [])
            if kind == "database":  # the subnet group names the subnets
                subnet_refs = tuple(
                    subnet
                    for group in subnet_refs
                    for subnet in resolver.resolve_all(group[0], resolver.properties(group).get("SubnetIds") or [])
                )
            yield Host(
                ref=ref,
                kind=kind,
                groups=resolver.resolve_all(ref[0], groups or []),
                subnets=subnet_refs,
                internet_facing=kind == "load-balancer" and p.get("Scheme", "internet-facing") == "internet-facing",
            )


def read_networks(templates: Mapping[str, Template]) -> list[Network]:
    """Every VPC of the templates with what sits in it; resources whose VPC cannot be resolved are left out."""
    reader = _Reader(Resolver(templates))
    reader.subnets()
    reader.acl_entries()
    reader.routes()
    reader.gateway_endpoints()
    reader.groups()
    reader.hosts()
    return list(reader.networks.values())


class _Reader:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.networks: dict[Ref, Network] = {}
        self.subnet_network: dict[Ref, Network] = {}
        for ref, p in resolver.resources("AWS::EC2::VPC"):
            cidr = _cidr(p.get("CidrBlock"))
            if cidr is None:
                continue
            metadata = (resolver.templates[ref[0]].get("Metadata") or {}).get(REACHABILITY_METADATA) or {}
            admin = [c for c in (_cidr(v) for v in metadata.get("AdminNetworks", [])) if c is not None]
            port = str(metadata.get("DatabasePort"))
            self.networks[ref] = Network(ref, cidr, admin, int(port) if port.isdigit() else None)

    def network_of(self, key: str, vpc_value: Any) -> Network | None:
        vpc = self.resolver.resolve(key, vpc_value)
        return self.networks.get(vpc) if vpc else None

    def network_of_resource(self, ref: Ref | None) -> Network | None:
        """The network of a resource that names its VPC (a network ACL, a route table)."""
        return self.network_of(ref[0], self.resolver.properties(ref).get("VpcId")) if ref else None

    def associations(self, resource_type: str, target: str) -> dict[Ref, Ref]:
        found = {}
        for ref, p in self.resolver.resources(resource_type):
            subnet, other = (
                self.resolver.resolve(ref[0], p.get("SubnetId")),
                self.resolver.resolve(ref[0], p.get(target)),
            )
            if subnet and other:
                found[subnet] = other
        return found

    def subnets(self) -> None:
        acl_of = self.associations("AWS::EC2::SubnetNetworkAclAssociation", "NetworkAclId")
        table_of = self.associations("AWS::EC2::SubnetRouteTableAssociation", "RouteTableId")
        for ref, p in self.resolver.resources("AWS::EC2::Subnet"):
            network, cidr = self.network_of(ref[0], p.get("VpcId")), _cidr(p.get("CidrBlock"))
            if network is not None and cidr is not None:
                tier = tags_of(p).get(TIER_TAG)
                network.subnets[ref] = Subnet(ref, cidr, tier, acl_of.get(ref), table_of.get(ref))
                self.subnet_network[ref] = network

    def acl_entries(self) -> None:
        for ref, p in self.resolver.resources("AWS::EC2::NetworkAclEntry"):
            acl = self.resolver.resolve(ref[0], p.get("NetworkAclId"))
            network = self.network_of_resource(acl)
            if acl and network is not None:
                network.acl_entries.setdefault(acl, []).append(_acl_entry(ref, acl, p))

    def routes(self) -> None:
        resolve = self.resolver.resolve
        nat_subnets = {
            ref: subnet
            for ref, p in self.resolver.resources("AWS::EC2::NatGateway")
            if (subnet := resolve(ref[0], p.get("SubnetId")))
        }
        for ref, p in self.resolver.resources("AWS::EC2::Route"):
            table, destination = resolve(ref[0], p.get("RouteTableId")), _cidr(p.get("DestinationCidrBlock"))
            network = self.network_of_resource(table)
            if table is None or network is None or destination is None:
                continue
            gateway, nat = resolve(ref[0], p.get("GatewayId")), resolve(ref[0], p.get("NatGatewayId"))
            named = str(p.get("GatewayId", "")).startswith("igw-")  # an existing gateway, by ID
            if named or (gateway and self.resolver.type_of(gateway) == "AWS::EC2::InternetGateway"):
                route = Route(ref, destination, "internet gateway")
            elif nat:
                route = Route(ref, destination, "NAT gateway", nat_subnets.get(nat))
            else:
                route = Route(ref, destination, next((k for k in p if k.endswith("Id") and k != "RouteTableId"), "?"))
            network.routes.setdefault(table, []).append(route)

    def gateway_endpoints(self) -> None:
        for ref, p in self.resolver.resources("AWS::EC2::VPCEndpoint"):
            network = self.network_of(ref[0], p.get("VpcId"))
            if network is not None and p.get("VpcEndpointType", "Gateway") == "Gateway":
                tables = self.resolver.resolve_all(ref[0], p.get("RouteTableIds") or [])
                network.gateway_endpoints[ref] = frozenset(tables)

    def groups(self) -> None:
        by_ref: dict[Ref, SecurityGroup] = {}
        for ref, p in self.resolver.resources("AWS::EC2::SecurityGroup"):
            network = self.network_of(ref[0], p.get("VpcId"))
            if network is not None:
                network.groups[ref] = by_ref[ref] = _group(self.resolver, ref, p)
        for resource_type, egress in (
            ("AWS::EC2::SecurityGroupIngress", False),
            ("AWS::EC2::SecurityGroupEgress", True),
        ):
            kind = resource_type.rsplit("::", 1)[1]
            for ref, p in self.resolver.resources(resource_type):
                group = by_ref.get(self.resolver.resolve(ref[0], p.get("GroupId")) or ("", ""))
                if group is not None:
                    rule = _group_rule(self.resolver, ref, f"{kind} {ref[1]}", p, egress=egress)
                    (group.egress if egress else group.ingress).append(rule)

    def hosts(self) -> None:
        for host in _hosts(self.resolver):
            network = next((self.subnet_network[s] for s in host.subnets if s in self.subnet_network), None)
            if network is not None:
                network.hosts.append(host)


def _group(resolver: Resolver, ref: Ref, p: Mapping[str, Any]) -> SecurityGroup:
    """A security group with its inline rules; AWS::EC2::SecurityGroup: without SecurityGroupEgress, EC2 keeps its
    default rule that allows all outbound traffic."""
    group = SecurityGroup(ref, tags_of(p).get(SG_ROLE_TAG))
    for index, rule in enumerate(p.get("SecurityGroupIngress") or []):
        label = f"security group {ref[1]} SecurityGroupIngress[{index}]"
        group.ingress.append(_group_rule(resolver, ref, label, rule, egress=False))
    if "SecurityGroupEgress" not in p:
        label = f"security group {ref[1]} default egress (no SecurityGroupEgress: allow all)"
        group.egress.append(Rule(ref, label, -1, ALL_PORTS, IPv4Network("0.0.0.0/0"), egress=True))
    for index, rule in enumerate(p.get("SecurityGroupEgress") or []):
        label = f"security group {ref[1]} SecurityGroupEgress[{index}]"
        group.egress.append(_group_rule(resolver, ref, label, rule, egress=True))
    return group
