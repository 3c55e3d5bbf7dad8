"""The optional application behind the edge (ACC-6, NET-1, NET-3, ENC-1, ENC-3): one ECS Fargate service.

- Runs in the application subnets with no public IP, in the network stack's `application` security group, which
  admits traffic only from the edge group (by reference, NET-3).
- Serves HTTPS on 443 (ENC-1: the load balancer re-encrypts to its targets) as a non-root user: the task lowers
  `net.ipv4.ip_unprivileged_port_start` to 443 (a namespaced sysctl Fargate 1.4.0+ accepts) so that user may bind it.
- Read-only root file system, a memory hard limit, its own task role (no permissions unless granted), logs under a
  customer-managed key, Container Insights, the latest Fargate platform, a deployment circuit breaker with
  rollback, one task per availability zone (HA-1).
- The execution role's permissions are one managed policy written here (no inline policy): pull from the image's
  ECR repository only (when it is a private ECR image of this region) and write to this service's log group only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from constructs import Construct
from constructs.named_log_group import named_log_group
from constructs.trusted_service import trusted_service
from policies.acknowledgements import acknowledge_cause
from policies.causes import ACTIONS_WITHOUT_RESOURCE_ARN

HTTPS = 443
NON_ROOT_USER = "1000"
ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repository>[a-z0-9._/-]+)"
    r"(?::(?P<tag>[\w.-]+)|@(?P<digest>sha256:[0-9a-f]{64}))$"
)


class EdgeService(Construct):
    """Exposes `cluster`, `task_definition`, `task_role`, `log_group` and `service`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment_name: str,
        image: str,
        vpc: ec2.IVpc,
        subnets: Sequence[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        target_group: elbv2.ApplicationTargetGroup,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        cpu: int = 256,
        memory_mib: int = 512,
    ) -> None:
        super().__init__(scope, construct_id)
        self.cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        self.log_group = named_log_group(
            self, "Logs", name=f"/{environment_name}/edge/application", key=log_key, retention=log_retention
        )
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=trusted_service(self, "ecs-tasks.amazonaws.com"),
            description=f"{environment_name}: the edge application's own role; grants nothing by default",
        )
        repository = self._repository(image)
        self.execution_role = self._execution_role(environment_name, repository)
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=cpu,
            memory_limit_mib=memory_mib,
            task_role=self.task_role,
            # CDK's own grants would land in an inline policy; the managed policy above holds them instead.
            execution_role=self.execution_role.without_policy_updates(),
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=ecs.CpuArchitecture.X86_64,
            ),
        )
        self.task_definition.add_container(
            "App",
            image=self._image(image, repository),
            port_mappings=[ecs.PortMapping(container_port=HTTPS, protocol=ecs.Protocol.TCP)],
            user=NON_ROOT_USER,
            readonly_root_filesystem=True,
            memory_limit_mib=memory_mib,
            system_controls=[ecs.SystemControl(namespace="net.ipv4.ip_unprivileged_port_start", value=str(HTTPS))],
            logging=ecs.LogDriver.aws_logs(stream_prefix="app", log_group=self.log_group),
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=len(subnets),
            assign_public_ip=False,
            vpc_subnets=ec2.SubnetSelection(subnets=list(subnets)),
            security_groups=[security_group],
            platform_version=ecs.FargatePlatformVersion.LATEST,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            min_healthy_percent=100,
        )
        self.service.attach_to_application_target_group(target_group)

    def _repository(self, image: str) -> ecr.IRepository | None:
        match = ECR_IMAGE.match(image)
        stack = cdk.Stack.of(self)
        if not match or match["region"] != stack.region:
            return None
        return ecr.Repository.from_repository_attributes(
            self,
            "Repository",
            repository_name=match["repository"],
            repository_arn=f"arn:{stack.partition}:ecr:{match['region']}:{match['account']}:repository/"
            f"{match['repository']}",
        )

    @staticmethod
    def _image(image: str, repository: ecr.IRepository | None) -> ecs.ContainerImage:
        if repository is None:
            return ecs.ContainerImage.from_registry(image)
        match = ECR_IMAGE.match(image)
        assert match is not None
        return ecs.ContainerImage.from_ecr_repository(repository, match["digest"] or match["tag"])

    def _execution_role(self, environment_name: str, repository: ecr.IRepository | None) -> iam.Role:
        statements = [
            iam.PolicyStatement(
                sid="WriteThisServicesLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        ]
        if repository is not None:
            statements += [
                iam.PolicyStatement(
                    sid="PullTheImage",
                    actions=["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    resources=[repository.repository_arn],
                ),
                iam.PolicyStatement(sid="SignInToEcr", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            ]
        policy = iam.ManagedPolicy(
            self,
            "ExecutionPolicy",
            description=f"{environment_name}: what ECS needs to start the edge application, and nothing else",
            statements=statements,
        )
        if repository is not None:
            # Only ecr:GetAuthorizationToken uses '*' (ECR user guide: it accepts no resource ARN); image pulls are
            # limited to the one repository, log writes to this log group.
            acknowledge_cause(policy, "AwsSolutions-IAM5[Resource::*]", ACTIONS_WITHOUT_RESOURCE_ARN)
        return iam.Role(
            self,
            "ExecutionRole",
            assumed_by=trusted_service(self, "ecs-tasks.amazonaws.com"),
            description=f"{environment_name}: ECS pulls the edge application's image and writes its logs",
            managed_policies=[policy],
        )
