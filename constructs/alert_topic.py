"""An SNS topic for security and backup alerts (ENC-1, ENC-3, ACC-4).

Encrypted with a customer-managed key, TLS-only, one e-mail subscription, and publishable only by the named
AWS services acting for this account. The topic policy replaces SNS's default, so every publisher is named here.
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


@dataclass(frozen=True)
class TopicPublisher:
    """A service principal allowed to publish; `conditions` are added to the this-account condition."""

    sid: str
    service: str
    conditions: Mapping[str, Any] = field(default_factory=dict)


class AlertTopic(Construct):
    """Exposes `topic` and `subscription`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        display_name: str,
        key: kms.IKey,
        email: str,
        publishers: Sequence[TopicPublisher],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.topic = sns.Topic(self, "Topic", display_name=display_name, master_key=key, enforce_ssl=True)
        self.subscription = sns.Subscription(
            self, "Email", topic=self.topic, protocol=sns.SubscriptionProtocol.EMAIL, endpoint=email
        )
        for publisher in publishers:
            self.topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=publisher.sid,
                    principals=[iam.ServicePrincipal(publisher.service)],
                    actions=["sns:Publish"],
                    resources=[self.topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": stack.account}, **publisher.conditions},
                )
            )
