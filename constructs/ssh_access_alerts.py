"""Alerts on SSH key changes and SSH attacks, to an encrypted, TLS-only SNS topic (ACC-2, NET-4).

ACC-2 ("keys are closely monitored"): EventBridge rules alert on
  - CloudTrail EC2 key-pair API calls (CreateKeyPair, ImportKeyPair, DeleteKeyPair): a key pair added or
    removed outside a reviewed deploy is visible at once (a deploy that changes operators alerts too, as it should);
  - EC2 Instance Connect SendSSHPublicKey / SendSerialConsoleSSHPublicKey: pushing a temporary key bypasses the
    named-operator model;
  - GuardDuty `UnauthorizedAccess:EC2/SSHBruteForce` findings.
NET-4 (brute force detected): a metric filter counts failed SSH logins in the bastion's auth log and an alarm
  notifies the topic when they reach the threshold (default 5 in 5 minutes).

The failed-login filter matches any of these sshd lines in /var/log/secure (LogLevel VERBOSE):
  "Failed publickey" (a key offered and refused), "Invalid user" (a login name that does not exist),
  "authentication failure" (PAM), "maximum authentication attempts exceeded" (MaxAuthTries reached).
Key-API events arrive through CloudTrail management events, which the environment's trail records (ACC-4).
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces import aws_events as events_refs

from constructs import Construct
from constructs.alert_topic import AlertTopic, TopicPublisher

KEY_PAIR_EVENTS = ("CreateKeyPair", "ImportKeyPair", "DeleteKeyPair")
INSTANCE_CONNECT_EVENTS = ("SendSSHPublicKey", "SendSerialConsoleSSHPublicKey")
SSH_BRUTE_FORCE_FINDINGS = ("UnauthorizedAccess:EC2/SSHBruteForce",)
FAILED_SSH_LOGIN_TERMS = (
    "Failed publickey",
    "Invalid user",
    "authentication failure",
    "maximum authentication attempts exceeded",
)
CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail"
FIVE_MINUTES = cdk.Duration.minutes(5)


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """Targets the topic without CDK's topic-policy statement, which would admit EventBridge from any account;
    `SshAccessAlerts` admits its own rules by ARN instead."""

    def __init__(self, topic: sns.ITopic) -> None:
        self._topic = topic

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn)


class SshAccessAlerts(Construct):
    """Exposes `topic`, `rules[name]` (key_pairs, instance_connect, ssh_brute_force), `failed_logins_filter`,
    `failed_logins_metric` and `failed_logins_alarm`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment_name: str,
        topic_key: kms.IKey,
        alert_email: str,
        auth_log_group: logs.ILogGroup,
        failed_login_threshold: int = 5,
        failed_login_period: cdk.Duration = FIVE_MINUTES,
        metric_namespace: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        alarms = f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
        alerts = AlertTopic(
            self,
            "Alerts",
            display_name=f"{environment_name} SSH access alerts",
            key=topic_key,
            email=alert_email,
            publishers=[
                TopicPublisher(
                    "AllowCloudWatchAlarms", "cloudwatch.amazonaws.com", {"ArnLike": {"aws:SourceArn": alarms}}
                )
            ],
        )
        self.topic = alerts.topic

        self.rules: dict[str, events.Rule] = {}
        self._rule(
            "key_pairs",
            "KeyPairApiRule",
            "ACC-2: an EC2 key pair was created, imported or deleted",
            events.EventPattern(
                source=["aws.ec2"],
                detail_type=[CLOUDTRAIL_API_CALL],
                detail={"eventSource": ["ec2.amazonaws.com"], "eventName": list(KEY_PAIR_EVENTS)},
            ),
        )
        self._rule(
            "instance_connect",
            "InstanceConnectRule",
            "ACC-2: a temporary SSH key was pushed with EC2 Instance Connect",
            events.EventPattern(
                source=["aws.ec2-instance-connect"],
                detail_type=[CLOUDTRAIL_API_CALL],
                detail={
                    "eventSource": ["ec2-instance-connect.amazonaws.com"],
                    "eventName": list(INSTANCE_CONNECT_EVENTS),
                },
            ),
        )
        self._rule(
            "ssh_brute_force",
            "SshBruteForceRule",
            "ACC-2 / NET-4: GuardDuty reports SSH brute force",
            events.EventPattern(
                source=["aws.guardduty"],
                detail_type=["GuardDuty Finding"],
                detail={"type": list(SSH_BRUTE_FORCE_FINDINGS)},
            ),
        )

        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowTheseEventRules",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"ArnEquals": {"aws:SourceArn": [rule.rule_arn for rule in self.rules.values()]}},
            )
        )

        namespace = metric_namespace or f"{environment_name}/Bastion"
        self.failed_logins_filter = logs.MetricFilter(
            self,
            "FailedSshLogins",
            log_group=auth_log_group,
            filter_pattern=logs.FilterPattern.any_term(*FAILED_SSH_LOGIN_TERMS),
            metric_namespace=namespace,
            metric_name="FailedSshLogins",
            metric_value="1",
            default_value=0,
        )
        self.failed_logins_metric = self.failed_logins_filter.metric(
            statistic=cloudwatch.Stats.SUM, period=failed_login_period
        )
        self.failed_logins_alarm = cloudwatch.Alarm(
            self,
            "FailedSshLoginsAlarm",
            alarm_description=(
                f"NET-4 / ACC-2: {failed_login_threshold} or more failed SSH logins on the {environment_name} "
                f"bastion within {failed_login_period.to_minutes()} minutes"
            ),
            metric=self.failed_logins_metric,
            threshold=failed_login_threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.failed_logins_alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))

    def _rule(self, name: str, construct_id: str, description: str, pattern: events.EventPattern) -> None:
        rule = events.Rule(self, construct_id, description=description, event_pattern=pattern)
        rule.add_target(_TopicTarget(self.topic))
        self.rules[name] = rule
