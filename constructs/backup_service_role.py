"""The role AWS Backup assumes for backup, copy, restore and restore-test jobs (BAK-1..6).

It carries AWS's managed AWS Backup service-role policies and nothing else.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from constructs import Construct
from constructs.trusted_service import trusted_service
from policies.acknowledgements import acknowledge_cause
from policies.causes import AWS_DOCUMENTED_MANAGED_POLICY

BACKUP_SERVICE = "backup.amazonaws.com"
SERVICE_ROLE_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)


def backup_service_role(scope: Construct, construct_id: str, *, description: str) -> iam.Role:
    """A role assumable only by AWS Backup, carrying AWS's maintained AWS Backup service-role policies."""
    role = iam.Role(scope, construct_id, assumed_by=trusted_service(scope, BACKUP_SERVICE), description=description)
    for policy_name in SERVICE_ROLE_POLICIES:
        role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name(policy_name))
        # AWS's maintained policies for the AWS Backup service role follow every resource type AWS Backup supports;
        # the role is assumable only by backup.amazonaws.com and carries no other permission (BAK-6).
        acknowledge_cause(
            role,
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy_name}]",
            AWS_DOCUMENTED_MANAGED_POLICY,
        )
    return role
