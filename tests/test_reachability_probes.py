"""NET-1 / NET-3 probes: copies of the session's templates and tiny apps, each broken one way, and the
ProjectReachability gate naming the layer and rule that break the promise."""

from __future__ import annotations

import copy

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from constructs.role_security_groups import RoleSecurityGroups
from constructs.tier_firewall import TierFirewall
from policies.reachability_flows import FlowTableError
from policies.reachability_rules import ReachabilityRules
from tests.conftest import DEV, PROD, Synthesized
from tests.probes import probe_vpc, synth_report, tiny_stack
from tests.test_reachability import (
    Templates,
    gate_findings,
    network_of,
    public_acl_entry,
    resources,
    session_templates,
)


@pytest.fixture(scope="module")
def templates(synthesized: Synthesized) -> Templates:
    return session_templates(synthesized)


def test_net3_probe_without_the_public_acls_443_entry_the_edge_is_unreachable(templates: Templates) -> None:
    bad = copy.deepcopy(templates)
    network = network_of(bad, PROD)
    del network["Resources"][public_acl_entry(network, 600, egress=False)]
    messages = gate_findings(bad)["NET3-PromisedFlows"]
    assert len(messages) == 1
    assert messages[0].startswith("the internet reaches the load balancer on HTTPS (expected allowed): blocked by NACL")
    assert "(inbound): no entry admits tcp 443 from the internet" in messages[0]


def test_net3_probe_without_the_client_reply_entry_the_edge_cannot_answer(templates: Templates) -> None:
    bad = copy.deepcopy(templates)
    network = network_of(bad, PROD)
    del network["Resources"][public_acl_entry(network, 600, egress=True)]
    (message,) = gate_findings(bad)["NET3-PromisedFlows"]
    assert "(outbound): no entry admits replies on tcp 1024-65535" in message


def test_net3_probe_a_deny_entry_before_the_listener_names_that_entry(templates: Templates) -> None:
    """ACL entries are evaluated in rule-number order and the first match decides."""
    bad = copy.deepcopy(templates)
    network = network_of(bad, PROD)
    allow = network["Resources"][public_acl_entry(network, 600, egress=False)]
    deny = copy.deepcopy(allow)
    deny["Properties"].update(RuleNumber=50, RuleAction="deny")
    network["Resources"]["ProbeDeny"] = deny
    messages = gate_findings(bad)["NET3-PromisedFlows"]
    (message,) = [m for m in messages if m.startswith("the internet reaches the load balancer on HTTPS")]
    assert "blocked by NACL FirewallPublicAcl" in message
    assert "entry #50 (inbound)" in message


def test_net3_probe_a_database_group_open_to_the_internet_is_caught(templates: Templates) -> None:
    bad = copy.deepcopy(templates)
    network = network_of(bad, PROD)
    group = next(v for k, v in resources(network, "AWS::EC2::SecurityGroup").items() if "Database" in k)
    group["Properties"]["SecurityGroupIngress"] = [
        {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 5433, "ToPort": 5433}
    ]
    messages = gate_findings(bad)["NET3-PromisedFlows"]
    (message,) = [m for m in messages if m.startswith("the internet reaches the database on no port")]
    assert "security-group must block it" in message
    assert "SecurityGroupIngress[0]" in message


def test_net3_probe_without_the_nat_route_the_application_tier_cannot_reach_the_internet(templates: Templates) -> None:
    bad = copy.deepcopy(templates)
    network = network_of(bad, DEV)
    del network["Resources"][next(k for k in resources(network, "AWS::EC2::Route") if "ApplicationSubnet2" in k)]
    (message,) = gate_findings(bad)["NET3-PromisedFlows"]
    assert message.startswith("the application tier reaches the internet on HTTPS through NAT (expected allowed)")
    assert "blocked by route table NetworkVpcApplicationSubnet2RouteTable" in message
    assert "has no route to or from the internet" in message


def test_net1_probe_a_data_tier_route_to_the_internet_gateway_is_caught(templates: Templates) -> None:
    bad = copy.deepcopy(templates)
    network = network_of(bad, PROD)
    table = next(k for k in resources(network, "AWS::EC2::RouteTable") if "DataSubnet1" in k)
    igw = next(iter(resources(network, "AWS::EC2::InternetGateway")))
    network["Resources"]["ProbeLeak"] = {
        "Type": "AWS::EC2::Route",
        "Properties": {"RouteTableId": {"Ref": table}, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": igw}},
    }
    messages = gate_findings(bad)["NET1-PromisedFlows"]
    assert any(
        m.startswith("the data tier reaches the internet on no port") and "route must block it" in m for m in messages
    )


def test_net3_probe_a_group_without_inline_egress_is_caught(templates: Templates) -> None:
    bad = copy.deepcopy(templates)
    network = network_of(bad, DEV)
    edge = next(k for k in resources(network, "AWS::EC2::SecurityGroup") if k.startswith("SecurityGroupsEdge"))
    del network["Resources"][edge]["Properties"]["SecurityGroupEgress"]
    assert gate_findings(bad)["NET3-GroupsListTheirEgress"] == [
        "no SecurityGroupEgress: EC2 keeps its default rule allowing all outbound traffic"
    ]


def test_net3_probe_an_endpoint_policy_without_ecr_layers_is_caught(templates: Templates) -> None:
    """Fargate pulls ECR layers from prod-<region>-starport-layer-bucket through the S3 gateway endpoint."""
    bad = copy.deepcopy(templates)
    network = network_of(bad, PROD)
    endpoint = next(v for k, v in resources(network, "AWS::EC2::VPCEndpoint").items() if k.startswith("EndpointsS3"))
    statements = endpoint["Properties"]["PolicyDocument"]["Statement"]
    endpoint["Properties"]["PolicyDocument"]["Statement"] = [s for s in statements if s.get("Sid") != "EcrImageLayers"]
    (message,) = gate_findings(bad)["NET3-GatewayEndpointAdmitsImageLayers"]
    assert "prod-us-east-1-starport-layer-bucket" in message
    dev_only = copy.deepcopy(bad)
    del dev_only[next(p for p in dev_only if p.endswith(f"{PROD}-edge.template.json"))]
    assert "NET3-GatewayEndpointAdmitsImageLayers" not in gate_findings(dev_only), "no ECR service, nothing to pull"


# ------------------------------------------------------------------------------------------------ security group egress


def test_net3_probe_cdk_leaves_a_group_with_only_a_group_reference_open_and_the_gate_catches_it() -> None:
    """aws-cdk-lib drops its no-traffic placeholder when any egress rule is added, also one it writes as a separate
    AWS::EC2::SecurityGroupEgress: such a group keeps EC2's default allow-all egress. RoleSecurityGroups puts the
    placeholder back (keep_egress_closed); a plain group is caught by the gate."""
    stack = tiny_stack()
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["us-east-1a", "us-east-1b"], nat_gateways=0)
    roles = RoleSecurityGroups(stack, "Roles", vpc=vpc, vpc_cidr="10.0.0.0/16", admin_cidrs=[], database_port=5433)
    plain = ec2.SecurityGroup(stack, "Plain", vpc=vpc, allow_all_outbound=False)
    plain.add_egress_rule(roles.application, ec2.Port.tcp(443), "to the application group only")
    cdk.Validations.of(stack.node.root).add_plugins(ReachabilityRules())
    found = synth_report(stack)
    (plain_id,) = found["NET3-GroupsListTheirEgress"]
    assert plain_id.startswith("Plain")


@pytest.mark.parametrize("edge_flag", [False, True])
def test_net3_probe_a_load_balancer_without_the_firewalls_edge_entries_fails_the_synth(edge_flag: bool) -> None:
    """The review's finding, as a tiny app: an internet-facing load balancer in public subnets whose ACL was built
    without the edge's listener entries is unreachable, and the synth says which entry is missing."""
    stack = tiny_stack()
    network = probe_vpc(stack)
    TierFirewall(
        stack,
        "Firewall",
        vpc=network.vpc,
        public_subnets=network.public_subnets,
        application_subnets=network.application_subnets,
        data_subnets=network.data_subnets,
        admin_cidrs=["203.0.113.0/28"],
        database_port=5433,
        edge=edge_flag,
    )
    groups = RoleSecurityGroups(
        stack, "Groups", vpc=network.vpc, vpc_cidr="10.0.0.0/16", admin_cidrs=["203.0.113.0/28"], database_port=5433
    )
    groups.edge.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS from the internet")
    elbv2.ApplicationLoadBalancer(
        stack,
        "Edge",
        vpc=network.vpc,
        internet_facing=True,
        vpc_subnets=ec2.SubnetSelection(subnets=network.public_subnets),
        security_group=groups.edge,
    )
    cdk.Validations.of(stack.node.root).add_plugins(ReachabilityRules())
    found = synth_report(stack)
    if edge_flag:
        assert "NET3-PromisedFlows" not in found, found
    else:
        (acl,) = set(found["NET3-PromisedFlows"])
        assert acl.startswith("FirewallPublicAcl"), found


def test_net1_probe_a_broken_flow_table_fails_the_gate_with_its_one_line(
    templates: Templates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flow table that does not parse fails the synth with the table's own one-line error, never a traceback."""

    def broken() -> tuple[()]:
        raise FlowTableError("policies/reachability.toml: flow.0.expect: Input should be 'allowed' or 'blocked'")

    monkeypatch.setattr("policies.reachability_rules.promised_flows", broken)
    assert gate_findings(templates)["NET1-PromisedFlows"] == [
        "policies/reachability.toml: flow.0.expect: Input should be 'allowed' or 'blocked'"
    ]
