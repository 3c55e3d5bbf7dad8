"""A private, TLS-only, versioned bucket under a customer-managed key, optionally replicated (ENC-1, ENC-2, BAK-5).

SSE-KMS with bucket keys; all public access blocked; object ownership enforced (no ACLs); a policy that denies
plain-HTTP requests and TLS below 1.2; server access logs to a dedicated bucket; noncurrent versions expire;
retained on delete (except after a failed first create, so a fixed name never blocks the retry); Object Lock with a
default governance retention; object events to EventBridge. With `replica`, every object is replicated to a bucket
in another region under that region's key, by a role whose only permissions are a customer-managed policy written
here (BAK-5):
- Object Lock: S3 replicates a locked object only if the role may read its retention and legal hold
  (`s3:GetObjectRetention`, `s3:GetObjectLegalHold`; S3 User Guide, "Using Object Lock with S3 Replication").
- The replica bucket uses an S3 Bucket Key, so the role needs `kms:Decrypt` on the replica key as well as
  Encrypt/GenerateDataKey (S3 User Guide, "Amazon S3 Bucket Keys and replication").
- Replication metrics are on (without Replication Time Control, which S3 does not require for them and which
  costs per GB), so S3 publishes `OperationsFailedReplication`; the backup stack alarms on it (`REPLICATION_RULE_ID`).
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.trusted_service import trusted_service
from policies.acknowledgements import acknowledge, nag_resource_text

# ENC-3 / BAK-5: a fresh object version cannot be deleted or overwritten for this long, even by an administrator
# without the governance-bypass permission (ransomware and mistake protection).
DEFAULT_LOCK_DAYS = 30
# The replication rule's id: S3 publishes replication metrics per source bucket, destination bucket and rule id.
REPLICATION_RULE_ID = "replicate-to-dr"


def publish_events_to_eventbridge(bucket: s3.Bucket) -> None:
    """Object events go to EventBridge for detection rules (NET-4; Control Tower CT.S3.PR.4).

    Set on the L1: the L2's `event_bridge_enabled` deploys a notification Lambda, and CloudFormation needs none.
    """
    cfn = bucket.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
        event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
    )


@dataclass(frozen=True)
class ReplicaTarget:
    """A bucket in another region, named deterministically, and its key by ARN (a cross-region reference)."""

    bucket_name: str
    region: str
    key_arn: str

    def bucket_arn(self) -> str:
        return f"arn:{cdk.Aws.PARTITION}:s3:::{self.bucket_name}"


class EncryptedBucket(Construct):
    """Exposes `bucket` and, when replicating, `replication_role`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        access_logs: s3.IBucket | None,
        replica: ReplicaTarget | None = None,
        bucket_name: str | None = None,
        noncurrent_days: int = 90,
        object_lock_retention: s3.ObjectLockRetention | None = None,
        object_lock: bool = True,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    ) -> None:
        super().__init__(scope, construct_id)
        self.replication_role: iam.Role | None = None
        replication_rules = None
        if replica is not None:
            self.replication_role = iam.Role(
                self,
                "ReplicationRole",
                assumed_by=trusted_service(self, "s3.amazonaws.com"),
                description=f"Replicates objects to {replica.bucket_name} (BAK-5)",
            )
            replication_rules = [
                s3.ReplicationRule(
                    destination=s3.Bucket.from_bucket_name(self, "ReplicaBucket", replica.bucket_name),
                    kms_key=kms.Key.from_key_arn(self, "ReplicaKey", replica.key_arn),
                    sse_kms_encrypted_objects=True,
                    id=REPLICATION_RULE_ID,
                    delete_marker_replication=True,
                    priority=0,
                    storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                )
            ]
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=f"{construct_id}/" if access_logs else None,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=cdk.Duration.days(noncurrent_days),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                )
            ],
            removal_policy=removal_policy,
            # `object_lock=False` only for a destination whose writer does not support Object Lock (AWS Config).
            object_lock_enabled=object_lock or None,
            object_lock_default_retention=(
                object_lock_retention or s3.ObjectLockRetention.governance(cdk.Duration.days(DEFAULT_LOCK_DAYS))
            )
            if object_lock
            else None,
            replication_role=self.replication_role.without_policy_updates() if self.replication_role else None,
            replication_rules=replication_rules,
        )
        publish_events_to_eventbridge(self.bucket)
        if replica is not None:
            self._enable_replication_metrics()
        if replica is not None and self.replication_role is not None:
            self.replication_policy = self._replication_policy(self.replication_role, key, replica)

    def _enable_replication_metrics(self) -> None:
        """Metrics without an event threshold: S3 allows `EventThreshold` only with Replication Time Control."""
        cfn = self.bucket.node.default_child
        assert isinstance(cfn, s3.CfnBucket)
        cfn.add_property_override("ReplicationConfiguration.Rules.0.Destination.Metrics", {"Status": "Enabled"})

    def _replication_policy(self, role: iam.IRole, key: kms.IKey, replica: ReplicaTarget) -> iam.ManagedPolicy:
        """Attached from the policy's side (`Roles`): the bucket names the role and the policy names the bucket,
        so attaching it on the role would make a circular dependency CloudFormation refuses to deploy."""
        replica_objects = f"{replica.bucket_arn()}/*"
        policy = iam.ManagedPolicy(
            self,
            "ReplicationPolicy",
            description="S3 replication of one bucket to its DR replica (BAK-5)",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["s3:GetReplicationConfiguration", "s3:ListBucket"], resources=[self.bucket.bucket_arn]
                ),
                iam.PolicyStatement(
                    actions=[
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                        # Object Lock: without these, S3 does not replicate a locked object version.
                        "s3:GetObjectRetention",
                        "s3:GetObjectLegalHold",
                    ],
                    resources=[self.bucket.arn_for_objects("*")],
                ),
                iam.PolicyStatement(
                    actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                    resources=[replica_objects],
                ),
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]),
                # Decrypt too: the replica uses an S3 Bucket Key.
                iam.PolicyStatement(
                    actions=["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"], resources=[replica.key_arn]
                ),
            ],
        )
        objects_reason = (
            "replication reads and writes object versions, so the resource is every object of exactly one bucket "
            "(the source or its DR replica); no other bucket is reachable."
        )
        for objects in (self.bucket.arn_for_objects("*"), replica_objects):
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::{nag_resource_text(self, objects)}]",
                control="BAK-5",
                basis="met another way",
                how=objects_reason,
            )
        return policy
