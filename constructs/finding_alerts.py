"""The account's security alert topic and the finding rules that feed it (NET-4, NET-5, NET-6, ACC-4).

An encrypted, TLS-only SNS topic (constructs/alert_topic.py) with an e-mail subscription; EventBridge rules send
it GuardDuty findings of medium severity and above (severity >= 4) and new, active Security Hub findings labelled
HIGH or CRITICAL. CloudWatch alarms of this account (the CIS alarms) publish to it too. Only these rules and this
account's alarms may publish.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces import aws_events as events_refs

from constructs import Construct
from constructs.alert_topic import AlertTopic, TopicPublisher

GUARDDUTY_MEDIUM: Final = 4  # GuardDuty severities: low 1-3.9, medium 4-6.9, high 7-8.9, critical 9-10
SECURITY_HUB_LABELS: Final = ("HIGH", "CRITICAL")


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """Targets the topic without CDK's topic-policy statement (which admits EventBridge from any account)."""

    def __init__(self, topic: sns.ITopic) -> None:
        self._topic = topic

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn)


class FindingAlerts(Construct):
    """Exposes `topic` and `rules[name]` (guardduty, security_hub)."""

    def __init__(self, scope: Construct, construct_id: str, *, display_name: str, key: kms.IKey, email: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        alarms = f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
        self.alert_topic = AlertTopic(
            self,
            "Alerts",
            display_name=display_name,
            key=key,
            email=email,
            publishers=[
                TopicPublisher(
                    "AllowCloudWatchAlarms", "cloudwatch.amazonaws.com", {"ArnLike": {"aws:SourceArn": alarms}}
                )
            ],
        )
        self.topic = self.alert_topic.topic
        self.rules: dict[str, events.Rule] = {}
        self._rule(
            "guardduty",
            "GuardDutyFindings",
            "NET-4 / NET-5 / NET-6: a GuardDuty finding of medium severity or above",
            events.EventPattern(
                source=["aws.guardduty"],
                detail_type=["GuardDuty Finding"],
                detail={"severity": [{"numeric": [">=", GUARDDUTY_MEDIUM]}]},
            ),
        )
        self._rule(
            "security_hub",
            "SecurityHubFindings",
            "NET-5 / CMP-1: a new Security Hub finding of high or critical severity",
            events.EventPattern(
                source=["aws.securityhub"],
                detail_type=["Security Hub Findings - Imported"],
                detail={
                    "findings": {
                        "Severity": {"Label": list(SECURITY_HUB_LABELS)},
                        "Workflow": {"Status": ["NEW"]},
                        "RecordState": ["ACTIVE"],
                    }
                },
            ),
        )
        # The topic policy admits these rules (aws:SourceArn); the key admits EventBridge only for this topic, by
        # encryption context (ENC-3: its KMS requests may not carry aws:Source* keys).
        self.alert_topic.admit(
            TopicPublisher("AllowTheseEventRules", "events.amazonaws.com"),
            {"ArnEquals": {"aws:SourceArn": [rule.rule_arn for rule in self.rules.values()]}},
        )

    def _rule(self, name: str, construct_id: str, description: str, pattern: events.EventPattern) -> None:
        rule = events.Rule(self, construct_id, description=description, event_pattern=pattern)
        rule.add_target(_TopicTarget(self.topic))
        self.rules[name] = rule
