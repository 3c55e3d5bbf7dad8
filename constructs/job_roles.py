"""Job-function roles for server access (ACC-3, ACC-8, ACC-5).

ACC-3 ("server access limited to staff whose job role needs it"):
  - `operator`: connect to and manage the bastion only: start Session Manager sessions on that one instance
    with the SSH-tunnel document only (`AWS-StartSSHSession`, with `ssm:SessionDocumentAccessCheck`, so a session
    without a document name cannot open the default shell), end or resume only its own sessions, start, stop and
    reboot that instance, and read EC2/SSM inventory. ACC-2: the tunnel carries SSH, so the operator's key and
    `AllowUsers` still decide who logs in; a shell or command document (`AWS-StartInteractiveCommand`,
    `SSM-SessionManagerRunShell`) would run as root-capable `ssm-user` with no key and survive revocation;
  - `auditor`: read-only security configuration (AWS managed SecurityAudit).
ACC-8 / ACC-5: both are assumable only by the principals listed in config, only with MFA, only within
  `mfa_max_age` of the MFA sign-in, for at most an hour per session. The trust policy names each principal's
  account (its root principal) and matches the listed ARNs with `aws:PrincipalArn`: IAM refuses a trust policy
  that names a principal which does not exist yet ("Invalid principal"), and a named role that is re-created
  would silently lose trust (IAM stores its unique id). An account root in config trusts that whole account.
  Permissions are customer-managed or AWS-managed policies, never inline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs import Construct
from policies.access_rules import SSH_SESSION_DOCUMENTS
from policies.acknowledgements import acknowledge_cause, nag_resource_text
from policies.causes import ACTIONS_WITHOUT_RESOURCE_ARN, AWS_DOCUMENTED_MANAGED_POLICY, RUN_TIME_NAMES_IN_ONE_RESOURCE

SECURITY_AUDIT = "SecurityAudit"
OPS_VERIFY_POLICY = Path(__file__).resolve().parents[1] / "policies" / "iam" / "ops-verify.json"
ONE_HOUR = cdk.Duration.hours(1)  # ACC-5: the longest a job-role session may last


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def mfa_principals(arns: Sequence[str], *, mfa_max_age: cdk.Duration = ONE_HOUR) -> iam.IPrincipal:
    """The listed IAM principals, by account and `aws:PrincipalArn`, only with a recent MFA sign-in."""
    by_account: dict[str, list[str]] = {}
    for arn in arns:
        by_account.setdefault(_account_of(arn), []).append(arn)
    principals = []
    for account, listed in sorted(by_account.items()):
        conditions: dict[str, dict[str, object]] = {
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "NumericLessThanEquals": {"aws:MultiFactorAuthAge": str(int(mfa_max_age.to_seconds()))},
        }
        if not any(arn.endswith(":root") for arn in listed):
            conditions["ArnEquals"] = {"aws:PrincipalArn": sorted(set(listed))}
        principals.append(iam.AccountPrincipal(account).with_conditions(conditions))
    return iam.CompositePrincipal(*principals)


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
        mfa_max_age: cdk.Duration = ONE_HOUR,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        instance_arn = stack.format_arn(service="ec2", resource="instance", resource_name=instance_id)
        session_arns = stack.format_arn(service="ssm", resource="session", resource_name="*")
        documents = [
            stack.format_arn(service="ssm", account="", resource="document", resource_name=name)
            for name in sorted(SSH_SESSION_DOCUMENTS)
        ]

        self.operator_policy = iam.ManagedPolicy(
            self,
            "OperatorPolicy",
            description=f"{environment_name}: connect to and manage the bastion only (ACC-3)",
            statements=[
                iam.PolicyStatement(
                    sid="SshTunnelToTheBastionOnly",
                    actions=["ssm:StartSession"],
                    resources=[instance_arn, *documents],
                    # Without a document name, StartSession would use the account's default shell document;
                    # this check (as the Session Manager guide writes it) makes that document need its own
                    # permission, which is not granted: only the SSH tunnel opens.
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
            assumed_by=mfa_principals(operator_principals, mfa_max_age=mfa_max_age),
            description=f"{environment_name} operator: bastion access only, MFA required (ACC-3)",
            max_session_duration=max_session,
            managed_policies=[self.operator_policy],
        )
        self.auditor = iam.Role(
            self,
            "Auditor",
            assumed_by=mfa_principals(auditor_principals, mfa_max_age=mfa_max_age),
            description=f"{environment_name} auditor: read-only security configuration, MFA required (ACC-3)",
            max_session_duration=max_session,
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(SECURITY_AUDIT)],
        )
        # ACC-3 / CMP-1: the auditor can also run `python -m ops verify` and `keys` against the live environment with
        # exactly the read-only policy those commands publish (policies/iam/ops-verify.json, tested to cover them).
        self.auditor_verify_policy = iam.ManagedPolicy(
            self,
            "AuditorVerify",
            description=f"{environment_name} auditor: the read-only calls of python -m ops verify and keys",
            document=iam.PolicyDocument.from_json(json.loads(OPS_VERIFY_POLICY.read_text(encoding="utf-8"))),
            roles=[self.auditor],
        )
        # The verifier's Describe/Get/List calls (policies/iam/ops-verify.json) and the operator's reads (ec2:Describe*,
        # ssm:DescribeSessions/DescribeInstanceInformation/GetConnectionStatus) accept no resource ARN; everything
        # that changes or reaches a host is limited to the bastion instance's ARN.
        for policy in (self.auditor_verify_policy, self.operator_policy):
            acknowledge_cause(policy, "AwsSolutions-IAM5[Resource::*]", ACTIONS_WITHOUT_RESOURCE_ARN)
        # ssm:TerminateSession/ResumeSession: sessions whose session-id tag equals the caller's aws:userid, i.e. the
        # operator's own sessions (the AWS-documented pattern for role sessions).
        acknowledge_cause(
            self.operator_policy,
            f"AwsSolutions-IAM5[Resource::{nag_resource_text(self, session_arns)}]",
            RUN_TIME_NAMES_IN_ONE_RESOURCE,
        )
        # SecurityAudit: AWS's read-only job-function policy for auditors; it grants no write or data access.
        acknowledge_cause(
            self.auditor,
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{SECURITY_AUDIT}]",
            AWS_DOCUMENTED_MANAGED_POLICY,
        )
