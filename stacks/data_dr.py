"""DataDrStack: the data tier's second-region half (BAK-5): keys for replicated backups and the bucket replica.

It deploys before the data stack. Its bucket name and key aliases are deterministic, so the data stack can name
them without a cross-region reference (`replica_target`, `database_replica_key_arn`).
"""

from __future__ import annotations

from typing import Any

from config import EnvironmentConfig
from constructs import Construct
from constructs.access_log_bucket import AccessLogBucket
from constructs.encrypted_bucket import EncryptedBucket, ReplicaTarget
from constructs.purpose_keys import PurposeKeys, key_alias
from policies.acknowledgements import acknowledge
from stacks.environment_stack import EnvironmentStack

PURPOSE = "data-dr"


def replica_target(env_config: EnvironmentConfig, account: str) -> ReplicaTarget:
    return ReplicaTarget(
        bucket_name=f"{env_config.name}-data-replica-{account}-{env_config.dr_region}",
        region=env_config.dr_region,
        key_alias=key_alias(f"{env_config.name}/{PURPOSE}", "data-replica"),
    )


def database_replica_key_arn(env_config: EnvironmentConfig, account: str, partition: str) -> str:
    alias = key_alias(f"{env_config.name}/{PURPOSE}", "database-replica")
    return f"arn:{partition}:kms:{env_config.dr_region}:{account}:{alias}"


class DataDrStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env_config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            PURPOSE,
            env_config=env_config,
            region=env_config.dr_region,
            description="DR-region keys and bucket replica for the data tier (BAK-5)",
            **kwargs,
        )
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
            bucket_name=replica_target(env_config, self.account).bucket_name,
            key=self.keys["data-replica"],
            access_logs=self.access_logs.bucket,
        )
        for pack in ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"):
            acknowledge(
                self.replica.bucket,
                f"{pack}-S3BucketReplicationEnabled",
                control="BAK-5",
                basis="met another way",
                how="this bucket is itself the cross-region replica of the tenant data bucket; replicating the "
                "replica again would add a third copy, not a separate data centre.",
            )
