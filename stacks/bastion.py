"""BastionStack: the SSH bastion, its alerts and the job roles that reach it (ACC-2, ACC-3, ACC-4, ACC-5, BAK-1)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from config import EnvironmentConfig
from constructs import Construct
from constructs.bastion_host import BastionHost
from constructs.bastion_user_data import OperatorKey, SshdPolicy
from constructs.job_roles import JobRoles
from constructs.purpose_keys import PurposeKeys, logs_service_use
from constructs.ssh_access_alerts import SshAccessAlerts
from stacks.environment_stack import EnvironmentStack, log_retention
from stacks.network import NetworkStack


class BastionStack(EnvironmentStack):
    def __init__(
        self, scope: Construct, *, env_config: EnvironmentConfig, network: NetworkStack, **kwargs: Any
    ) -> None:
        super().__init__(
            scope, "bastion", env_config=env_config, description="SSH bastion, access alerts, job roles", **kwargs
        )
        settings = env_config.bastion
        self.keys = PurposeKeys(
            self,
            "Keys",
            alias_prefix=f"{env_config.name}/bastion",
            purposes={"volumes": ["ec2"], "logs": [], "alerts": ["sns"]},
            # EventBridge and CloudWatch are admitted to the alerts key by the alert topic itself, bound to that
            # topic by encryption context (constructs/alert_topic.py).
            service_users={"logs": [logs_service_use(self)]},
        ).keys
        self.bastion = BastionHost(
            self,
            "Bastion",
            environment_name=env_config.name,
            vpc=network.vpc,
            subnet=network.network.public_subnets[0],
            security_group=network.security_groups.bastion,
            operators=[OperatorKey(name=op.name, ssh_public_key=op.ssh_public_key) for op in env_config.operators],
            sshd=SshdPolicy(
                unresponsive_client_check_interval_seconds=settings.unresponsive_client_check_interval_seconds,
                unresponsive_client_max_missed_checks=settings.unresponsive_client_max_missed_checks,
                idle_shell_timeout_seconds=settings.idle_shell_timeout_seconds,
                max_auth_tries=settings.max_auth_tries,
            ),
            volume_key=self.keys["volumes"],
            log_key=self.keys["logs"],
            log_retention=log_retention(settings.log_retention_days),
            instance_type=settings.instance_type,
            # ACC-2 over instance termination protection: revoking a key replaces the host, and CloudFormation
            # cannot terminate a replaced instance that has DisableApiTermination (see constructs/bastion_host.py).
            termination_protection=False,
        )
        self.alerts = SshAccessAlerts(
            self,
            "Alerts",
            environment_name=env_config.name,
            topic_key=self.keys["alerts"],
            alert_email=str(env_config.alert_email),
            auth_log_group=self.bastion.auth_log_group,
            shipped_log_groups={"auth": self.bastion.auth_log_group, "audit": self.bastion.audit_log_group},
        )
        self.job_roles = JobRoles(
            self,
            "JobRoles",
            environment_name=env_config.name,
            instance_id=self.bastion.instance.instance_id,
            operator_principals=env_config.access.operator_principals,
            auditor_principals=env_config.access.auditor_principals,
            mfa_max_age=cdk.Duration.seconds(env_config.access.mfa_max_age_seconds),
        )
