"""DataDrStack: the data tier's second-region half (BAK-5): keys for replicated backups and the bucket replica.

It deploys before the data stack. The bucket name is deterministic (`replica_bucket_name`). The keys are passed to the
data stack by key ARN, through CDK cross-region references (`cross_region_references=True` on both stacks), because RDS
documents a key ARN for `AutomaticBackupReplicationKmsKeyId` and a key's ARN holds a random key id that no name
can predict. Why this and not an SSM parameter read by our own custom resource: both need a Lambda at deploy time
(CloudFormation reads SSM parameters only in its own region), and CDK's is maintained, needs no Docker or credentials
at synth (its handler code ships pre-built in aws-cdk-lib, so synth stays deterministic), and keeps a parameter in
use from being deleted (the reader tags what it imports, the writer refuses to remove a tagged parameter). Cost: a
writer Lambda here and a reader Lambda in the data stack, run only during deploys; their gate findings are
acknowledged on them (`acknowledge_cross_region_reference_handlers`), and moto, which runs Lambda-backed custom
resources only under Docker, cannot create these two stacks here.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii

from config import EnvironmentConfig
from constructs import Construct, IValidation
from constructs.access_log_bucket import AccessLogBucket
from constructs.encrypted_bucket import EncryptedBucket, ReplicaTarget
from constructs.purpose_keys import PurposeKeys
from policies.acknowledgements import acknowledge, acknowledge_cause
from policies.causes import DEPLOY_TIME_PROVIDER_OUTSIDE_VPC
from policies.rule_targets import in_compliance_packs
from stacks.environment_stack import EnvironmentStack

PURPOSE = "data-dr"
CROSS_REGION_PROVIDERS = (
    "Custom::CrossRegionExportWriterCustomResourceProvider",
    "Custom::CrossRegionExportReaderCustomResourceProvider",
)
CT_LAMBDA_IN_VPC = "cdk-validator-cfnguard::lambda_inside_vpc_check"


@jsii.implements(IValidation)
class _AcknowledgeCrossRegionHandlers:
    """CDK creates the cross-region reference handlers while it prepares the app, after every construct and aspect
    has run, so they can be acknowledged only then: in a construct validation, which runs after that preparation
    and before the templates are written and the gates read the acknowledgements. The reason is also written into
    the handler's template Metadata, like every other acknowledgement, for the auditor."""

    def __init__(self, stack: cdk.Stack) -> None:
        self._stack = stack

    def validate(self) -> list[str]:
        for provider_id in CROSS_REGION_PROVIDERS:
            provider = self._stack.node.try_find_child(provider_id)
            handler = provider.node.try_find_child("Handler") if provider is not None else None
            if not isinstance(handler, cdk.CfnResource):
                continue
            # The handler calls only SSM Parameter Store, to pass the DR keys' ARNs between regions.
            reason = acknowledge_cause(handler, CT_LAMBDA_IN_VPC, DEPLOY_TIME_PROVIDER_OUTSIDE_VPC)
            handler.add_metadata("cdk_nag", {"rules_to_suppress": [{"id": CT_LAMBDA_IN_VPC, "reason": reason}]})
        return []


def acknowledge_cross_region_reference_handlers(stack: cdk.Stack) -> None:
    """Acknowledge the Control Tower finding on the handlers CDK adds for cross-region references, once they exist."""
    stack.node.add_validation(_AcknowledgeCrossRegionHandlers(stack))


def replica_bucket_name(env_config: EnvironmentConfig, account: str) -> str:
    return f"{env_config.name}-data-replica-{account}-{env_config.dr_region}"


class DataDrStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env_config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            PURPOSE,
            env_config=env_config,
            region=env_config.dr_region,
            description="DR-region keys and bucket replica for the data tier (BAK-5)",
            cross_region_references=True,
            **kwargs,
        )
        acknowledge_cross_region_reference_handlers(self)
        self.keys = PurposeKeys(
            self,
            "Keys",
            alias_prefix=f"{env_config.name}/{PURPOSE}",
            purposes={"data-replica": ["s3"], "database-replica": ["rds"]},
        ).keys
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        self.replica = EncryptedBucket(
            self,
            "DataReplica",
            bucket_name=replica_bucket_name(env_config, self.account),
            key=self.keys["data-replica"],
            access_logs=self.access_logs.bucket,
        )
        acknowledge(
            self.replica.bucket,
            in_compliance_packs("S3BucketReplicationEnabled"),
            control="BAK-5",
            basis="met another way",
            how="this bucket is itself the cross-region replica of the tenant data bucket; replicating the "
            "replica again would add a third copy, not a separate data centre.",
        )

    def replica_target(self) -> ReplicaTarget:
        """Where the data bucket replicates to: this stack's bucket, under this stack's key (by ARN)."""
        return ReplicaTarget(
            bucket_name=replica_bucket_name(self.env_config, self.account),
            region=self.region,
            key_arn=self.keys["data-replica"].key_arn,
        )

    @property
    def database_replica_key_arn(self) -> str:
        return self.keys["database-replica"].key_arn
