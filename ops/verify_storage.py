"""`verify`, buckets and keys (ENC-2, ENC-3, BAK-5): each bucket as its template promised; every key rotates."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ops.aws import error_code
from ops.environment import Environment
from ops.report import Row, judged


def _template_properties(environment: Environment, stack: str, logical_id: str) -> dict[str, Any]:
    return dict(environment.template(stack)["Resources"][logical_id].get("Properties", {}))


def _get(call: Any, missing: str, **arguments: Any) -> dict[str, Any]:
    try:
        return dict(call(**arguments))
    except ClientError as error:
        if error_code(error) == missing:
            return {}
        raise


def buckets(environment: Environment) -> list[Row]:
    found = environment.resources("AWS::S3::Bucket")
    if not found:
        return [
            Row("ENC-2", "buckets", "not deployed", "no bucket in the environment's stacks", "deploy the data stacks")
        ]
    keys = {r.logical_id: r.physical_id for r in environment.resources("AWS::KMS::Key")}
    rows = []
    for bucket in found:
        s3 = environment.aws.client("s3", bucket.region)
        promised = _template_properties(environment, bucket.stack, bucket.logical_id)
        name = bucket.physical_id
        default = (
            promised.get("BucketEncryption", {})
            .get("ServerSideEncryptionConfiguration", [{}])[0]
            .get("ServerSideEncryptionByDefault", {})
        )
        rules = (
            _get(s3.get_bucket_encryption, "ServerSideEncryptionConfigurationNotFoundError", Bucket=name)
            .get("ServerSideEncryptionConfiguration", {})
            .get("Rules", [{}])
        )
        actual = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
        if default.get("SSEAlgorithm") == "aws:kms":
            key_ref = default.get("KMSMasterKeyID", {})
            key_id = keys.get(key_ref.get("Fn::GetAtt", [""])[0], "") if isinstance(key_ref, dict) else str(key_ref)
            ok = (
                actual.get("SSEAlgorithm") == "aws:kms"
                and bool(key_id)
                and str(actual.get("KMSMasterKeyID", "")).endswith(key_id)
            )
            fix = "re-apply the bucket's default encryption with its customer-managed key (redeploy; check for drift)"
        else:
            ok = bool(actual.get("SSEAlgorithm"))
            fix = "turn default encryption back on (redeploy; check for drift)"
        rows.append(
            judged(
                "ENC-2",
                f"bucket {name} encryption",
                ok,
                f"{actual.get('SSEAlgorithm', 'none')} {actual.get('KMSMasterKeyID', '')}".strip(),
                fix,
            )
        )
        versioning = s3.get_bucket_versioning(Bucket=name).get("Status", "never enabled")
        rows.append(
            judged(
                "ENC-3",
                f"bucket {name} versioning",
                versioning == "Enabled",
                versioning,
                "enable versioning (redeploy)",
            )
        )
        block = _get(s3.get_public_access_block, "NoSuchPublicAccessBlockConfiguration", Bucket=name).get(
            "PublicAccessBlockConfiguration", {}
        )
        blocked = len(block) == 4 and all(block.values())
        rows.append(
            judged(
                "ENC-2",
                f"bucket {name} public access block",
                blocked,
                ", ".join(k for k, v in block.items() if v) or "none",
                "turn on all four public access block settings",
            )
        )
        if "ReplicationConfiguration" in promised:
            replication = _get(s3.get_bucket_replication, "ReplicationConfigurationNotFoundError", Bucket=name).get(
                "ReplicationConfiguration", {}
            )
            enabled = [r for r in replication.get("Rules", []) if r.get("Status") == "Enabled"]
            destinations = ", ".join(
                r.get("Destination", {}).get("Bucket", "?").removeprefix("arn:aws:s3:::") for r in enabled
            )
            rows.append(
                judged(
                    "BAK-5",
                    f"bucket {name} replication",
                    bool(enabled),
                    f"to {destinations}" if enabled else "no enabled rule",
                    "restore the replication rule (redeploy the data stack)",
                )
            )
    return rows


def keys(environment: Environment) -> list[Row]:
    """ENC-3: every key of the environment's stacks has an alias under the environment's prefix, every key of the
    account baseline's stacks an alias of its own, and all of them rotate."""
    rows = []
    prefix = environment.names.alias_prefix
    for region in environment.regions:
        kms = environment.aws.client("kms", region)
        found = [r for r in environment.resources("AWS::KMS::Key") if r.region == region]
        baseline_keys = {r.physical_id for r in found if environment.is_baseline(r.stack)}
        aliases = [
            a
            for a in environment.aws.pages("kms", region, "list_aliases", "Aliases")
            if a["AliasName"].startswith(prefix) or a.get("TargetKeyId") in baseline_keys
        ]
        stack_keys = {r.physical_id for r in found}
        if not aliases and not stack_keys:
            rows.append(
                Row(
                    "ENC-3",
                    f"keys in {region}",
                    "not deployed",
                    f"no {prefix}* alias",
                    "deploy the environment's stacks",
                )
            )
            continue
        not_rotating = [
            a["AliasName"]
            for a in aliases
            if not kms.get_key_rotation_status(KeyId=a["TargetKeyId"])["KeyRotationEnabled"]
        ]
        unaliased = sorted(stack_keys - {a.get("TargetKeyId") for a in aliases})
        problems = [f"no rotation: {', '.join(not_rotating)}"] * bool(not_rotating) + [
            f"no alias: {', '.join(unaliased)}"
        ] * bool(unaliased)
        rows.append(
            judged(
                "ENC-3",
                f"key rotation in {region}",
                not problems,
                "; ".join(problems) or f"{len(aliases)} keys, all rotate yearly",
                "enable rotation (kms enable-key-rotation) and redeploy so the template owns it again",
            )
        )
    return rows
