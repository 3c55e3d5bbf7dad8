"""Which resources hold state that a replacement or deletion destroys (issue 13): by type, or by a Retain or
Snapshot policy that says its author wanted it kept."""

from __future__ import annotations

from typing import Any, Final

STATEFUL_TYPES: Final[dict[str, str]] = {
    "AWS::RDS::DBInstance": "database instance",
    "AWS::RDS::DBCluster": "database cluster",
    "AWS::S3::Bucket": "bucket",
    "AWS::KMS::Key": "KMS key (what it encrypted becomes unreadable once the key is deleted)",
    "AWS::Backup::BackupVault": "backup vault",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::Logs::LogGroup": "log group",
    "AWS::EC2::EIP": "Elastic IP (the address is released)",
    "AWS::EC2::KeyPair": "key pair",
    "AWS::DynamoDB::Table": "table",
    "AWS::DynamoDB::GlobalTable": "table",
    "AWS::EFS::FileSystem": "file system",
    "AWS::EC2::Volume": "volume",
}
KEEPING_POLICIES: Final = frozenset({"Retain", "Snapshot", "RetainExceptOnCreate"})


def stateful_reason(resource: dict[str, Any]) -> str | None:
    """Why this resource is stateful, or None."""
    kind = STATEFUL_TYPES.get(str(resource.get("Type")))
    if kind:
        return kind
    for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
        if resource.get(attribute) in KEEPING_POLICIES:
            return f"{attribute} {resource[attribute]}"
    return None
