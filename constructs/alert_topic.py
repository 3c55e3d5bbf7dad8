"""An SNS topic for security and backup alerts (ENC-1, ENC-3, ACC-4).

Encrypted with a customer-managed key, TLS-only, one e-mail subscription, and publishable only by the named
AWS services acting for this account. The topic policy replaces SNS's default, so every publisher is named here.

ENC-3 / ACC-4: each publishing service is also admitted to the topic's key, as the SNS guide documents for AWS
event sources and encrypted topics (`kms:GenerateDataKey*` and `kms:Decrypt`), bound to this topic by SNS's
encryption context (`kms:EncryptionContext:aws:sns:topicArn`) and never by `aws:SourceAccount`/`aws:SourceArn`:
EventBridge's KMS requests for an encrypted topic may not carry them, which would drop every alert silently. The
topic has a fixed name so the key policy can name its ARN without a reference cycle (the topic uses the key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from constructs import Construct

# What an AWS service needs of the key to publish to an encrypted topic (SNS developer guide, key management).
PUBLISHER_KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")


@dataclass(frozen=True)
class TopicPublisher:
    """A service principal allowed to publish; `conditions` are added to the topic policy's this-account condition
    (the topic policy, unlike the key policy, sees the publisher's source account and ARN)."""

    sid: str
    service: str
    conditions: Mapping[str, Any] = field(default_factory=dict)


class AlertTopic(Construct):
    """Exposes `topic`, `topic_arn_text` (the ARN built from the fixed name) and `subscription`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        display_name: str,
        key: kms.IKey,
        email: str,
        publishers: Sequence[TopicPublisher],
        topic_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        name = topic_name or cdk.Names.unique_resource_name(self, separator="-", max_length=256)
        self._key = key
        self.topic = sns.Topic(
            self, "Topic", topic_name=name, display_name=display_name, master_key=key, enforce_ssl=True
        )
        self.topic_arn_text = f"arn:{stack.partition}:sns:{stack.region}:{stack.account}:{name}"
        self.subscription = sns.Subscription(
            self, "Email", topic=self.topic, protocol=sns.SubscriptionProtocol.EMAIL, endpoint=email
        )
        for publisher in publishers:
            self.admit(publisher, {"StringEquals": {"aws:SourceAccount": stack.account}, **publisher.conditions})

    def admit(self, publisher: TopicPublisher, topic_conditions: Mapping[str, Any]) -> None:
        """Let one service publish: the topic policy with `topic_conditions`, the key bound to this topic."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=publisher.sid,
                principals=[iam.ServicePrincipal(publisher.service)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=dict(topic_conditions),
            )
        )
        self._key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{publisher.sid}ToUseTheKeyForThisTopic",
                principals=[iam.ServicePrincipal(publisher.service)],
                actions=list(PUBLISHER_KEY_ACTIONS),
                resources=["*"],
                conditions={"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": self.topic_arn_text}},
            )
        )
