"""Security groups per role, chained by reference (NET-1, NET-3).

edge -> application -> database, and bastion -> database: each hop admits only the security group before
it, never a CIDR. Only the bastion admits CIDRs, and only the allow-listed admin networks on port 22 (ACC-3).
No group allows all outbound traffic; each names where it may go.

AWS::EC2::SecurityGroup: AWS's default allow-all egress rule is dropped only when the group resource itself lists
egress rules; a separate AWS::EC2::SecurityGroupEgress adds a rule beside it. aws-cdk-lib 2.275 removes its "no
traffic" placeholder from the group as soon as any egress rule is added, also one to another group, which it writes
as a separate resource: a group whose only egress names another group (the edge's, to the application tier, in an
environment without a load balancer) was left with no inline egress, so with allow-all. `keep_egress_closed` puts
the placeholder back whenever nothing else is inline; Project-NET3-GroupsListTheirEgress checks every group.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2

from config.limits import SG_ROLE_TAG
from constructs import Construct

HTTPS = 443
SSH = 22
# aws-cdk-lib's own placeholder: ICMP type 252 code 86 to 255.255.255.255/32 matches no packet.
NO_TRAFFIC: dict[str, Any] = {
    "cidrIp": "255.255.255.255/32",
    "description": "Disallow all traffic",
    "ipProtocol": "icmp",
    "fromPort": 252,
    "toPort": 86,
}


@jsii.implements(cdk.IResolvable)
class _InlineEgressOrNone:
    """The group's inline egress rules as CDK renders them, or the no-traffic placeholder when there are none."""

    def __init__(self, rendered: Any) -> None:
        self._rendered = rendered

    @property
    def creation_stack(self) -> list[str]:
        return []

    def resolve(self, context: cdk.IResolveContext) -> Any:
        return context.resolve(self._rendered) or [NO_TRAFFIC]

    def to_string(self) -> str:
        return cdk.Token.as_string(self)


def keep_egress_closed(group: ec2.SecurityGroup) -> None:
    """NET-3: the group's template resource always lists egress, so AWS never adds its default allow-all rule."""
    resource = group.node.default_child
    assert isinstance(resource, ec2.CfnSecurityGroup)
    resource.security_group_egress = cast(cdk.IResolvable, _InlineEgressOrNone(resource.security_group_egress))


class RoleSecurityGroups(Construct):
    """Exposes `edge`, `application`, `database`, `bastion` and `endpoints` security groups."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        vpc_cidr: str,
        admin_cidrs: Sequence[str],
        database_port: int,
        application_port: int = HTTPS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.edge = self._group("Edge", vpc, "edge", "Public edge (future load balancer); no listener yet")
        self.application = self._group("Application", vpc, "application", "Application tier")
        self.database = self._group("Database", vpc, "database", "Database tier")
        self.bastion = self._group("Bastion", vpc, "bastion", "SSH bastion")
        self.endpoints = self._group("Endpoints", vpc, "endpoints", "Interface VPC endpoints")

        db = ec2.Port.tcp(database_port)
        https = ec2.Port.tcp(HTTPS)
        self.application.add_ingress_rule(self.edge, ec2.Port.tcp(application_port), "from the edge only")
        self.edge.add_egress_rule(self.application, ec2.Port.tcp(application_port), "to the application tier")
        self.database.add_ingress_rule(self.application, db, "PostgreSQL from the application tier")
        self.database.add_ingress_rule(self.bastion, db, "PostgreSQL from the bastion (operators)")
        self.application.add_egress_rule(self.database, db, "to the database")
        self.bastion.add_egress_rule(self.database, db, "to the database")
        for cidr in admin_cidrs:
            self.bastion.add_ingress_rule(
                ec2.Peer.ipv4(cidr), ec2.Port.tcp(SSH), "SSH from an allow-listed admin network (ACC-3)"
            )
        self.endpoints.add_ingress_rule(ec2.Peer.ipv4(vpc_cidr), https, "HTTPS to AWS APIs from inside the VPC only")
        for group in (self.application, self.bastion):
            group.add_egress_rule(self.endpoints, https, "to AWS APIs through interface endpoints")
            group.add_egress_rule(ec2.Peer.any_ipv4(), https, "HTTPS out (packages, AWS APIs without an endpoint)")

    def _group(self, construct_id: str, vpc: ec2.IVpc, role: str, description: str) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(self, construct_id, vpc=vpc, description=description, allow_all_outbound=False)
        cdk.Tags.of(group).add(SG_ROLE_TAG, role)
        keep_egress_closed(group)
        return group
