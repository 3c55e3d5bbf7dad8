"""The public edge (NET-3, ENC-1, ACC-6): an internet-facing application load balancer that speaks only HTTPS.

- One listener, on 443, with the newest TLS 1.3 policy aws-cdk-lib 2.275 offers
  (`ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09`: TLS 1.3 and 1.2, GCM ciphers only, hybrid post-quantum key
  exchange). There is no port-80 listener at all: the edge security group admits 443 only (NET-3), so a redirect
  listener on 80 could not be reached, and nothing is ever served in cleartext.
- Every request is authenticated through the user pool before it is forwarded (ACC-6); the session cookie lives
  `session_timeout` (ACC-5).
- Invalid header fields are dropped and desync mitigation is strictest; deletion protection in production.
- Access logs go to an SSE-S3 bucket: ALB log delivery supports no other server-side encryption (ELB user guide,
  "Enable access logs": "The only server-side encryption option that's supported is Amazon S3-managed keys").
- Traffic reaches the application tier only through the network stack's `edge` security group, which is chained
  to the `application` group by reference (constructs/role_security_groups.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_elasticloadbalancingv2_actions as elbv2_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from aws_cdk import region_info

from constructs import Construct
from constructs.access_log_bucket import AccessLogBucket, acknowledge_log_target, log_delivery_bucket
from policies.acknowledgements import acknowledge
from policies.rule_targets import COMPLIANCE_PACKS, in_compliance_packs

HTTPS = 443
# ENC-1: the newest TLS 1.3 policy in aws-cdk-lib 2.275's SslPolicy (2025-09, restricted ciphers, post-quantum).
TLS_POLICY = elbv2.SslPolicy.TLS13_12_RES_PQ


class EdgeLoadBalancer(Construct):
    """Exposes `load_balancer`, `listener`, `target_group`, `log_bucket` and `record`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        public_subnets: Sequence[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        certificate: acm.ICertificate,
        zone: route53.IHostedZone,
        domain: str,
        user_pool: cognito.IUserPool,
        user_pool_client: cognito.IUserPoolClient,
        user_pool_domain: cognito.IUserPoolDomain,
        session_timeout: cdk.Duration,
        deletion_protection: bool,
        target_port: int = HTTPS,
        log_retention_days: int = 365,
    ) -> None:
        super().__init__(scope, construct_id)
        # NET-3: the only ingress from the internet, on the network stack's edge group (the Project pack allows an
        # edge group 0.0.0.0/0 on 443 only). The rule is written into that group in the network template.
        security_group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS), "HTTPS from the internet (NET-3)")
        acknowledge(
            security_group,
            "AwsSolutions-EC23",
            control="NET-3",
            basis="met another way",
            how="a public edge must accept HTTPS from any client: this group admits 0.0.0.0/0 on 443 only, to the "
            "load balancer, whose web ACL (managed rule groups, per-IP rate limit) filters every request and whose "
            "listener authenticates it through the user pool before anything is forwarded (ACC-6).",
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnets=list(public_subnets)),
            security_group=security_group,
            drop_invalid_header_fields=True,
            desync_mitigation_mode=elbv2.DesyncMitigationMode.STRICTEST,
            deletion_protection=deletion_protection,
        )
        if not deletion_protection:
            acknowledge(
                self.load_balancer,
                (
                    *in_compliance_packs("ELBDeletionProtectionEnabled", COMPLIANCE_PACKS[:2]),
                    "cdk-validator-cfnguard::elbv2_deletion_protection_enabled_check",
                ),
                control="HA-1",
                basis="not applicable",
                how="below production an environment is disposable and rebuilt from code, and deletion "
                "protection would block tearing its edge down; production load balancers have it on.",
            )
        self.log_bucket = self._log_bucket(log_retention_days)
        self._deliver_access_logs(self.log_bucket, "alb")

        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "Application",
            vpc=vpc,
            port=target_port,
            protocol=elbv2.ApplicationProtocol.HTTPS,  # ENC-1: TLS to the targets too
            target_type=elbv2.TargetType.IP,
            health_check=elbv2.HealthCheck(protocol=elbv2.Protocol.HTTPS, path="/", healthy_http_codes="200-399"),
        )
        self.listener = self.load_balancer.add_listener(
            "Https",
            port=HTTPS,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
            ssl_policy=TLS_POLICY,
            open=False,  # the ingress above is the only one
            default_action=elbv2_actions.AuthenticateCognitoAction(
                user_pool=user_pool,
                user_pool_client=user_pool_client,
                user_pool_domain=user_pool_domain,
                session_timeout=session_timeout,
                on_unauthenticated_request=elbv2.UnauthenticatedAction.AUTHENTICATE,
                next=elbv2.ListenerAction.forward([self.target_group]),
            ),
        )
        self.record = route53.ARecord(
            self,
            "Alias",
            zone=zone,
            record_name=domain,
            target=route53.RecordTarget.from_alias(route53_targets.LoadBalancerTarget(self.load_balancer)),
        )

    def _deliver_access_logs(self, bucket: s3.Bucket, prefix: str) -> None:
        """Turn on access logs with only the grant ALB log delivery needs (ELB user guide, "Enable access logs"):
        the region's Elastic Load Balancing account (regions opened from August 2022 use the
        logdelivery.elasticloadbalancing.amazonaws.com principal instead) may put objects under this account's
        prefix. CDK's `log_access_logs` also admits `delivery.logs.amazonaws.com` (NLB log delivery) without a
        source-account condition, which an ALB does not need."""
        stack = cdk.Stack.of(self)
        elb_account = region_info.RegionInfo.get(stack.region).elbv2_account
        principal: iam.IPrincipal = (
            iam.AccountPrincipal(elb_account)
            if elb_account
            else iam.ServicePrincipal("logdelivery.elasticloadbalancing.amazonaws.com")
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="LoadBalancerDeliversAccessLogs",
                principals=[principal],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{prefix}/AWSLogs/{stack.account}/*")],
            )
        )
        attributes = {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": bucket.bucket_name}
        for key, value in {**attributes, "access_logs.s3.prefix": prefix}.items():
            self.load_balancer.set_attribute(key, value)
        assert bucket.policy is not None
        # ELB checks its write permission when the attribute is set, so the policy must exist first.
        self.load_balancer.node.add_dependency(bucket.policy)

    def _log_bucket(self, retention_days: int) -> s3.Bucket:
        server_logs = AccessLogBucket(self, "LogBucketAccessLogs", retention_days=retention_days)
        bucket = log_delivery_bucket(
            self,
            "Logs",
            lifecycle_rule_id="expire-load-balancer-logs",
            retention_days=retention_days,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            server_access_logs=(server_logs.bucket, "alb-logs/"),
        )
        acknowledge_log_target(bucket)
        return bucket
