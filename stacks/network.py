"""NetworkStack: the environment's VPC, tier firewalls, security groups and endpoints (NET-1, NET-3, LOC-1)."""

from __future__ import annotations

from typing import Any

from config import EnvironmentConfig
from constructs import Construct
from constructs.private_endpoints import PrivateEndpoints
from constructs.purpose_keys import PurposeKeys, logs_service_use
from constructs.role_security_groups import RoleSecurityGroups
from constructs.tier_firewall import TierFirewall
from constructs.tiered_vpc import TieredVpc
from policies.network_model import REACHABILITY_METADATA
from stacks.environment_stack import EnvironmentStack, log_retention


class NetworkStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env_config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope, "network", env_config=env_config, description="VPC, tier firewalls, endpoints", **kwargs
        )
        admin_cidrs = [str(cidr) for cidr in env_config.admin_cidrs]
        # NET-1 / NET-3: the inputs of the promised flows (policies/reachability.toml), for the Project-Reachability
        # gate and the evidence report, which read only templates.
        self.add_metadata(
            REACHABILITY_METADATA, {"AdminNetworks": admin_cidrs, "DatabasePort": env_config.database.port}
        )
        self.keys = PurposeKeys(
            self,
            "Keys",
            alias_prefix=f"{env_config.name}/network",
            purposes={"logs": []},  # used by CloudWatch Logs (a service principal) only
            service_users={"logs": [logs_service_use(self)]},
        ).keys
        self.network = TieredVpc(
            self,
            "Network",
            cidr=str(env_config.vpc_cidr),
            availability_zones=self.availability_zones,
            subnet_prefix=env_config.subnet_prefix,
            nat_gateways=env_config.nat_gateway_count,
            flow_log_key=self.keys["logs"],
            flow_log_retention=log_retention(env_config.flow_log_retention_days),
        )
        self.vpc = self.network.vpc
        self.firewall = TierFirewall(
            self,
            "Firewall",
            vpc=self.vpc,
            public_subnets=self.network.public_subnets,
            application_subnets=self.network.application_subnets,
            data_subnets=self.network.data_subnets,
            admin_cidrs=admin_cidrs,
            database_port=env_config.database.port,
            edge=env_config.edge is not None,  # the load balancer's listener is opened only where there is one
        )
        self.security_groups = RoleSecurityGroups(
            self,
            "SecurityGroups",
            vpc=self.vpc,
            vpc_cidr=str(env_config.vpc_cidr),
            admin_cidrs=admin_cidrs,
            database_port=env_config.database.port,
        )
        self.endpoints = PrivateEndpoints(
            self,
            "Endpoints",
            vpc=self.vpc,
            gateway_subnets=[*self.network.public_subnets, *self.network.application_subnets],
            interface_subnets=self.network.application_subnets,
            security_group=self.security_groups.endpoints,
        )
