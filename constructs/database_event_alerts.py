"""RDS event subscriptions that reach the environment's alert topic (ACC-4, HA-1; Security Hub RDS.20, RDS.21, RDS.22).

Three subscriptions, as Security Hub's RDS controls name them: the database's critical events (failure, failover,
availability, low storage, maintenance, configuration change, deletion, recovery, security patching), every
parameter-group configuration change and every DB security-group configuration change or failure of the account and
region (parameter and security groups get generated names, so they are not listed one by one).

RDS publishes as `events.rds.amazonaws.com` (RDS user guide, "Granting permissions to publish notifications to an
Amazon SNS topic"): the topic policy admits it for this account's RDS resources (`aws:SourceAccount`, `ArnLike
aws:SourceArn arn:<partition>:rds:<region>:<account>:*`), and `AlertTopic.admit` admits it to the topic's key bound
by SNS's encryption context, which an encrypted topic needs (ENC-3).
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_rds as rds

from constructs import Construct
from constructs.alert_topic import TopicPublisher

RDS_EVENTS_SERVICE: Final = "events.rds.amazonaws.com"
# Source type -> event categories (RDS user guide, "Amazon RDS event categories and event messages").
CRITICAL_INSTANCE_EVENTS: Final = (
    "availability",
    "configuration change",
    "deletion",
    "failover",
    "failure",
    "low storage",
    "maintenance",
    "recovery",
    "security patching",
)
GROUP_EVENTS: Final = {
    "db-parameter-group": ("configuration change",),
    "db-security-group": ("configuration change", "failure"),
}


def rds_event_publisher(scope: Construct) -> TopicPublisher:
    """The topic-policy admission of RDS event notifications of this account and region."""
    stack = cdk.Stack.of(scope)
    return TopicPublisher(
        "AllowRdsEventsOfThisAccount",
        RDS_EVENTS_SERVICE,
        {"ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:rds:{stack.region}:{stack.account}:*"}},
    )


class DatabaseEventAlerts(Construct):
    """Exposes `subscriptions`, keyed by RDS source type."""

    def __init__(self, scope: Construct, construct_id: str, *, instance_identifier: str, topic_arn: str) -> None:
        super().__init__(scope, construct_id)
        self.subscriptions: dict[str, rds.CfnEventSubscription] = {
            "db-instance": rds.CfnEventSubscription(
                self,
                "Instance",
                sns_topic_arn=topic_arn,
                source_type="db-instance",
                source_ids=[instance_identifier],
                event_categories=list(CRITICAL_INSTANCE_EVENTS),
                enabled=True,
            )
        }
        for source_type, categories in GROUP_EVENTS.items():
            self.subscriptions[source_type] = rds.CfnEventSubscription(
                self,
                "".join(part.title() for part in source_type.split("-")[1:]),
                sns_topic_arn=topic_arn,
                source_type=source_type,
                event_categories=list(categories),
                enabled=True,
            )
