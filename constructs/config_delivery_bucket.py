"""The bucket AWS Config of every baseline region delivers to (CMP-1, BAK-6, ENC-2, ENC-3).

Why a bucket of its own: AWS Config does not support a delivery channel to an S3 bucket with Object Lock
(AWS::Config::DeliveryChannel reference), so the Object-Lock audit bucket of the trail cannot take it. The one
bucket in the baseline without Object Lock is the S3 access-log bucket, but server access logging accepts only
SSE-S3 there, and Config's snapshots and history are audit evidence that ENC-2 keeps under a customer-managed key;
so the delivery gets this bucket: SSE-KMS under the audit key (S3 Bucket Key), private, TLS 1.2+ only, versioned
(a delivered file overwritten or deleted keeps its noncurrent version for `noncurrent_days`), access-logged into
the trail's access-log bucket, retained on delete.

Who may write, exactly as AWS documents it:
- bucket policy (Config Developer Guide, "Permissions for the Amazon S3 Bucket for the AWS Config Delivery
  Channel"): `config.amazonaws.com` may `s3:GetBucketAcl` and `s3:ListBucket` on the bucket and `s3:PutObject` on
  `AWSLogs/<account>/Config/*` with `s3:x-amz-acl` = `bucket-owner-full-control`, each bound by
  `aws:SourceAccount`;
- key policy (Config Developer Guide, "Permissions for the KMS Key"): with the service-linked role, Config writes as
  the service principal `config.amazonaws.com` (the role has no key access), which may `kms:Decrypt` and
  `kms:GenerateDataKey`, bound by `aws:SourceAccount`.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.encrypted_bucket import EncryptedBucket
from policies.acknowledgements import acknowledge

CONFIG_SERVICE = "config.amazonaws.com"


class ConfigDeliveryBucket(Construct):
    """Exposes `bucket`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        key: kms.IKey,
        access_logs: s3.IBucket,
        noncurrent_days: int = 365,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.bucket = EncryptedBucket(
            self,
            "Delivery",
            bucket_name=bucket_name,
            key=key,
            access_logs=access_logs,
            noncurrent_days=noncurrent_days,
            object_lock=False,
            # A fixed name: a failed first create must not leave a retained bucket that blocks the retry.
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        ).bucket
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        source_account = {"aws:SourceAccount": stack.account}
        config_service = iam.ServicePrincipal(CONFIG_SERVICE)
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSConfigBucketPermissionsCheck",
                principals=[config_service],
                actions=["s3:GetBucketAcl", "s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringEquals": source_account},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSConfigBucketDelivery",
                principals=[config_service],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"AWSLogs/{stack.account}/Config/*")],
                conditions={"StringEquals": {**source_account, "s3:x-amz-acl": "bucket-owner-full-control"}},
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSConfigKMSPolicy",
                principals=[config_service],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": source_account},
            )
        )
        acknowledge(
            cfn_bucket,
            "cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check",
            control="CMP-1",
            basis="met another way",
            how="AWS Config does not support a delivery channel to a bucket with Object Lock (AWS::Config::"
            "DeliveryChannel); delivered files are kept by versioning (noncurrent versions a year), a bucket policy "
            "that admits only Config and TLS, and a retained bucket, and Config keeps its own history.",
        )
        for pack in ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"):
            acknowledge(
                cfn_bucket,
                f"{pack}-S3BucketReplicationEnabled",
                control="BAK-5",
                basis="not applicable",
                how="AWS Config snapshots and history are recorded configuration, not tenant data; Config can "
                "redeliver them, and the trail's Object Lock bucket keeps the API record of every change.",
            )
