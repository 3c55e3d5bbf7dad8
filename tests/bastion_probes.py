"""A tiny bastion for probe tests (ACC-2, ACC-5): the real construct in a one-AZ VPC, with the example's sshd policy."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from constructs import Construct
from constructs.bastion_host import BastionHost
from constructs.bastion_user_data import OperatorKey, SshdPolicy

SSHD = SshdPolicy(
    unresponsive_client_check_interval_seconds=300,
    unresponsive_client_max_missed_checks=2,
    idle_shell_timeout_seconds=900,
    max_auth_tries=3,
)


def tiny_bastion(stack: cdk.Stack, construct_id: str, operators: list[OperatorKey]) -> BastionHost:
    scope = Construct(stack, construct_id)
    vpc = ec2.Vpc(scope, "Vpc", max_azs=1, nat_gateways=0)
    return BastionHost(
        scope,
        "Bastion",
        environment_name="probe-dev",
        vpc=vpc,
        subnet=vpc.public_subnets[0],
        security_group=ec2.SecurityGroup(scope, "Sg", vpc=vpc, allow_all_outbound=False),
        operators=operators,
        sshd=SSHD,
        volume_key=kms.Key(scope, "Volumes", enable_key_rotation=True),
        log_key=kms.Key(scope, "Logs", enable_key_rotation=True),
        log_retention=logs.RetentionDays.ONE_YEAR,
    )
