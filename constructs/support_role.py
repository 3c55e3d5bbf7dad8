"""The account's AWS Support role (ACC-8; CIS AWS Foundations 1.17, Security Hub IAM.18).

CIS asks for an IAM role that carries AWS's `AWSSupportAccess` so incidents can be raised and followed with AWS
Support, rather than a standing IAM user holding that policy. Like the job roles (ACC-3) it is assumed by people of
this account after an MFA sign-in within the hour (`constructs/job_roles.mfa_principals`), each of whom still needs
an identity policy that lets them call `sts:AssumeRole` on it: the account's administrators grant that to the
people who handle incidents. It carries nothing but `AWSSupportAccess`.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs import Construct
from constructs.job_roles import mfa_principals
from policies.acknowledgements import acknowledge_cause
from policies.causes import AWS_DOCUMENTED_MANAGED_POLICY

SUPPORT_POLICY: Final = "AWSSupportAccess"
MAX_SESSION: Final = cdk.Duration.hours(1)


class SupportRole(Construct):
    """Exposes `role`."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=mfa_principals([f"arn:{stack.partition}:iam::{stack.account}:root"]),
            description="AWS Support cases for incidents, by this account's people after MFA (CIS 1.17, ACC-8)",
            max_session_duration=MAX_SESSION,
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(SUPPORT_POLICY)],
        )
        cfn = self.role.node.default_child
        assert isinstance(cfn, iam.CfnRole)
        # CIS AWS Foundations 1.17 asks for exactly AWS's managed AWSSupportAccess on a support role (ACC-8); it grants
        # only AWS Support case actions and the role carries nothing else.
        acknowledge_cause(
            cfn,
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{SUPPORT_POLICY}]",
            AWS_DOCUMENTED_MANAGED_POLICY,
        )
