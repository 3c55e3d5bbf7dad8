"""A three-AZ VPC with public, application and data tiers, and flow logs for all traffic.

NET-1: three tiers per AZ; the data tier is isolated (no route to an internet or NAT gateway).
LOC-1 / HA-1: three AZs; one NAT gateway per AZ unless a non-production stage asks for fewer.
ACC-4: every accepted and rejected flow goes to a KMS-encrypted log group that outlives the stack.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from config.limits import TIER_TAG
from constructs import Construct
from constructs.trusted_service import trusted_service
from policies.acknowledgements import Cause, acknowledge_cause
from policies.causes import DEPLOY_TIME_PROVIDER_OUTSIDE_VPC
from policies.rule_targets import in_compliance_packs

PUBLIC, APPLICATION, DATA = "Public", "Application", "Data"


class TieredVpc(Construct):
    """Exposes `vpc`, `flow_log`, `flow_log_group` and the subnets of each tier (`public_subnets`, ...)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        availability_zones: Sequence[str],
        subnet_prefix: int,
        flow_log_key: kms.IKey,
        nat_gateways: int | None = None,
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        flow_log_removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=list(availability_zones),
            nat_gateways=len(availability_zones) if nat_gateways is None else nat_gateways,
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name=PUBLIC,
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=subnet_prefix,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name=APPLICATION, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=subnet_prefix
                ),
                ec2.SubnetConfiguration(
                    name=DATA, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=subnet_prefix
                ),
            ],
        )
        self.public_subnets = self.vpc.public_subnets
        self.application_subnets = self.vpc.private_subnets
        self.data_subnets = self.vpc.isolated_subnets
        for tier, subnets in (
            ("public", self.public_subnets),
            ("application", self.application_subnets),
            ("data", self.data_subnets),
        ):
            for subnet in subnets:
                cdk.Tags.of(subnet).add(TIER_TAG, tier)

        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogGroup",
            encryption_key=flow_log_key,
            retention=flow_log_retention,
            removal_policy=flow_log_removal_policy,
        )
        self.flow_log_role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=trusted_service(self, "vpc-flow-logs.amazonaws.com"),
            description="Delivers VPC flow logs to one log group (ACC-4)",
        )
        self.flow_log_role.add_managed_policy(
            iam.ManagedPolicy(
                self,
                "FlowLogDelivery",
                statements=[
                    iam.PolicyStatement(
                        actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        # The LogGroup Arn attribute already ends in ":*", which covers its log streams.
                        resources=[self.flow_log_group.log_group_arn],
                    )
                ],
            )
        )
        # The flow log as an L1 resource, at the path (and logical id) the L2 `vpc.add_flow_log` gave it: the L2 also
        # acknowledges cfn-lint F3002/F3003 (for its camelCase DestinationOptions, which this log does not set) with
        # a reason naming no control, on a resource where neither fires. The managed policy above is the role's
        # only permission.
        flow_log_scope = Construct(self.vpc, "FlowLog")
        self.flow_log = ec2.CfnFlowLog(
            flow_log_scope,
            "FlowLog",
            resource_id=self.vpc.vpc_id,
            resource_type="VPC",
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_group_name=self.flow_log_group.log_group_name,
            deliver_logs_permission_arn=self.flow_log_role.role_arn,
        )
        cdk.Tags.of(flow_log_scope).add("Name", flow_log_scope.node.path)
        self._acknowledge_public_routes()
        # cfn-lint W3010 (zones pinned) is excluded for the whole app, once: policies/rule_exclusions.py (LOC-1).
        self._acknowledge_default_security_group_provider()

    def _acknowledge_public_routes(self) -> None:
        public_route = Cause(
            "NET-3",
            "met another way",
            "only the public tier routes to the internet gateway (NAT gateways, bastion, load balancer); its network "
            "ACL admits only admin SSH, replies and, with an edge, HTTPS to the load balancer, and the application and "
            "data tiers have no such route (NET-1; the flows: policies/reachability.toml).",
        )
        for subnet in self.public_subnets:  # on each public subnet's default route, the only resource the rule reads
            acknowledge_cause(subnet, in_compliance_packs("VPCNoUnrestrictedRouteToIGW"), public_route)

    def _acknowledge_default_security_group_provider(self) -> None:
        provider = cdk.Stack.of(self).node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
        if provider is not None:
            acknowledge_cause(
                provider, "cdk-validator-cfnguard::lambda_inside_vpc_check", DEPLOY_TIME_PROVIDER_OUTSIDE_VPC
            )
