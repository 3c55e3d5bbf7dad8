"""Where a cell pipeline keeps its artifacts (the gated cloud assembly): one bucket per region it deploys to (CMP-1,
ENC-2, ENC-3).

CDK Pipelines would create these buckets itself, without access logs, versioning, Object Lock or event notifications;
here they are the project's `EncryptedBucket` under a rotated customer-managed key whose policy admits grants only
for AWS resources. The home-region store lives in the pipeline stack; the DR region's (the `-dr` stacks deploy there)
in `pipeline-<cell>-support-<region>`, named so the pipeline stack can name it without a cross-region reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from config.pipeline import FLEET_TAG
from constructs import Construct
from constructs.access_log_bucket import AccessLogBucket
from constructs.encrypted_bucket import EncryptedBucket
from constructs.purpose_keys import PurposeKeys, key_alias
from policies.acknowledgements import acknowledge
from policies.rule_targets import in_compliance_packs
from stacks.pipeline_steps import BOOTSTRAP_QUALIFIER

# Artifacts are rebuilt from the source on every run; a week covers re-running a failed execution.
ARTIFACT_LOCK_DAYS: Final = 7


def store_names(cell: str, account: str, region: str) -> tuple[str, str]:
    """(bucket name, key alias) of a cell's artifact store in a region: deterministic, so names cross regions."""
    return f"pipeline-{cell}-artifacts-{account}-{region}", f"alias/pipeline-{cell}/artifacts"


def deploy_roles(accounts: Sequence[str], region: str) -> list[iam.IPrincipal]:
    """The bootstrap roles of the target accounts that read artifacts: the deploy action role and CloudFormation's."""
    return [
        iam.ArnPrincipal(f"arn:aws:iam::{account}:role/cdk-{BOOTSTRAP_QUALIFIER}-{role}-{account}-{region}")
        for account in sorted(set(accounts))
        for role in ("deploy-role", "cfn-exec-role")
    ]


class ArtifactStore(Construct):
    """Exposes `bucket` and `key`. `readers` (other accounts' roles) get read and decrypt in both policies."""

    def __init__(
        self, scope: Construct, construct_id: str, *, cell: str, readers: Sequence[iam.IPrincipal] = ()
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        bucket_name, alias = store_names(cell, stack.account, stack.region)
        # Usable only through S3 (the artifacts are SSE-KMS objects), grants only for AWS resources (ENC-3).
        self.key = PurposeKeys(self, "Keys", alias_prefix=f"pipeline-{cell}", purposes={"artifacts": ["s3"]}).keys[
            "artifacts"
        ]
        assert alias == key_alias(f"pipeline-{cell}", "artifacts")
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        self.store = EncryptedBucket(
            self,
            "Artifacts",
            bucket_name=bucket_name,
            key=self.key,
            access_logs=self.access_logs.bucket,
            noncurrent_days=30,
            object_lock_retention=s3.ObjectLockRetention.governance(cdk.Duration.days(ARTIFACT_LOCK_DAYS)),
        )
        self.bucket = self.store.bucket
        acknowledge(
            self.bucket,
            in_compliance_packs("S3BucketReplicationEnabled"),
            control="BAK-5",
            basis="not applicable",
            how="pipeline artifacts are rebuilt from the source repository on every run; they are versioned and "
            "locked for a week, which covers re-running an execution.",
        )
        if readers:
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="TargetAccountsDecryptArtifacts",
                    principals=list(readers),
                    actions=["kms:Decrypt", "kms:DescribeKey"],
                    resources=["*"],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
                )
            )
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="TargetAccountsReadArtifacts",
                    principals=list(readers),
                    actions=["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketLocation", "s3:ListBucket"],
                    resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
                )
            )


class PipelineSupportStack(cdk.Stack):
    """The artifact store of a cell pipeline in another region (its DR region's deploy actions read it)."""

    def __init__(
        self, scope: Construct, *, cell: str, account: str, region: str, targets: Sequence[str], **kwargs: Any
    ) -> None:
        name = f"pipeline-{cell}-support-{region}"
        super().__init__(
            scope,
            name,
            stack_name=name,
            env=cdk.Environment(account=account, region=region),
            description=f"{name}: artifact store of pipeline-{cell} in {region} (CMP-1)",
            termination_protection=True,
            analytics_reporting=False,
            **kwargs,
        )
        cdk.Tags.of(self).add("managed-by", "cdk")
        cdk.Tags.of(self).add(FLEET_TAG, "pipeline-support")
        self.store = ArtifactStore(self, "Store", cell=cell, readers=deploy_roles(targets, region))


def imported_store(scope: Construct, construct_id: str, *, cell: str, account: str, region: str) -> s3.IBucket:
    """The support stack's store as the pipeline stack names it (by name and key alias ARN: no cross-region export)."""
    bucket_name, alias = store_names(cell, account, region)
    return s3.Bucket.from_bucket_attributes(
        scope,
        construct_id,
        bucket_name=bucket_name,
        region=region,
        account=account,
        encryption_key=kms.Key.from_key_arn(scope, f"{construct_id}Key", f"arn:aws:kms:{region}:{account}:{alias}"),
    )
