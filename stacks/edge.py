"""EdgeStack: the environment's public edge, built only when its config has an `edge` section.

Certificate (ENC-1), load balancer (NET-3, ENC-1), web application firewall (NET-3, NET-4), user pool and sign-in
(ACC-5, ACC-6, ACC-7), an alert topic for the firewall's alarm, and, when `edge.app_image` is set, the application
behind the load balancer (one Fargate service in the application tier).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from config import EnvironmentConfig
from config.model import EdgeSettings
from constructs import Construct
from constructs.alert_topic import AlertTopic, TopicPublisher
from constructs.edge_certificate import EdgeCertificate
from constructs.edge_load_balancer import EdgeLoadBalancer
from constructs.edge_service import EdgeService
from constructs.purpose_keys import PurposeKeys, logs_service_use
from constructs.sign_in import SignIn
from constructs.web_firewall import WebFirewall
from stacks.environment_stack import EnvironmentStack, log_retention
from stacks.network import NetworkStack


class EdgeStack(EnvironmentStack):
    def __init__(
        self,
        scope: Construct,
        *,
        env_config: EnvironmentConfig,
        settings: EdgeSettings,
        network: NetworkStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope, "edge", env_config=env_config, description="TLS edge, web firewall, user pool", **kwargs
        )
        self.keys = PurposeKeys(
            self,
            "Keys",
            alias_prefix=f"{env_config.name}/edge",
            purposes={"logs": [], "alerts": ["sns"]},
            # CloudWatch is admitted to the alerts key by the topic itself, bound to it by encryption context (ENC-3).
            service_users={"logs": [logs_service_use(self)]},
        ).keys
        alarms = f"arn:{self.partition}:cloudwatch:{self.region}:{self.account}:alarm:*"
        self.alerts = AlertTopic(
            self,
            "Alerts",
            display_name=f"{env_config.name} edge alerts",
            key=self.keys["alerts"],
            email=str(env_config.alert_email),
            publishers=[
                TopicPublisher(
                    "AllowCloudWatchAlarms", "cloudwatch.amazonaws.com", {"ArnLike": {"aws:SourceArn": alarms}}
                )
            ],
        )
        self.certificate = EdgeCertificate(
            self,
            "Certificate",
            domain=settings.domain,
            hosted_zone_id=settings.hosted_zone_id,
            hosted_zone_name=settings.hosted_zone_name,
            key_algorithm=settings.certificate_key_algorithm,
        )
        self.sign_in = SignIn(
            self,
            "SignIn",
            environment_name=env_config.name,
            domain_prefix=settings.sign_in_domain_prefix,
            scopes=settings.oauth_scopes,
            callback_urls=settings.allowed_callback_urls,
            logout_urls=settings.allowed_logout_urls,
            access_token_validity=cdk.Duration.minutes(settings.access_token_minutes),
            id_token_validity=cdk.Duration.minutes(settings.id_token_minutes),
            refresh_token_validity=cdk.Duration.days(settings.refresh_token_days),
            self_sign_up=settings.self_sign_up,
        )
        self.load_balancer = EdgeLoadBalancer(
            self,
            "Edge",
            vpc=network.vpc,
            public_subnets=network.network.public_subnets,
            security_group=network.security_groups.edge,
            certificate=self.certificate.certificate,
            zone=self.certificate.zone,
            domain=settings.domain,
            user_pool=self.sign_in.user_pool,
            user_pool_client=self.sign_in.client,
            user_pool_domain=self.sign_in.domain,
            session_timeout=cdk.Duration.minutes(settings.session_timeout_minutes),
            deletion_protection=env_config.is_production,
            log_retention_days=settings.log_retention_days,
        )
        self.firewall = WebFirewall(
            self,
            "Firewall",
            name=f"{env_config.name}-edge",
            resource_arn=self.load_balancer.load_balancer.load_balancer_arn,
            rate_limit=settings.rate_limit_per_5_min,
            log_key=self.keys["logs"],
            log_retention=log_retention(settings.log_retention_days),
            alert_topic=self.alerts.topic,
            blocked_requests_threshold=settings.blocked_requests_alarm_threshold,
        )
        self.service = (
            EdgeService(
                self,
                "Application",
                environment_name=env_config.name,
                image=settings.app_image,
                vpc=network.vpc,
                subnets=network.network.application_subnets,
                security_group=network.security_groups.application,
                target_group=self.load_balancer.target_group,
                log_key=self.keys["logs"],
                log_retention=log_retention(settings.log_retention_days),
            )
            if settings.app_image
            else None
        )
