"""VPC endpoints, so private instances reach AWS APIs without the internet (NET-3).

An S3 gateway endpoint for the public and application tiers, and interface endpoints with private DNS in
the application tier for the services the bastion, the SSM agent and the log agent use.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2

from constructs import Construct

INTERFACE_SERVICES: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "Ssm": ec2.InterfaceVpcEndpointAwsService.SSM,
    "SsmMessages": ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
    "Ec2Messages": ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Monitoring": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
}


class PrivateEndpoints(Construct):
    """Exposes `s3_gateway` and `interfaces[name]`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        gateway_subnets: Sequence[ec2.ISubnet],
        interface_subnets: Sequence[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        services: dict[str, ec2.InterfaceVpcEndpointAwsService] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.s3_gateway = ec2.GatewayVpcEndpoint(
            self,
            "S3",
            vpc=vpc,
            service=ec2.GatewayVpcEndpointAwsService.S3,
            subnets=[ec2.SubnetSelection(subnets=list(gateway_subnets))],
        )
        self.interfaces = {
            name: ec2.InterfaceVpcEndpoint(
                self,
                name,
                vpc=vpc,
                service=service,
                subnets=ec2.SubnetSelection(subnets=list(interface_subnets)),
                security_groups=[security_group],
                private_dns_enabled=True,
                open=False,
            )
            for name, service in (services or INTERFACE_SERVICES).items()
        }
