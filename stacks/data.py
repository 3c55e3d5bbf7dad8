"""DataStack: the environment's database and data bucket, with their keys (BAK-2, BAK-4, ENC-1..4, NET-2)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from config import EnvironmentConfig
from config.limits import BACKUP_TAG_KEY, BACKUP_TAG_VALUE
from constructs import Construct
from constructs.access_log_bucket import AccessLogBucket
from constructs.encrypted_bucket import EncryptedBucket
from constructs.postgres_database import PostgresDatabase
from constructs.purpose_keys import PurposeKeys, logs_service_use
from constructs.s3_malware_protection import S3MalwareProtection
from stacks.data_dr import DataDrStack, acknowledge_cross_region_reference_handlers
from stacks.environment_stack import EnvironmentStack, log_retention
from stacks.network import NetworkStack

# Purpose -> the services through which this account's principals may use its key (constructs/purpose_keys.py).
PURPOSES: dict[str, list[str]] = {
    "database": ["rds"],  # storage, snapshots, Performance Insights
    "data": ["s3"],  # the data bucket, its replication and its backups
    "secrets": ["secretsmanager"],  # the RDS-managed master secret
    "logs": [],  # CloudWatch Logs, a service principal
}


class DataStack(EnvironmentStack):
    def __init__(
        self,
        scope: Construct,
        *,
        env_config: EnvironmentConfig,
        network: NetworkStack,
        data_dr: DataDrStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            "data",
            env_config=env_config,
            description="PostgreSQL, data bucket, keys",
            cross_region_references=True,  # the DR keys' ARNs (stacks/data_dr.py says why)
            **kwargs,
        )
        acknowledge_cross_region_reference_handlers(self)
        self.add_stack_dependency(data_dr, "the DR replica bucket and keys must exist before replication starts")
        settings = env_config.database
        self.keys = PurposeKeys(
            self,
            "Keys",
            alias_prefix=f"{env_config.name}/data",
            purposes=PURPOSES,
            service_users={"logs": [logs_service_use(self)]},
        ).keys
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        self.data_bucket = EncryptedBucket(
            self,
            "DataBucket",
            key=self.keys["data"],
            access_logs=self.access_logs.bucket,
            replica=data_dr.replica_target(),
        )
        # NET-6: new objects are scanned for malware; the plan is per bucket, so it lives with the bucket.
        self.malware_protection = S3MalwareProtection(
            self, "DataBucketMalwareProtection", bucket=self.data_bucket.bucket, key=self.keys["data"]
        )
        self.database = PostgresDatabase(
            self,
            "Database",
            instance_identifier=f"{env_config.name}-postgres",
            engine_major_version=settings.engine_version,
            port=settings.port,
            instance_class=settings.instance_class,
            vpc=network.vpc,
            subnets=network.network.data_subnets,
            security_group=network.security_groups.database,
            storage_key=self.keys["database"],
            secret_key=self.keys["secrets"],
            logs_key=self.keys["logs"],
            allocated_storage_gib=settings.allocated_storage_gib,
            max_allocated_storage_gib=settings.max_allocated_storage_gib,
            backup_retention_days=settings.backup_retention_days,
            preferred_backup_window=settings.preferred_backup_window,
            preferred_maintenance_window=settings.preferred_maintenance_window,
            log_retention=log_retention(settings.log_retention_days),
            monitoring_interval_seconds=settings.monitoring_interval_seconds,
            replica_region=env_config.dr_region,
            replica_key_arn=data_dr.database_replica_key_arn,  # a key ARN, as RDS documents (BAK-5)
        )
        # BAK-6 / CMP-1: the tag that marks what the backup plans protect, so the audit framework's resource controls
        # evaluate exactly these (and the bastion) and not, say, the access-log buckets no plan selects.
        for protected in (self.database.instance, self.data_bucket.bucket):
            cdk.Tags.of(protected.node.default_child).add(BACKUP_TAG_KEY, BACKUP_TAG_VALUE)  # type: ignore[arg-type]
