"""Alerts on SSH key changes and SSH attacks, to an encrypted, TLS-only SNS topic (ACC-2, NET-4).

ACC-2 ("keys are closely monitored"): EventBridge rules alert on
  - CloudTrail EC2 key-pair API calls (CreateKeyPair, ImportKeyPair, DeleteKeyPair): a key pair added or
    removed outside a reviewed deploy is visible at once (a deploy that changes operators alerts too, as it should);
  - EC2 Instance Connect SendSSHPublicKey / SendSerialConsoleSSHPublicKey: the bastion no longer accepts pushed
    keys (Instance Connect is removed at boot), so a push is an attempt to bypass the named-operator model and
    still worth an alert;
  - GuardDuty `UnauthorizedAccess:EC2/SSHBruteForce` findings.
NET-4 (brute force detected): a metric filter counts failed SSH logins in the bastion's auth log and an alarm
  notifies the topic when they reach the threshold (default 5 in 5 minutes). No data there means no failures.
ACC-4 (the trail exists): because "no failed logins" and "no logs at all" look the same to that alarm, a second
  alarm per shipped log group fires when the group receives no events (`AWS/Logs IncomingLogEvents`, missing
  data breaching) for the silence period: the host writes a heartbeat line to the auth log every few minutes (and
  systemd records each heartbeat run in the audit log), so silence means a failed install at boot, a stopped agent
  or a host that is gone. It notifies again when logs return.

The failed-login filter matches any of these sshd lines in /var/log/secure (LogLevel VERBOSE):
  "Failed publickey" (a key offered and refused), "Invalid user" (a login name that does not exist),
  "authentication failure" (PAM), "maximum authentication attempts exceeded" (MaxAuthTries reached).
Key-API events arrive through CloudTrail management events, which the environment's trail records (ACC-4).
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
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
FIFTEEN_MINUTES = cdk.Duration.minutes(15)
INCOMING_LOG_EVENTS = "IncomingLogEvents"


def incoming_log_events(group: logs.ILogGroup, period: cdk.Duration) -> cloudwatch.Metric:
    """AWS/Logs IncomingLogEvents of one log group, summed per period. Written out because aws-cdk-lib 2.275's
    `LogGroup.metric_incoming_log_events()` names the metric `IncomingLogs`, which CloudWatch Logs never publishes."""
    return cloudwatch.Metric(
        namespace="AWS/Logs",
        metric_name=INCOMING_LOG_EVENTS,
        dimensions_map={"LogGroupName": group.log_group_name},
        statistic=cloudwatch.Stats.SUM,
        period=period,
    )


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
    `failed_logins_metric`, `failed_logins_alarm` and `silence_alarms[name]` (one per shipped log group)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment_name: str,
        topic_key: kms.IKey,
        alert_email: str,
        auth_log_group: logs.ILogGroup,
        shipped_log_groups: Mapping[str, logs.ILogGroup] | None = None,
        failed_login_threshold: int = 5,
        failed_login_period: cdk.Duration = FIVE_MINUTES,
        metric_namespace: str | None = None,
        silence_period: cdk.Duration = FIFTEEN_MINUTES,
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
            topic_name=f"{environment_name}-ssh-access-alerts",
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

        alerts.admit(
            TopicPublisher("AllowTheseEventRules", "events.amazonaws.com"),
            {"ArnEquals": {"aws:SourceArn": [rule.rule_arn for rule in self.rules.values()]}},
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

        self.silence_alarms: dict[str, cloudwatch.Alarm] = {}
        for name, group in (shipped_log_groups or {"auth": auth_log_group}).items():
            alarm = cloudwatch.Alarm(
                self,
                f"{name.title()}LogSilentAlarm",
                alarm_description=(
                    f"ACC-4: the {environment_name} bastion's {name} log group received no events for "
                    f"{silence_period.to_minutes()} minutes, although the host writes to it every few minutes "
                    "(heartbeat): its log is not shipped, and alerts built on it cannot fire"
                ),
                metric=incoming_log_events(group, silence_period),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
            alarm.add_ok_action(cloudwatch_actions.SnsAction(self.topic))
            self.silence_alarms[name] = alarm

    def _rule(self, name: str, construct_id: str, description: str, pattern: events.EventPattern) -> None:
        rule = events.Rule(self, construct_id, description=description, event_pattern=pattern)
        rule.add_target(_TopicTarget(self.topic))
        self.rules[name] = rule
