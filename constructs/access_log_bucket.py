"""The target bucket for S3 server access logs (ACC-4), itself locked down.

Public access blocked, TLS 1.2+ only, versioned, objects expire after a retention period, retained on delete.
S3 server access logging can deliver only to a bucket with SSE-S3 default encryption (AWS does not support
SSE-KMS on a log-delivery target), so this bucket is encrypted with S3-managed keys; that and the findings
that follow from being the end of the logging chain are acknowledged here, on the bucket alone, with the shared
log-target causes (policies/causes.py), which the load balancer's log bucket shares.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.encrypted_bucket import publish_events_to_eventbridge
from policies.acknowledgements import Cause, acknowledge_cause
from policies.causes import LOG_TARGET_SSE_S3, LOG_TARGET_WITHOUT_OBJECT_LOCK, LOGS_NOT_REPLICATED
from policies.rule_targets import in_compliance_packs

ACCESS_LOG_TARGET_NOT_LOGGED = Cause(
    "ACC-4",
    "not applicable",
    "this bucket is the access-log target; logging it to itself would loop, and its writes come only from the S3 "
    "log delivery service, which CloudTrail records.",
)


class AccessLogBucket(Construct):
    """Exposes `bucket`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retention_days: int = 365,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = log_delivery_bucket(
            self,
            "Bucket",
            lifecycle_rule_id="expire-access-logs",
            retention_days=retention_days,
            removal_policy=removal_policy,
        )
        self._acknowledge_log_target_findings()

    def _acknowledge_log_target_findings(self) -> None:
        acknowledge_log_target(self.bucket)
        # cdk-nag's packs recognize a log-target bucket by themselves; only the Control Tower rule needs telling.
        acknowledge_cause(
            resource_of(self.bucket),
            "cdk-validator-cfnguard::s3_bucket_logging_enabled_check",
            ACCESS_LOG_TARGET_NOT_LOGGED,
        )


def log_delivery_bucket(
    scope: Construct,
    construct_id: str,
    *,
    lifecycle_rule_id: str,
    retention_days: int,
    removal_policy: cdk.RemovalPolicy,
    server_access_logs: tuple[s3.IBucket, str] | None = None,
) -> s3.Bucket:
    """A bucket an AWS service delivers logs into: SSE-S3 (the only encryption log delivery supports), private,
    TLS 1.2+ only, versioned, objects expiring after the retention period, events to EventBridge; optionally its own
    server access logs to (bucket, prefix)."""
    logs_bucket, logs_prefix = server_access_logs or (None, None)
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        versioned=True,
        server_access_logs_bucket=logs_bucket,
        server_access_logs_prefix=logs_prefix,
        removal_policy=removal_policy,
        lifecycle_rules=[
            s3.LifecycleRule(
                id=lifecycle_rule_id,
                expiration=cdk.Duration.days(retention_days),
                noncurrent_version_expiration=cdk.Duration.days(30),
                abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
            )
        ],
    )
    publish_events_to_eventbridge(bucket)
    return bucket


def resource_of(bucket: s3.Bucket) -> s3.CfnBucket:
    resource = bucket.node.default_child
    assert isinstance(resource, s3.CfnBucket)
    return resource


def acknowledge_log_target(bucket: s3.Bucket) -> None:
    """The findings every log-delivery bucket answers the same way, on its CfnBucket alone: SSE-S3 only (ENC-3),
    no Object Lock (ACC-4) and no replication (BAK-5), each cause written once in policies/causes.py."""
    resource = resource_of(bucket)
    sse_kms = (
        *in_compliance_packs("S3DefaultEncryptionKMS"),
        "cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check",
    )
    acknowledge_cause(resource, sse_kms, LOG_TARGET_SSE_S3)
    acknowledge_cause(
        resource, "cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check", LOG_TARGET_WITHOUT_OBJECT_LOCK
    )
    acknowledge_cause(resource, in_compliance_packs("S3BucketReplicationEnabled"), LOGS_NOT_REPLICATED)
