"""An alarm on failed S3 replication to the DR bucket (BAK-5): a copy that silently stops is a broken promise.

S3 publishes `OperationsFailedReplication` (namespace AWS/S3, per source bucket, destination bucket and rule id) once
replication metrics are on for the rule (constructs/encrypted_bucket.py). Any failed operation in five minutes
alarms; no data means nothing was replicated or nothing failed, so missing data is not a breach. S3 publishes the
metric in the source bucket's region, where this alarm must live.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns

from constructs import Construct

CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"


class ReplicationFailureAlarm(Construct):
    """Exposes `metric` and `alarm`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_bucket_name: str,
        destination_bucket_name: str,
        rule_id: str,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.metric = cloudwatch.Metric(
            namespace="AWS/S3",
            metric_name="OperationsFailedReplication",
            dimensions_map={
                "SourceBucket": source_bucket_name,
                "DestinationBucket": destination_bucket_name,
                "RuleId": rule_id,
            },
            statistic="Sum",
            period=cdk.Duration.minutes(5),
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "Alarm",
            alarm_description=f"BAK-5: objects of the data bucket failed to replicate to {destination_bucket_name}",
            metric=self.metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
