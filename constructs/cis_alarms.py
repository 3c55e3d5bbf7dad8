"""CIS AWS Foundations metric filters and alarms on the trail's log group (NET-4, ACC-4).

One metric filter and one alarm per CIS monitoring recommendation (Security Hub controls CloudWatch.1-14, and CIS
4.15, AWS Organizations changes, which Security Hub has no control for): any matching event in five minutes notifies
the encrypted security topic. Patterns follow the CIS benchmark text.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns

from constructs import Construct


def _any_event(*names: str, source: str | None = None) -> str:
    events = " || ".join(f"($.eventName = {name})" for name in names)
    return f"{{ ($.eventSource = {source}) && ({events}) }}" if source else f"{{ {events} }}"


# Security Hub control id (or CIS recommendation) -> (metric name, what it catches, CloudWatch Logs filter pattern).
CIS_ALARMS: Final[dict[str, tuple[str, str, str]]] = {
    "CloudWatch.1": (
        "RootAccountUsage",
        "the root user was used",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    ),
    "CloudWatch.2": (
        "UnauthorizedApiCalls",
        "API calls were refused as unauthorized",
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    ),
    "CloudWatch.3": (
        "ConsoleSignInWithoutMfa",
        "an IAM user signed in to the console without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    "CloudWatch.4": (
        "IamPolicyChanges",
        "an IAM policy was changed",
        _any_event(
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ),
    ),
    "CloudWatch.5": (
        "CloudTrailChanges",
        "a trail was created, changed, stopped or deleted",
        _any_event("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    ),
    "CloudWatch.6": (
        "ConsoleSignInFailures",
        "console sign-in failed (brute force)",
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    ),
    "CloudWatch.7": (
        "CmkDisabledOrScheduledForDeletion",
        "a customer-managed key was disabled or scheduled for deletion",
        _any_event("DisableKey", "ScheduleKeyDeletion", source="kms.amazonaws.com"),
    ),
    "CloudWatch.8": (
        "S3BucketPolicyChanges",
        "an S3 bucket policy, ACL, CORS, lifecycle or replication setting changed",
        _any_event(
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
            source="s3.amazonaws.com",
        ),
    ),
    "CloudWatch.9": (
        "ConfigChanges",
        "AWS Config recording or delivery was changed or stopped",
        _any_event(
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
            source="config.amazonaws.com",
        ),
    ),
    "CloudWatch.10": (
        "SecurityGroupChanges",
        "a security group was changed",
        _any_event(
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ),
    ),
    "CloudWatch.11": (
        "NetworkAclChanges",
        "a network ACL was changed",
        _any_event(
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ),
    ),
    "CloudWatch.12": (
        "NetworkGatewayChanges",
        "a customer or internet gateway was changed",
        _any_event(
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ),
    ),
    "CloudWatch.13": (
        "RouteTableChanges",
        "a route table was changed",
        _any_event(
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
            source="ec2.amazonaws.com",
        ),
    ),
    "CloudWatch.14": (
        "VpcChanges",
        "a VPC or VPC peering connection was changed",
        _any_event(
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        ),
    ),
    # CIS AWS Foundations Benchmark 4.15 (v1.4.0 and later): organization, account, OU and policy changes.
    "CIS.4.15": (
        "OrganizationsChanges",
        "the AWS Organization, its accounts, OUs or policies were changed",
        _any_event(
            '"AcceptHandshake"',
            '"AttachPolicy"',
            '"CreateAccount"',
            '"CreateOrganizationalUnit"',
            '"CreatePolicy"',
            '"DeclineHandshake"',
            '"DeleteOrganization"',
            '"DeleteOrganizationalUnit"',
            '"DeletePolicy"',
            '"DetachPolicy"',
            '"DisablePolicyType"',
            '"EnablePolicyType"',
            '"InviteAccountToOrganization"',
            '"LeaveOrganization"',
            '"MoveAccount"',
            '"RemoveAccountFromOrganization"',
            '"UpdatePolicy"',
            '"UpdateOrganizationalUnit"',
            source="organizations.amazonaws.com",
        ),
    ),
}
NAMESPACE: Final = "CISBenchmark"


class CisAlarms(Construct):
    """Exposes `filters[control]` and `alarms[control]`, keyed by Security Hub control id (or CIS recommendation)."""

    def __init__(self, scope: Construct, construct_id: str, *, log_group: logs.ILogGroup, topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        self.filters: dict[str, logs.MetricFilter] = {}
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        action = cloudwatch_actions.SnsAction(topic)
        for control, (metric_name, what, pattern) in CIS_ALARMS.items():
            metric_filter = logs.MetricFilter(
                self,
                metric_name,
                log_group=log_group,
                filter_pattern=logs.FilterPattern.literal(pattern),
                metric_namespace=NAMESPACE,
                metric_name=metric_name,
                metric_value="1",
            )
            alarm = cloudwatch.Alarm(
                self,
                f"{metric_name}Alarm",
                alarm_description=f"CIS {control} (NET-4, ACC-4): {what}",
                metric=metric_filter.metric(statistic=cloudwatch.Stats.SUM, period=cdk.Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            self.filters[control], self.alarms[control] = metric_filter, alarm
