"""Network stack (issue 3): NET-1, NET-3, LOC-1, HA-1, ACC-4, read from the synthesized templates."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template

from config.limits import MAX_ADMIN_CIDRS, NACL_RULES_PER_DIRECTION
from constructs.private_endpoints import AWS_OWNED_READS
from constructs.role_security_groups import RoleSecurityGroups
from constructs.tier_firewall import TierFirewall
from constructs.tiered_vpc import TieredVpc
from tests.probes import nag_findings, probe_vpc, project_findings, tiny_stack

TIERS = ("public", "application", "data")


def resources(template: Template, type_name: str) -> dict[str, Any]:
    return dict(template.find_resources(type_name))


def tag(resource: dict[str, Any], key: str) -> str | None:
    for item in resource["Properties"].get("Tags", []):
        if item["Key"] == key:
            return str(item["Value"])
    return None


def subnets_by_tier(template: Template) -> dict[str, dict[str, Any]]:
    subnets = resources(template, "AWS::EC2::Subnet")
    return {tier: {k: v for k, v in subnets.items() if tag(v, "tier") == tier} for tier in TIERS}


def test_loc1_vpc_uses_the_configured_cidr(prod_network: Template) -> None:
    prod_network.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.10.0.0/16"})


@pytest.mark.parametrize("tier", TIERS)
def test_net1_each_tier_has_one_subnet_in_each_of_three_zones(prod_network: Template, tier: str) -> None:
    subnets = subnets_by_tier(prod_network)[tier]
    zones = sorted(subnet["Properties"]["AvailabilityZone"] for subnet in subnets.values())
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_net1_no_subnet_assigns_public_ips(prod_network: Template) -> None:
    for subnet in resources(prod_network, "AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


def test_net1_data_tier_route_tables_have_no_routes(prod_network: Template) -> None:
    data_subnets = set(subnets_by_tier(prod_network)["data"])
    associations = resources(prod_network, "AWS::EC2::SubnetRouteTableAssociation").values()
    data_tables = {
        a["Properties"]["RouteTableId"]["Ref"]
        for a in associations
        if a["Properties"]["SubnetId"]["Ref"] in data_subnets
    }
    assert len(data_tables) == 3
    routed_tables = {
        route["Properties"]["RouteTableId"]["Ref"] for route in resources(prod_network, "AWS::EC2::Route").values()
    }
    assert data_tables.isdisjoint(routed_tables)


def test_net1_application_tier_leaves_only_through_nat_and_public_tier_through_igw(prod_network: Template) -> None:
    routes = resources(prod_network, "AWS::EC2::Route").values()
    assert sum("NatGatewayId" in route["Properties"] for route in routes) == 3
    assert sum("GatewayId" in route["Properties"] for route in routes) == 3


def test_ha1_one_nat_gateway_per_zone_in_prod(prod_network: Template) -> None:
    prod_network.resource_count_is("AWS::EC2::NatGateway", 3)


def test_ha1_non_production_may_run_one_nat_gateway(dev_network: Template) -> None:
    dev_network.resource_count_is("AWS::EC2::NatGateway", 1)


def acl_entries(template: Template, tier: str) -> list[dict[str, Any]]:
    acls = resources(template, "AWS::EC2::NetworkAcl")
    acl_id = next(logical_id for logical_id in acls if f"{tier.title()}Acl" in logical_id)
    return [
        entry["Properties"]
        for entry in resources(template, "AWS::EC2::NetworkAclEntry").values()
        if entry["Properties"]["NetworkAclId"] == {"Ref": acl_id}
    ]


@pytest.mark.parametrize("tier", TIERS)
def test_net1_each_tier_has_its_own_acl_on_all_its_subnets(prod_network: Template, tier: str) -> None:
    acls = resources(prod_network, "AWS::EC2::NetworkAcl")
    acl_id = next(logical_id for logical_id in acls if f"{tier.title()}Acl" in logical_id)
    associated = {
        a["Properties"]["SubnetId"]["Ref"]
        for a in resources(prod_network, "AWS::EC2::SubnetNetworkAclAssociation").values()
        if a["Properties"]["NetworkAclId"] == {"Ref": acl_id}
    }
    assert associated == set(subnets_by_tier(prod_network)[tier])


def test_net1_data_tier_admits_only_postgres_from_application_and_bastion_subnets(prod_network: Template) -> None:
    subnets = subnets_by_tier(prod_network)
    allowed_sources = {
        s["Properties"]["CidrBlock"] for tier in ("public", "application") for s in subnets[tier].values()
    }
    ingress = [entry for entry in acl_entries(prod_network, "data") if not entry.get("Egress")]
    assert len(ingress) == 6
    for entry in ingress:
        assert entry["RuleAction"] == "allow"
        assert entry["Protocol"] == 6
        assert entry["PortRange"] == {"From": 5433, "To": 5433}
        assert entry["CidrBlock"] in allowed_sources


def test_net1_application_tier_accepts_new_connections_only_from_the_public_tier(prod_network: Template) -> None:
    subnets = subnets_by_tier(prod_network)
    public = {s["Properties"]["CidrBlock"] for s in subnets["public"].values()}
    application = {s["Properties"]["CidrBlock"] for s in subnets["application"].values()}
    for entry in acl_entries(prod_network, "application"):
        if entry.get("Egress"):
            continue
        replies_only = entry.get("PortRange", {}).get("From", 0) >= 1024
        path_mtu = entry["Protocol"] == 1 and entry.get("Icmp") == {"Code": 4, "Type": 3}
        assert entry["CidrBlock"] in public | application or replies_only or path_mtu, entry


def test_net3_acl_rules_are_explicit_and_numbered(prod_network: Template) -> None:
    for tier in TIERS:
        numbers = [(entry.get("Egress", False), entry["RuleNumber"]) for entry in acl_entries(prod_network, tier)]
        assert len(numbers) == len(set(numbers)), f"{tier}: duplicate rule numbers"
        assert all(100 <= number < 700 for _, number in numbers)


def internet_ingress(template: Template, acl_tag: str) -> list[dict[str, Any]]:
    acl_ids = [k for k, v in resources(template, "AWS::EC2::NetworkAcl").items() if acl_tag in k]
    return [
        entry["Properties"]
        for entry in resources(template, "AWS::EC2::NetworkAclEntry").values()
        if not entry["Properties"].get("Egress")
        and entry["Properties"].get("CidrBlock") == "0.0.0.0/0"
        and entry["Properties"]["NetworkAclId"]["Ref"] in acl_ids
    ]


@pytest.mark.parametrize(("acl", "listener"), [("PublicAcl", [(6, 443, 443)]), ("ApplicationAcl", [])])
def test_ha1_acl_admits_every_nat_reply_port_and_path_mtu_discovery(
    prod_network: Template, acl: str, listener: list[tuple[int, int, int]]
) -> None:
    """NAT gateways use source ports 1024-65535: a range with a hole drops some replies (HA-1); ICMP 3/4 is path MTU
    discovery. These are the only entries open to the internet on that ACL, beside the edge's HTTPS listener (NET-3,
    ELB guide: an internet-facing load balancer's subnets admit its listener port from the clients)."""
    entries = internet_ingress(prod_network, acl)
    tcp = [(e["Protocol"], e["PortRange"]["From"], e["PortRange"]["To"]) for e in entries if e["Protocol"] == 6]
    icmp = [(e["Protocol"], e["Icmp"]) for e in entries if e["Protocol"] == 1]
    assert sorted(tcp) == sorted([(6, 1024, 65535), *listener])
    assert icmp == [(1, {"Code": 4, "Type": 3})]
    assert len(entries) == 2 + len(listener)


def test_net3_without_an_edge_the_public_acl_admits_only_replies_from_the_internet(dev_network: Template) -> None:
    """No load balancer, no listener: the public ACL keeps 443 closed to the internet (NET-3)."""
    entries = internet_ingress(dev_network, "PublicAcl")
    ports = {(e["PortRange"]["From"], e["PortRange"]["To"]) for e in entries if e["Protocol"] == 6}
    assert ports == {(1024, 65535)}


def test_net3_edge_replies_leave_the_public_acl_only_to_ephemeral_ports(prod_network: Template) -> None:
    """ELB guide: an internet-facing load balancer's subnets let TCP 1024-65535 out to its clients."""
    acl_ids = [k for k in resources(prod_network, "AWS::EC2::NetworkAcl") if "PublicAcl" in k]
    outbound = [
        entry["Properties"]
        for entry in resources(prod_network, "AWS::EC2::NetworkAclEntry").values()
        if entry["Properties"].get("Egress")
        and entry["Properties"]["NetworkAclId"]["Ref"] in acl_ids
        and entry["Properties"].get("CidrBlock") == "0.0.0.0/0"
    ]
    assert sorted((e["RuleNumber"], e["PortRange"]["From"], e["PortRange"]["To"]) for e in outbound) == [
        (200, 443, 443),
        (600, 1024, 65535),
    ]


def test_net3_no_acl_admits_ssh_from_the_internet_and_rdp_only_as_nat_replies(prod_network: Template) -> None:
    for entry in resources(prod_network, "AWS::EC2::NetworkAclEntry").values():
        properties = entry["Properties"]
        if properties.get("Egress") or properties.get("CidrBlock") != "0.0.0.0/0" or "PortRange" not in properties:
            continue
        low, high = properties["PortRange"]["From"], properties["PortRange"]["To"]
        assert not low <= 22 <= high, properties
        # the reply range (security groups close 3389), or the edge's HTTPS listener
        assert (low, high) in {(1024, 65535), (443, 443)}, properties


def test_net3_control_tower_ssh_rdp_finding_is_acknowledged_only_on_the_reply_entries(prod_network: Template) -> None:
    acknowledged = {
        logical_id
        for logical_id, entry in resources(prod_network, "AWS::EC2::NetworkAclEntry").items()
        for rule in entry.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        if rule["id"] == "cdk-validator-cfnguard::nacl_no_unrestricted_ssh_rdp_check"
    }
    assert len(acknowledged) == 2
    assert all("In200" in logical_id for logical_id in acknowledged)


def security_groups(template: Template) -> dict[str, dict[str, Any]]:
    return {tag(group, "sg-role") or "": group for group in resources(template, "AWS::EC2::SecurityGroup").values()}


def ingress_rules(template: Template, role: str) -> list[dict[str, Any]]:
    groups = resources(template, "AWS::EC2::SecurityGroup")
    logical_id = next(k for k, v in groups.items() if tag(v, "sg-role") == role)
    inline = list(groups[logical_id]["Properties"].get("SecurityGroupIngress", []))
    separate = [
        rule["Properties"]
        for rule in resources(template, "AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [logical_id, "GroupId"]}
    ]
    return inline + separate


@pytest.mark.parametrize("role", ["application", "database"])
def test_net3_internal_groups_admit_only_other_security_groups(prod_network: Template, role: str) -> None:
    rules = ingress_rules(prod_network, role)
    assert rules
    for rule in rules:
        assert "SourceSecurityGroupId" in rule
        assert "CidrIp" not in rule
        assert "CidrIpv6" not in rule


def test_net3_database_admits_application_and_bastion_groups_on_postgres(prod_network: Template) -> None:
    groups = resources(prod_network, "AWS::EC2::SecurityGroup")
    by_role = {tag(v, "sg-role"): k for k, v in groups.items()}
    sources = {rule["SourceSecurityGroupId"]["Fn::GetAtt"][0] for rule in ingress_rules(prod_network, "database")}
    assert sources == {by_role["application"], by_role["bastion"]}
    assert {(rule["FromPort"], rule["ToPort"]) for rule in ingress_rules(prod_network, "database")} == {(5433, 5433)}


def test_acc3_bastion_group_admits_ssh_only_from_admin_cidrs(prod_network: Template) -> None:
    rules = ingress_rules(prod_network, "bastion")
    assert {(rule["CidrIp"], rule["FromPort"], rule["ToPort"]) for rule in rules} == {
        ("203.0.113.0/28", 22, 22),
        ("192.0.2.64/27", 22, 22),
    }


def test_net3_only_the_edge_group_admits_the_internet_and_only_on_443(prod_network: Template) -> None:
    """acme-prod has an edge (issue 14): its load balancer's group admits HTTPS from anywhere, nothing else does."""
    for role in security_groups(prod_network):
        for rule in ingress_rules(prod_network, role):
            if role == "edge":
                assert (rule.get("FromPort"), rule.get("ToPort")) == (443, 443), (role, rule)
                continue
            assert rule.get("CidrIp") != "0.0.0.0/0", (role, rule)
            assert rule.get("CidrIpv6") != "::/0", (role, rule)


def test_net3_without_an_edge_no_security_group_admits_the_internet(dev_network: Template) -> None:
    for role in security_groups(dev_network):
        for rule in ingress_rules(dev_network, role):
            assert rule.get("CidrIp") != "0.0.0.0/0", (role, rule)
            assert rule.get("CidrIpv6") != "::/0", (role, rule)


def test_net3_no_security_group_allows_all_outbound(prod_network: Template) -> None:
    for role, group in security_groups(prod_network).items():
        for rule in group["Properties"].get("SecurityGroupEgress", []):
            assert rule.get("IpProtocol") != "-1", (role, rule)


def test_net3_default_security_group_is_stripped_of_rules(prod_network: Template) -> None:
    prod_network.resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_acc4_flow_log_records_all_traffic_of_the_vpc(prod_network: Template) -> None:
    prod_network.has_resource_properties(
        "AWS::EC2::FlowLog",
        {"ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"},
    )


def test_acc4_flow_log_group_is_encrypted_kept_a_year_and_retained(prod_network: Template) -> None:
    prod_network.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("KeysLogs"), "Arn"]},
                "RetentionInDays": 365,
            },
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_enc3_network_key_rotates_and_is_retained(prod_network: Template) -> None:
    prod_network.has_resource(
        "AWS::KMS::Key", {"Properties": {"EnableKeyRotation": True}, "DeletionPolicy": "RetainExceptOnCreate"}
    )


def test_net3_s3_gateway_endpoint_serves_public_and_application_tiers(prod_network: Template) -> None:
    subnets = subnets_by_tier(prod_network)
    associations = resources(prod_network, "AWS::EC2::SubnetRouteTableAssociation").values()
    tier_of_table = {
        a["Properties"]["RouteTableId"]["Ref"]: tier
        for a in associations
        for tier in TIERS
        if a["Properties"]["SubnetId"]["Ref"] in subnets[tier]
    }
    gateway = next(
        e
        for e in resources(prod_network, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Gateway"
    )
    tiers = sorted(tier_of_table[table["Ref"]] for table in gateway["Properties"]["RouteTableIds"])
    assert tiers == ["application"] * 3 + ["public"] * 3


def service_name(endpoint: dict[str, Any]) -> str:
    name = endpoint["Properties"]["ServiceName"]
    return name if isinstance(name, str) else "".join(part for part in name["Fn::Join"][1] if isinstance(part, str))


@pytest.mark.parametrize(
    "service", ["ssm", "ssmmessages", "ec2messages", "kms", "secretsmanager", "logs", "monitoring"]
)
def test_net3_interface_endpoint_with_private_dns_in_application_tier(prod_network: Template, service: str) -> None:
    application = set(subnets_by_tier(prod_network)["application"])
    endpoints = [
        e["Properties"]
        for e in resources(prod_network, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Interface" and service_name(e).endswith(f".{service}")
    ]
    assert len(endpoints) == 1
    assert endpoints[0]["PrivateDnsEnabled"] is True
    assert {subnet["Ref"] for subnet in endpoints[0]["SubnetIds"]} == application


def endpoint_policies(template: Template) -> dict[str, list[dict[str, Any]]]:
    return {
        service_name(e): e["Properties"]["PolicyDocument"]["Statement"]
        for e in resources(template, "AWS::EC2::VPCEndpoint").values()
    }


@pytest.mark.parametrize(
    ("service", "resources_too"),
    [
        ("s3", True),
        ("kms", True),
        ("secretsmanager", True),
        ("logs", True),
        ("ssm", False),  # serves AWS-owned documents (AWS-StartSSHSession)
        ("ssmmessages", False),
        ("ec2messages", False),
        ("monitoring", False),  # PutMetricData names no resource
    ],
)
def test_net3_every_endpoint_admits_only_this_accounts_principals(
    prod_network: Template, service: str, resources_too: bool
) -> None:
    (statements,) = [v for k, v in endpoint_policies(prod_network).items() if k.endswith(f".{service}")]
    account_only = next(s for s in statements if s.get("Sid") == "OnlyThisAccount")
    expected = {"aws:PrincipalAccount": "111122223333"}
    if resources_too:
        expected["aws:ResourceAccount"] = "111122223333"
    assert account_only["Condition"] == {"StringEquals": expected}
    assert account_only["Effect"] == "Allow"
    others = [s for s in statements if s.get("Sid") != "OnlyThisAccount"]
    assert all(s.get("Sid") in AWS_OWNED_READS for s in others)


def test_net3_s3_endpoint_still_reaches_the_amazon_linux_package_repository(prod_network: Template) -> None:
    """dnf on the bastion fetches al2023-repos-<region>-de612dc2 unsigned, through the S3 gateway endpoint."""
    (statements,) = [v for k, v in endpoint_policies(prod_network).items() if k.endswith(".s3")]
    (repository,) = [s for s in statements if s.get("Sid") == "AmazonLinuxPackageRepository"]
    assert repository["Action"] == "s3:GetObject"
    assert repository["Principal"] == {"AWS": "*"}
    assert "Condition" not in repository
    resource = repository["Resource"]
    text = resource if isinstance(resource, str) else "".join(p for p in resource["Fn::Join"][1] if isinstance(p, str))
    assert text.endswith(":s3:::al2023-repos-us-east-1-de612dc2/*")


def test_net3_s3_endpoint_admits_ecr_image_layers(prod_network: Template) -> None:
    """ECR User Guide: through an S3 gateway endpoint, image layers come from prod-<region>-starport-layer-bucket."""
    (statements,) = [v for k, v in endpoint_policies(prod_network).items() if k.endswith(".s3")]
    (layers,) = [s for s in statements if s.get("Sid") == "EcrImageLayers"]
    assert (layers["Action"], layers["Principal"], layers["Effect"]) == ("s3:GetObject", {"AWS": "*"}, "Allow")
    assert "Condition" not in layers
    resource = layers["Resource"]
    text = resource if isinstance(resource, str) else "".join(p for p in resource["Fn::Join"][1] if isinstance(p, str))
    assert text.endswith(":s3:::prod-us-east-1-starport-layer-bucket/*")


def test_net3_public_acl_for_the_most_admin_networks_config_allows_fits_the_acl_quota() -> None:
    """config/limits.py computes how many admin networks fit; the construct's rule count must agree with it."""
    stack, network, _ = probe_network()
    admin = [f"203.0.113.{i * 8}/29" for i in range(MAX_ADMIN_CIDRS)]
    firewall = TierFirewall(
        stack,
        "Firewall",
        vpc=network.vpc,
        public_subnets=network.public_subnets,
        application_subnets=network.application_subnets,
        data_subnets=network.data_subnets,
        admin_cidrs=admin,
        database_port=5433,
        edge=True,
    )
    for direction in (ec2.TrafficDirection.INGRESS, ec2.TrafficDirection.EGRESS):
        count = len([rule for rule in firewall.rules["public"] if rule.direction == direction])
        assert count <= NACL_RULES_PER_DIRECTION
    inbound = len([r for r in firewall.rules["public"] if r.direction == ec2.TrafficDirection.INGRESS])
    assert inbound == NACL_RULES_PER_DIRECTION  # one more admin network would not fit


def test_net3_endpoint_group_admits_https_only_from_inside_the_vpc(prod_network: Template) -> None:
    rules = ingress_rules(prod_network, "endpoints")
    assert [(rule["CidrIp"], rule["FromPort"], rule["ToPort"]) for rule in rules] == [("10.10.0.0/16", 443, 443)]


def probe_network() -> tuple[Any, TieredVpc, RoleSecurityGroups]:
    stack = tiny_stack()
    network = probe_vpc(stack)
    groups = RoleSecurityGroups(
        stack, "Groups", vpc=network.vpc, vpc_cidr="10.0.0.0/16", admin_cidrs=["203.0.113.0/28"], database_port=5433
    )
    return stack, network, groups


def test_net1_probe_a_data_tier_route_to_the_internet_fails_the_project_gate() -> None:
    stack, network, _ = probe_network()
    ec2.CfnRoute(
        stack,
        "Leak",
        route_table_id=network.data_subnets[0].route_table.route_table_id,
        destination_cidr_block="0.0.0.0/0",
        gateway_id=network.vpc.internet_gateway_id,
    )
    assert project_findings(stack)["Project-NET1-DataTierNoRoutes"] == ["Leak"]


def test_net3_probe_internet_ingress_on_an_internal_group_fails_the_gates() -> None:
    stack, _, groups = probe_network()
    groups.database.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(5432), "probe")
    assert "AwsSolutions-EC23" in nag_findings(stack, "AwsSolutions")
    assert "Project-NET3-IngressByReference" in project_findings(stack)


def test_net3_probe_a_cidr_on_the_application_group_fails_the_project_gate() -> None:
    stack, _, groups = probe_network()
    groups.application.add_ingress_rule(ec2.Peer.ipv4("10.0.0.0/8"), ec2.Port.tcp(443), "probe")
    assert "Project-NET3-IngressByReference" in project_findings(stack)


def test_acc4_probe_a_vpc_without_flow_log_fails_the_gates() -> None:
    stack = tiny_stack()
    ec2.Vpc(stack, "Bare", max_azs=2)
    assert "AwsSolutions-VPC7" in nag_findings(stack, "AwsSolutions")
    assert "NIST.800.53.R5-VPCFlowLogsEnabled" in nag_findings(stack, "NIST.800.53.R5")
