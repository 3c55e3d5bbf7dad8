"""One network ACL per tier, with explicit numbered rules an auditor can read (NET-1, NET-3).

Rule numbers are grouped by purpose: 100s admin SSH, 200s replies from the internet, 300s the public
tier, 400s the application tier, 500s the data tier, 600s the public edge; the last digit is the AZ. Everything else
meets the ACL's implicit deny. ACLs are stateless, so each allowed conversation needs its reply rule too.

The flows these rules must carry, and those they must stop, are data (policies/reachability.toml); the
Project-Reachability gate evaluates them through these entries, the routes and the security groups at every synth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2

from constructs import Construct
from policies.acknowledgements import acknowledge

EPHEMERAL = ec2.AclTraffic.tcp_port_range(1024, 65535)
# HA-1 / NET-3: replies from the internet arrive on the source ports NAT gateways use, 1024-65535, all of them: a
# range with a hole (3389 was once cut out for Control Tower's CT.EC2.PR.5) drops the replies to connections NAT
# happened to give that port. RDP stays closed where it is decided, in the security groups (none admits the internet
# except an edge group on 443: the Project-NET3 gate), so CT.EC2.PR.5 is acknowledged on this one entry.
# ICMP type 3 code 4 ("fragmentation needed") is path MTU discovery: without it a large reply can hang a connection.
PATH_MTU_DISCOVERY = ec2.AclTraffic.icmp(type=3, code=4)
INTERNET_REPLIES = (EPHEMERAL, PATH_MTU_DISCOVERY)
CT_NACL_SSH_RDP_RULE = "cdk-validator-cfnguard::nacl_no_unrestricted_ssh_rdp_check"
HTTPS = ec2.AclTraffic.tcp_port(443)
SSH = ec2.AclTraffic.tcp_port(22)
ANY_IPV4 = "0.0.0.0/0"
# NET-3: an internet-facing load balancer's subnets need, by the ELB guide's recommended network ACL rules
# ("Configure network ACLs" for an internet-facing load balancer), the listener port in from 0.0.0.0/0 and
# TCP 1024-65535 out to 0.0.0.0/0 for the replies to the clients' ephemeral ports. Its traffic to and from the
# targets (listener and health-check port out, ephemeral replies in) is already carried by the 300s/400s rules
# for the application tier. Only the listener port, and only where an edge exists: without a load balancer no
# host in the public tier serves the internet, so 443 stays closed there (the NAT gateways and the bastion need
# only replies) and the ACL, not just the security groups, keeps NET-3.
EDGE_LISTENER = HTTPS
CLIENT_REPLIES = EPHEMERAL
INGRESS, EGRESS = ec2.TrafficDirection.INGRESS, ec2.TrafficDirection.EGRESS


@dataclass(frozen=True)
class AclRule:
    number: int
    direction: ec2.TrafficDirection
    cidr: str
    traffic: ec2.AclTraffic
    why: str


class TierFirewall(Construct):
    """Exposes `public_acl`, `application_acl`, `data_acl` and `rules[tier]` (the rules as data, for review)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        public_subnets: Sequence[ec2.ISubnet],
        application_subnets: Sequence[ec2.ISubnet],
        data_subnets: Sequence[ec2.ISubnet],
        admin_cidrs: Sequence[str],
        database_port: int,
        edge: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        public = [subnet.ipv4_cidr_block for subnet in public_subnets]
        application = [subnet.ipv4_cidr_block for subnet in application_subnets]
        data = [subnet.ipv4_cidr_block for subnet in data_subnets]
        database = ec2.AclTraffic.tcp_port(database_port)
        everything = ec2.AclTraffic.all_traffic()

        self.rules: dict[str, list[AclRule]] = {
            "public": [
                *(
                    AclRule(100 + i, INGRESS, c, SSH, "admin SSH to the bastion (ACC-3)")
                    for i, c in enumerate(admin_cidrs)
                ),
                *(
                    AclRule(200 + i, INGRESS, ANY_IPV4, t, "replies to NAT gateways and the bastion")
                    for i, t in enumerate(INTERNET_REPLIES)
                ),
                *(
                    AclRule(300 + i, INGRESS, c, everything, "application tier through its NAT gateway")
                    for i, c in enumerate(application)
                ),
                *(
                    AclRule(500 + i, INGRESS, c, EPHEMERAL, "database replies to the bastion")
                    for i, c in enumerate(data)
                ),
                *(AclRule(100 + i, EGRESS, c, EPHEMERAL, "SSH replies to admins") for i, c in enumerate(admin_cidrs)),
                AclRule(200, EGRESS, ANY_IPV4, HTTPS, "HTTPS out through NAT gateways and from the bastion"),
                *(
                    AclRule(400 + i, EGRESS, c, everything, "NAT replies and bastion to endpoints")
                    for i, c in enumerate(application)
                ),
                *(AclRule(500 + i, EGRESS, c, database, "bastion to the database") for i, c in enumerate(data)),
                *self._edge_rules(edge),
            ],
            "application": [
                *(
                    AclRule(200 + i, INGRESS, ANY_IPV4, t, "internet replies relayed by the NAT gateway")
                    for i, t in enumerate(INTERNET_REPLIES)
                ),
                *(AclRule(300 + i, INGRESS, c, everything, "from the public tier only") for i, c in enumerate(public)),
                *(
                    AclRule(400 + i, INGRESS, c, everything, "within the tier, across AZs")
                    for i, c in enumerate(application)
                ),
                *(AclRule(500 + i, INGRESS, c, EPHEMERAL, "database replies") for i, c in enumerate(data)),
                AclRule(200, EGRESS, ANY_IPV4, HTTPS, "HTTPS out through the NAT gateway"),
                *(AclRule(300 + i, EGRESS, c, EPHEMERAL, "replies to the public tier") for i, c in enumerate(public)),
                *(
                    AclRule(400 + i, EGRESS, c, everything, "within the tier, across AZs")
                    for i, c in enumerate(application)
                ),
                *(AclRule(500 + i, EGRESS, c, database, "to the database") for i, c in enumerate(data)),
            ],
            "data": [
                *(
                    AclRule(300 + i, INGRESS, c, database, "database port from the bastion subnets")
                    for i, c in enumerate(public)
                ),
                *(
                    AclRule(400 + i, INGRESS, c, database, "database port from the application tier")
                    for i, c in enumerate(application)
                ),
                *(
                    AclRule(300 + i, EGRESS, c, EPHEMERAL, "database replies to the bastion")
                    for i, c in enumerate(public)
                ),
                *(
                    AclRule(400 + i, EGRESS, c, EPHEMERAL, "database replies to the application tier")
                    for i, c in enumerate(application)
                ),
            ],
        }
        self.public_acl = self._acl("Public", vpc, public_subnets, self.rules["public"])
        self.application_acl = self._acl("Application", vpc, application_subnets, self.rules["application"])
        self.data_acl = self._acl("Data", vpc, data_subnets, self.rules["data"])
        # AwsSolutions-VPC3 (no network ACLs) is excluded for the whole app, once: policies/rule_exclusions.py.

    @staticmethod
    def _edge_rules(edge: bool) -> list[AclRule]:
        """NET-3: the internet-facing load balancer's listener and its replies (ELB guide), only with an edge."""
        if not edge:
            return []
        return [
            AclRule(600, INGRESS, ANY_IPV4, EDGE_LISTENER, "HTTPS clients to the internet-facing load balancer"),
            AclRule(600, EGRESS, ANY_IPV4, CLIENT_REPLIES, "load balancer replies to the clients' ephemeral ports"),
        ]

    def _acl(
        self, tier: str, vpc: ec2.IVpc, subnets: Sequence[ec2.ISubnet], rules: Sequence[AclRule]
    ) -> ec2.NetworkAcl:
        acl = ec2.NetworkAcl(self, f"{tier}Acl", vpc=vpc, subnet_selection=ec2.SubnetSelection(subnets=list(subnets)))
        for rule in rules:
            direction = "In" if rule.direction == INGRESS else "Out"
            entry = acl.add_entry(
                f"{direction}{rule.number}",
                cidr=ec2.AclCidr.ipv4(rule.cidr),
                rule_number=rule.number,
                traffic=rule.traffic,
                direction=rule.direction,
                rule_action=ec2.Action.ALLOW,
            )
            if rule.direction == INGRESS and rule.cidr == ANY_IPV4 and rule.traffic is EPHEMERAL:
                acknowledge(
                    entry,
                    CT_NACL_SSH_RDP_RULE,
                    control="NET-3",
                    basis="met another way",
                    how="this entry admits internet replies on 1024-65535, the source ports NAT gateways use (HA-1: "
                    "a hole at 3389 dropped some replies); it includes no SSH port, and RDP from the internet is "
                    "closed by the security groups: none admits the internet but an edge group on 443 (Project-NET3).",
                )
        return acl
