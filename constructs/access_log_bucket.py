"""The target bucket for S3 server access logs (ACC-4), itself locked down.

Public access blocked, TLS 1.2+ only, versioned, objects expire after a retention period, retained on delete.
S3 server access logging can deliver only to a bucket with SSE-S3 default encryption (AWS does not support
SSE-KMS on a log-delivery target), so this bucket is encrypted with S3-managed keys; that and the findings
that follow from being the end of the logging chain are acknowledged here, once.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.encrypted_bucket import publish_events_to_eventbridge
from policies.acknowledgements import acknowledge


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
        acknowledge_sse_s3_only(
            self.bucket,
            "S3 server access logs can be delivered only to a bucket encrypted with SSE-S3 (AWS does not support "
            "SSE-KMS on a log-delivery target); the logs are still encrypted at rest with AES-256.",
        )
        acknowledge(
            self.bucket,
            "cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check",
            control="ACC-4",
            basis="met another way",
            how="S3 server access log delivery does not support a target with an Object Lock default retention; the "
            "logs are protected by versioning, a TLS-only bucket policy that admits only the log delivery service, "
            "and noncurrent versions kept 30 days.",
        )
        loop_reason = (
            "this bucket is the access-log target; logging it to itself would loop, and its writes come only "
            "from the S3 log delivery service, which CloudTrail records."
        )
        # cdk-nag's packs recognize a log-target bucket by themselves; only the Control Tower rule needs telling.
        acknowledge(
            self.bucket,
            "cdk-validator-cfnguard::s3_bucket_logging_enabled_check",
            control="ACC-4",
            basis="not applicable",
            how=loop_reason,
        )
        acknowledge_not_replicated(
            self.bucket,
            "access logs are operational evidence, not tenant data; they are versioned and kept for the retention "
            "period in this region, and tenant data itself is replicated (BAK-5) by the data bucket.",
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


def acknowledge_sse_s3_only(bucket: s3.IBucket, how: str) -> None:
    """ENC-3 is met another way where the delivering service supports only SSE-S3 (`how` says which and why)."""
    for rule in (
        "NIST.800.53.R5-S3DefaultEncryptionKMS",
        "HIPAA.Security-S3DefaultEncryptionKMS",
        "PCI.DSS.321-S3DefaultEncryptionKMS",
        "cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check",
    ):
        acknowledge(bucket, rule, control="ENC-3", basis="met another way", how=how)


def acknowledge_not_replicated(bucket: s3.IBucket, how: str) -> None:
    """BAK-5 does not apply to a log bucket that holds no tenant data (`how` says what it holds)."""
    for rule in (
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "HIPAA.Security-S3BucketReplicationEnabled",
        "PCI.DSS.321-S3BucketReplicationEnabled",
    ):
        acknowledge(bucket, rule, control="BAK-5", basis="not applicable", how=how)
