"""The account's audit trail (ACC-4): one multi-region CloudTrail trail, validated, under a customer-managed key.

Management events (read and write) of every region, global service events (IAM, STS, CloudFront) and S3 object
data events of the tenant data buckets, delivered to a dedicated bucket (versioned, TLS-only, public access
blocked, access-logged, Object Lock, retained) and to a CloudWatch Logs group under a CMK for the CIS metric
filters (constructs/cis_alarms.py). Log file integrity validation makes tampering with delivered files evident.

Data events: the trail deploys before the tenant stacks and cannot reference their buckets, so it selects them
with an advanced event selector on the bucket-name prefix `<environment>-data-`: the data bucket
(`<env>-data-databucket...`, CloudFormation's generated name starts with the stack name), its access-log bucket
and its DR replica (`<env>-data-replica-...`).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from constructs import Construct
from constructs.access_log_bucket import AccessLogBucket
from constructs.encrypted_bucket import EncryptedBucket
from constructs.trusted_service import trusted_service
from policies.acknowledgements import acknowledge
from policies.rule_targets import in_compliance_packs


def trail_arn(stack: cdk.Stack, region: str, trail_name: str) -> str:
    return f"arn:{stack.partition}:cloudtrail:{region}:{stack.account}:trail/{trail_name}"


def data_event_selectors(partition: str, bucket_prefixes: Sequence[str]) -> list[dict[str, object]]:
    """Advanced selectors: all management events, and S3 object events of buckets whose name starts with a prefix."""
    selectors: list[dict[str, object]] = [
        {
            "Name": "ACC-4 management events, read and write",
            "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
        }
    ]
    if bucket_prefixes:
        selectors.append(
            {
                "Name": "ACC-4 S3 object events of the tenant data buckets",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {
                        "Field": "resources.ARN",
                        "StartsWith": [f"arn:{partition}:s3:::{prefix}" for prefix in sorted(set(bucket_prefixes))],
                    },
                ],
            }
        )
    return selectors


class AuditTrail(Construct):
    """Exposes `trail` (the L1), `bucket`, `log_group` and `access_logs` (also the AWS Config bucket's log target)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        trail_name: str,
        bucket_name: str,
        key: kms.IKey,
        logs_key: kms.IKey,
        log_retention: logs.RetentionDays,
        data_bucket_prefixes: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        self.bucket = EncryptedBucket(
            self,
            "Logs",
            bucket_name=bucket_name,
            key=key,
            access_logs=self.access_logs.bucket,
            # A fixed name: a failed first create must not leave a retained bucket that blocks the retry.
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        ).bucket
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            encryption_key=logs_key,
            retention=log_retention,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # CloudTrail delivers to CloudWatch Logs through a role whose only permission is a customer-managed policy
        # (the L2's own role would carry an inline policy).
        self.logs_role = iam.Role(
            self,
            "LogsRole",
            assumed_by=trusted_service(self, "cloudtrail.amazonaws.com"),
            description=f"CloudTrail {trail_name} delivers to its CloudWatch Logs group (ACC-4)",
        )
        logs_policy = iam.ManagedPolicy(
            self,
            "LogsPolicy",
            description=f"CloudTrail {trail_name} writes log streams of its own log group only (ACC-4)",
            roles=[self.logs_role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[f"{self.log_group.log_group_arn}"],
                )
            ],
        )
        this_trail = trail_arn(stack, stack.region, trail_name)
        self._admit_trail_delivery(this_trail)
        # The L1, not the L2 `cloudtrail.Trail`: the L2 writes the bucket policy's CloudTrail statements without the
        # trail's aws:SourceArn. The construct path (Trail/Resource) keeps the trail's logical id.
        self.trail = cloudtrail.CfnTrail(
            Construct(self, "Trail"),
            "Resource",
            trail_name=trail_name,
            s3_bucket_name=self.bucket.bucket_name,
            kms_key_id=key.key_arn,
            is_logging=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            cloud_watch_logs_log_group_arn=self.log_group.log_group_arn,
            cloud_watch_logs_role_arn=self.logs_role.role_arn,
        )
        self.trail.add_property_override(
            "AdvancedEventSelectors", data_event_selectors(stack.partition, data_bucket_prefixes)
        )
        # CloudTrail checks the bucket policy and that the role can write when the trail is created.
        assert self.bucket.policy is not None
        self.trail.node.add_dependency(self.bucket.policy, logs_policy)
        acknowledge(
            self.bucket,
            in_compliance_packs("S3BucketReplicationEnabled"),
            control="ACC-4",
            basis="met another way",
            how="the audit log is kept tamper-evident and undeletable in place: Object Lock, versioning, "
            "CloudTrail digest files (log file validation) and a retained bucket; the trail also streams every "
            "event to a CloudWatch Logs group, a second copy outside this bucket.",
        )

    def _admit_trail_delivery(self, this_trail: str) -> None:
        """The bucket policy CloudTrail documents (CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail"),
        each statement bound to this trail by aws:SourceArn (built from the known name: no circular reference)."""
        cloudtrail_service = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        account = cdk.Stack.of(self).account
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSCloudTrailAclCheck",
                principals=[cloudtrail_service],
                actions=["s3:GetBucketAcl"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringEquals": {"aws:SourceArn": this_trail}},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AWSCloudTrailWrite",
                principals=[cloudtrail_service],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"AWSLogs/{account}/*")],
                conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": this_trail}},
            )
        )
