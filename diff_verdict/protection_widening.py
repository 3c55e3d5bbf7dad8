"""Security widening in resource settings (issue 13, rule 2): public access relaxed (ACC-1), encryption removed
(ENC-2 for S3, ENC-3 elsewhere), logging removed (ACC-4)."""

from __future__ import annotations

from typing import Any, Final

from diff_verdict.controls import control
from diff_verdict.findings import Finding, show
from diff_verdict.policy_documents import text
from diff_verdict.schemas import values_at

_DEFAULT_ENCRYPTION = ("BucketEncryption", "ServerSideEncryptionConfiguration", "*", "ServerSideEncryptionByDefault")
_EBS = ("BlockDeviceMappings", "*", "Ebs")

# (type, path below Properties, mode, rule). Modes: "set" a truthy value must stay set; "items" every list item must
# stay; "kms" a KMS algorithm must stay KMS; "off" an explicit false must stay false; "all" the value ALL must stay.
KEPT_SETTINGS: Final[tuple[tuple[str, tuple[str, ...], str, str], ...]] = (
    *(
        ("AWS::S3::Bucket", ("PublicAccessBlockConfiguration", key), "set", "public_access")
        for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    ),
    ("AWS::S3::Bucket", (*_DEFAULT_ENCRYPTION, "SSEAlgorithm"), "kms", "s3_encryption"),
    ("AWS::S3::Bucket", (*_DEFAULT_ENCRYPTION, "KMSMasterKeyID"), "set", "s3_encryption"),
    ("AWS::S3::Bucket", ("BucketEncryption",), "set", "s3_encryption"),
    ("AWS::S3::Bucket", ("LoggingConfiguration",), "set", "logging"),
    *(
        (kind, (key,), "set", "encryption")
        for kind in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")
        for key in ("StorageEncrypted", "KmsKeyId", "PerformanceInsightsKMSKeyId")
    ),
    *(
        (kind, ("EnableCloudwatchLogsExports",), "items", "logging")
        for kind in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")
    ),
    ("AWS::RDS::DBInstance", ("PubliclyAccessible",), "off", "public_access"),
    ("AWS::Logs::LogGroup", ("KmsKeyId",), "set", "encryption"),
    ("AWS::SNS::Topic", ("KmsMasterKeyId",), "set", "encryption"),
    ("AWS::SQS::Queue", ("KmsMasterKeyId",), "set", "encryption"),
    ("AWS::SecretsManager::Secret", ("KmsKeyId",), "set", "encryption"),
    ("AWS::Backup::BackupVault", ("EncryptionKeyArn",), "set", "encryption"),
    ("AWS::EC2::Volume", ("Encrypted",), "set", "encryption"),
    ("AWS::EC2::Instance", (*_EBS, "Encrypted"), "set", "encryption"),
    ("AWS::EC2::LaunchTemplate", ("LaunchTemplateData", *_EBS, "Encrypted"), "set", "encryption"),
    ("AWS::CloudTrail::Trail", ("IsLogging",), "set", "logging"),
    ("AWS::CloudTrail::Trail", ("EnableLogFileValidation",), "set", "logging"),
    ("AWS::CloudTrail::Trail", ("KMSKeyId",), "set", "encryption"),
    ("AWS::EC2::FlowLog", ("TrafficType",), "all", "logging"),
)
LOGGING_TYPES: Final = frozenset({"AWS::EC2::FlowLog", "AWS::CloudTrail::Trail", "AWS::Config::ConfigurationRecorder"})


def _truthy(value: Any) -> bool:
    return value not in (None, False, "false", "False", "", [], {})


def _kept(mode: str, before: list[Any], after: list[Any]) -> list[str]:
    """What was lost between the two sets of values (empty: nothing)."""
    if mode == "items":
        flat_after = {text(v) for value in after for v in (value if isinstance(value, list) else [value])}
        return [
            text(v)
            for value in before
            for v in (value if isinstance(value, list) else [value])
            if text(v) not in flat_after
        ]
    if mode == "kms":
        had, has = any(str(v).startswith("aws:kms") for v in before), any(str(v).startswith("aws:kms") for v in after)
    elif mode == "off":
        had, has = any(v in (False, "false") for v in before), not any(_truthy(v) for v in after)
    elif mode == "all":
        had, has = "ALL" in before, "ALL" in after
    else:
        had, has = any(_truthy(v) for v in before), any(_truthy(v) for v in after)
    return [show(before[0] if len(before) == 1 else before, 50)] if had and not has else []


def setting_widenings(stack: str, logical_id: str, base: dict[str, Any], head: dict[str, Any]) -> list[Finding]:
    resource_type = str(head.get("Type"))
    lost: dict[str, list[str]] = {}
    for kind, path, mode, rule in KEPT_SETTINGS:
        if kind != resource_type:
            continue
        before = values_at(base.get("Properties") or {}, path)
        after = values_at(head.get("Properties") or {}, path)
        for value in _kept(mode, before, after):
            after_text = show(after[0] if len(after) == 1 else after, 40) if after else "(unset)"
            shown = (
                f"{path[-1]} lost {value}"
                if mode == "items"
                else f"{'/'.join(p for p in path if p != '*')} {value} -> {after_text}"
            )
            lost.setdefault(rule, []).append(shown)
    return [
        Finding("widening", stack, logical_id, resource_type, "weakened", "; ".join(details), (control(rule),))
        for rule, details in lost.items()
    ]


def removed_logging(stack: str, logical_id: str, base: dict[str, Any]) -> list[Finding]:
    kind = str(base.get("Type"))
    if kind not in LOGGING_TYPES:
        return []
    return [
        Finding(
            "widening",
            stack,
            logical_id,
            kind,
            "weakened",
            f"{kind} removed: that audit trail stops",
            (control("logging"),),
        )
    ]
