"""VPC endpoints, so private instances reach AWS APIs without the internet (NET-3).

An S3 gateway endpoint for the public and application tiers, and interface endpoints with private DNS in
the application tier for the services the bastion, the SSM agent and the log agent use.

NET-3 / ACC-1: every endpoint has a policy (the default admits anyone's credentials to anyone's resources, so a
stolen key from another account, or a request to a bucket outside the tenant, would pass through the VPC): only
principals of this account (`aws:PrincipalAccount`), and where the service's resources are all the account's own,
only resources of this account (`aws:ResourceAccount`: S3, KMS, Secrets Manager, CloudWatch Logs). SSM serves
AWS-owned documents (AWS-StartSSHSession) and CloudWatch's PutMetricData has no resource, so those endpoints check the
principal only. The S3 endpoint also lets anyone read the Amazon Linux 2023 package repository of the region
(bucket `al2023-repos-<region>-de612dc2`, AL2023 User Guide): dnf fetches it unsigned over the S3 endpoint, so the
bastion's boot-time installs would fail without it. It lets anyone read image layers from the AWS-owned ECR layer
bucket of the region (`prod-<region>-starport-layer-bucket`, ECR User Guide, "Minimum Amazon S3 bucket permissions
for Amazon ECR" with an S3 gateway endpoint): ECR serves layers from there, so Fargate's pulls of an ECR image would
fail (and the service's circuit breaker roll the edge back) without it. Both buckets belong to AWS, not to the
tenant, so `aws:ResourceAccount` cannot admit them; the statements allow s3:GetObject on those buckets' objects only.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

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
# Endpoints whose every legitimate request targets a resource this account owns.
RESOURCE_ACCOUNT_SERVICES = frozenset({"Kms", "SecretsManager", "Logs"})
AL2023_REPOSITORY_BUCKET = "al2023-repos-{region}-de612dc2"
ECR_LAYER_BUCKET = "prod-{region}-starport-layer-bucket"
# Sid -> AWS-owned bucket that instances in this VPC read objects from through the S3 gateway endpoint.
AWS_OWNED_READS: dict[str, str] = {
    "AmazonLinuxPackageRepository": AL2023_REPOSITORY_BUCKET,
    "EcrImageLayers": ECR_LAYER_BUCKET,
}


def account_only(account: str, *, resources_too: bool) -> iam.PolicyStatement:
    """Any action, but only by this account's principals (and, with `resources_too`, on its own resources)."""
    condition = {"aws:PrincipalAccount": account}
    if resources_too:
        condition["aws:ResourceAccount"] = account
    return iam.PolicyStatement(
        sid="OnlyThisAccount",
        principals=[iam.AnyPrincipal()],
        actions=["*"],
        resources=["*"],
        conditions={"StringEquals": condition},
    )


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
        stack = cdk.Stack.of(self)
        self.s3_gateway = ec2.GatewayVpcEndpoint(
            self,
            "S3",
            vpc=vpc,
            service=ec2.GatewayVpcEndpointAwsService.S3,
            subnets=[ec2.SubnetSelection(subnets=list(gateway_subnets))],
        )
        self.s3_gateway.add_to_policy(account_only(stack.account, resources_too=True))
        for sid, bucket in AWS_OWNED_READS.items():
            self.s3_gateway.add_to_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:GetObject"],
                    resources=[f"arn:{stack.partition}:s3:::{bucket.format(region=stack.region)}/*"],
                )
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
        for name, endpoint in self.interfaces.items():
            endpoint.add_to_policy(account_only(stack.account, resources_too=name in RESOURCE_ACCOUNT_SERVICES))
