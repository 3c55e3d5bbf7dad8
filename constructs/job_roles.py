"""Job-function roles for server access (ACC-3, ACC-8, ACC-5).

ACC-3 ("server access limited to staff whose job role needs it"):
  - `operator`: connect to and manage the bastion only: start Session Manager sessions on that one instance
    with the SSH-tunnel or interactive-command documents, end or resume only its own sessions, start, stop
    and reboot that instance, and read EC2/SSM inventory;
  - `auditor`: read-only security configuration (AWS managed SecurityAudit).
ACC-8 / ACC-5: both are assumable only by the principals listed in config, only with MFA, for at most an
  hour per session. Permissions are customer-managed or AWS-managed policies, never inline.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs import Construct
from policies.acknowledgements import acknowledge, nag_resource_text

MFA_REQUIRED = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
SESSION_DOCUMENTS = ("AWS-StartSSHSession", "AWS-StartInteractiveCommand")
SECURITY_AUDIT = "SecurityAudit"
ONE_HOUR = cdk.Duration.hours(1)  # ACC-5: the longest a job-role session may last


def mfa_principals(arns: Sequence[str]) -> iam.IPrincipal:
    """The listed IAM principals, only when they signed in with MFA."""
    return iam.CompositePrincipal(*(iam.ArnPrincipal(arn) for arn in arns)).with_conditions(MFA_REQUIRED)


class JobRoles(Construct):
    """Exposes `operator`, `operator_policy` and `auditor`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment_name: str,
        instance_id: str,
        operator_principals: Sequence[str],
        auditor_principals: Sequence[str],
        max_session: cdk.Duration = ONE_HOUR,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        instance_arn = stack.format_arn(service="ec2", resource="instance", resource_name=instance_id)
        session_arns = stack.format_arn(service="ssm", resource="session", resource_name="*")
        documents = [
            stack.format_arn(service="ssm", account="", resource="document", resource_name=name)
            for name in SESSION_DOCUMENTS
        ]

        self.operator_policy = iam.ManagedPolicy(
            self,
            "OperatorPolicy",
            description=f"{environment_name}: connect to and manage the bastion only (ACC-3)",
            statements=[
                iam.PolicyStatement(
                    sid="StartSessionOnTheBastionOnly",
                    actions=["ssm:StartSession"],
                    resources=[instance_arn, *documents],
                    # Without a document name, StartSession would use the account's default shell document;
                    # this check makes that document need its own permission, which is not granted.
                    conditions={"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}},
                ),
                iam.PolicyStatement(
                    sid="OwnSessionsOnly",
                    actions=["ssm:TerminateSession", "ssm:ResumeSession"],
                    resources=[session_arns],
                    conditions={"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}"]}},
                ),
                iam.PolicyStatement(
                    sid="PowerOnTheBastionOnly",
                    actions=["ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances"],
                    resources=[instance_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadInventory",
                    actions=[
                        "ec2:DescribeInstances",
                        "ec2:DescribeInstanceStatus",
                        "ec2:DescribeAddresses",
                        "ec2:DescribeKeyPairs",
                        "ec2:DescribeSecurityGroups",
                        "ssm:DescribeInstanceInformation",
                        "ssm:DescribeSessions",
                        "ssm:GetConnectionStatus",
                    ],
                    resources=["*"],
                ),
            ],
        )
        self.operator = iam.Role(
            self,
            "Operator",
            assumed_by=mfa_principals(operator_principals),
            description=f"{environment_name} operator: bastion access only, MFA required (ACC-3)",
            max_session_duration=max_session,
            managed_policies=[self.operator_policy],
        )
        self.auditor = iam.Role(
            self,
            "Auditor",
            assumed_by=mfa_principals(auditor_principals),
            description=f"{environment_name} auditor: read-only security configuration, MFA required (ACC-3)",
            max_session_duration=max_session,
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(SECURITY_AUDIT)],
        )
        acknowledge(
            self.operator_policy,
            "AwsSolutions-IAM5[Resource::*]",
            control="ACC-3",
            basis="met another way",
            how="only read actions (ec2:Describe*, ssm:DescribeSessions/DescribeInstanceInformation/"
            "GetConnectionStatus) use '*', because these APIs accept no resource ARN; every action that changes "
            "or reaches a host is limited to the bastion instance's ARN.",
        )
        acknowledge(
            self.operator_policy,
            f"AwsSolutions-IAM5[Resource::{nag_resource_text(self, session_arns)}]",
            control="ACC-3",
            basis="met another way",
            how="ssm:TerminateSession/ResumeSession are limited to sessions whose session-id tag equals the caller's "
            "aws:userid, i.e. the operator's own sessions (the AWS-documented pattern for role sessions).",
        )
        acknowledge(
            self.auditor,
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{SECURITY_AUDIT}]",
            control="ACC-3",
            basis="met another way",
            how="SecurityAudit is AWS's maintained read-only job-function policy for auditors; AWS keeps it current "
            "as services add read APIs, which a hand-written copy would miss. It grants no write or data access.",
        )
