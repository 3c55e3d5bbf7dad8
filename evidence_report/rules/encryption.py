"""Evidence rules for encryption (ENC-1..4): TLS in transit, keys at rest, no secret in the clear."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from evidence_report.assembly import Resource
from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.gates import Acknowledgement, acknowledgements
from evidence_report.registry import evidence_rule
from evidence_report.rules.reading import data_buckets, deep_find, log_delivery_targets

BUCKET = "AWS::S3::Bucket"
KEY = "AWS::KMS::Key"
CERTIFICATE = "AWS::CertificateManager::Certificate"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
STRONG_RSA = ("RSA_2048", "RSA_3072", "RSA_4096")
# ELB policies that allow only TLS 1.2 and 1.3 (Elastic Load Balancing, "Security policies for your ALB").
MODERN_TLS_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)")
SECRET_KEY = re.compile(r"(?i)(password|secretstring|secret|token|privatekey)$")
# Properties whose members are named like secrets but hold no secret: Cognito's TokenValidityUnits names the unit
# (seconds, minutes, hours or days) of each token's lifetime (AWS::Cognito::UserPoolClient TokenValidityUnits).
NOT_SECRET_CONTAINERS = ("TokenValidityUnits",)
# The rule IDs (per pack) that ask for SSE-KMS default encryption on a bucket.
KMS_DEFAULT_ENCRYPTION_RULE = re.compile(r"S3DefaultEncryptionKMS|s3_bucket_default_encryption_kms_check")


def _denies_plain_http(policy: Resource) -> bool:
    for statement in policy.get("PolicyDocument.Statement", []):
        condition = statement.get("Condition", {})
        if statement.get("Effect") == "Deny" and str(deep_find(condition, "aws:SecureTransport")).lower() == "false":
            return True
    return False


@evidence_rule("ENC-1", looks_for=(BUCKET, "AWS::RDS::DBParameterGroup"))
def enc1_buckets_and_database_refuse_plain_connections(env: EnvironmentView, out: Evidence) -> None:
    """Every bucket policy denies requests without TLS; the database forces TLS 1.2 or later."""
    policies = list(env.resources("AWS::S3::BucketPolicy"))
    for bucket in env.resources(BUCKET):
        policy = next((p for p in policies if env.refers_to(p, p.get("Bucket"), bucket)), None)
        if policy is None or not _denies_plain_http(policy):
            out.problem(f"bucket {bucket.logical_id} ({bucket.stack.name}) does not deny requests without TLS")
            continue
        out.row(
            policy,
            "PolicyDocument.Statement[Deny].Condition",
            {"aws:SecureTransport": "false"},
            f"{bucket.logical_id}: TLS only",
        )
    for group in env.resources("AWS::RDS::DBParameterGroup"):
        parameters = group.get("Parameters") or {}
        force, minimum = parameters.get("rds.force_ssl"), parameters.get("ssl_min_protocol_version")
        if str(force) != "1":
            out.problem(f"parameter group {group.logical_id}: rds.force_ssl is {force!r}, not 1")
            continue
        out.row(
            group,
            "Parameters.rds.force_ssl / ssl_min_protocol_version",
            f"1 / {minimum}",
            "the database refuses plain connections",
        )


@evidence_rule("ENC-1", looks_for=(CERTIFICATE, LISTENER), feature="edge")
def enc1_edge_serves_managed_rsa_certificates_over_modern_tls(env: EnvironmentView, out: Evidence) -> None:
    """Certificates are ACM-managed (DNS validation, renewed by AWS) with RSA keys of 2048 bits or more; listeners
    serve HTTPS under a TLS 1.2+ policy, and plain HTTP only redirects to HTTPS."""
    for certificate in env.resources(CERTIFICATE):
        algorithm = certificate.get("KeyAlgorithm", "RSA_2048")  # ACM's default is RSA_2048
        if algorithm not in STRONG_RSA or certificate.get("ValidationMethod") != "DNS":
            out.problem(
                f"certificate {certificate.logical_id}: {algorithm}, validation {certificate.get('ValidationMethod')}"
            )
            continue
        out.row(
            certificate,
            "KeyAlgorithm / ValidationMethod",
            f"{algorithm} / DNS",
            "ACM renews DNS-validated certificates",
        )
    listeners = list(env.resources(LISTENER))
    for listener in listeners:
        protocol = listener.get("Protocol")
        if protocol == "HTTPS" and MODERN_TLS_POLICY.match(str(listener.get("SslPolicy", ""))):
            out.row(listener, "SslPolicy", listener.get("SslPolicy"), "HTTPS with TLS 1.2 or later only")
        elif protocol == "HTTP" and all(
            a.get("Type") == "redirect" and a.get("RedirectConfig", {}).get("Protocol") == "HTTPS"
            for a in listener.get("DefaultActions", [])
        ):
            out.row(listener, "DefaultActions[*].RedirectConfig.Protocol", "HTTPS", "plain HTTP only redirects")
        else:
            out.problem(f"listener {listener.logical_id}: {protocol} with policy {listener.get('SslPolicy')!r}")
    if not listeners:
        out.problem("the public edge has no HTTPS listener")


def _cmk(env: EnvironmentView, origin: Resource, reference: Any) -> Resource | None:
    key = env.target(origin, reference)
    return key if key is not None and key.type == KEY else None


@evidence_rule("ENC-2", looks_for=(BUCKET,))
def enc2_data_buckets_use_rotating_customer_keys(env: EnvironmentView, out: Evidence) -> None:
    """Buckets holding data are encrypted with SSE-KMS under a customer-managed key with rotation on; buckets AWS
    delivers logs into hold logs, not data (ENC-3 covers them)."""
    buckets = data_buckets(env)
    for bucket in buckets:
        rule = (bucket.get("BucketEncryption.ServerSideEncryptionConfiguration") or [{}])[0]
        default = rule.get("ServerSideEncryptionByDefault", {})
        key = _cmk(env, bucket, default.get("KMSMasterKeyID"))
        if default.get("SSEAlgorithm") != "aws:kms" or key is None or key.get("EnableKeyRotation") is not True:
            out.problem(f"bucket {bucket.logical_id} ({bucket.stack.name}): {default or 'no default encryption'}")
            continue
        out.row(
            bucket,
            "BucketEncryption...SSEAlgorithm / KMSMasterKeyID",
            f"aws:kms / {key.logical_id}",
            "SSE-KMS, rotating CMK",
        )
    if not buckets:
        out.problem("no data bucket")
    for (stack, logical_id), what in sorted(log_delivery_targets(env).items()):
        bucket = next(b for b in env.resources(BUCKET) if b.stack.name == stack and b.logical_id == logical_id)
        out.row(
            bucket,
            "(log-delivery target)",
            _default_algorithm(bucket),
            f"not a data bucket: receives {what}; its encryption at rest is evidence under ENC-3",
        )


def _default_algorithm(bucket: Resource) -> Any:
    return bucket.get("BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault.SSEAlgorithm")


def _enc3_acknowledgements(bucket: Resource) -> list[Acknowledgement]:
    """The bucket's acknowledged SSE-KMS findings whose reason says ENC-3 is met another way."""
    return [
        a
        for a in acknowledgements([bucket.stack])
        if a.logical_id == bucket.logical_id
        and a.control == "ENC-3"
        and a.basis == "met another way"
        and KMS_DEFAULT_ENCRYPTION_RULE.search(a.rule_id)
    ]


def _encryption_of(resource: Resource) -> Iterator[tuple[str, Any]]:
    """(property path, key reference) pairs that encrypt this resource at rest, by resource type."""
    paths = {
        "AWS::RDS::DBInstance": ("KmsKeyId", "MasterUserSecret.KmsKeyId", "PerformanceInsightsKMSKeyId"),
        "AWS::Logs::LogGroup": ("KmsKeyId",),
        "AWS::SNS::Topic": ("KmsMasterKeyId",),
        "AWS::Backup::BackupVault": ("EncryptionKeyArn",),
        "AWS::SecretsManager::Secret": ("KmsKeyId",),
        "AWS::SQS::Queue": ("KmsMasterKeyId",),
        "AWS::CloudTrail::Trail": ("KMSKeyId",),
    }
    for path in paths.get(resource.type, ()):
        if (
            resource.type == "AWS::RDS::DBInstance"
            and path == "PerformanceInsightsKMSKeyId"
            and not resource.get("EnablePerformanceInsights")
        ):
            continue
        yield path, resource.get(path)
    if resource.type == "AWS::EC2::Instance":
        for index, device in enumerate(resource.get("BlockDeviceMappings", [])):
            ebs = device.get("Ebs", {})
            yield f"BlockDeviceMappings[{index}].Ebs.KmsKeyId", ebs.get("KmsKeyId") if ebs.get("Encrypted") else None


ENCRYPTED_TYPES = (
    "AWS::RDS::DBInstance",
    "AWS::Logs::LogGroup",
    "AWS::SNS::Topic",
    "AWS::Backup::BackupVault",
    "AWS::SecretsManager::Secret",
    "AWS::SQS::Queue",
    "AWS::CloudTrail::Trail",
    "AWS::EC2::Instance",
    BUCKET,
    KEY,
)


@evidence_rule("ENC-3", looks_for=ENCRYPTED_TYPES)
def enc3_everything_stored_is_under_a_customer_key(env: EnvironmentView, out: Evidence) -> None:
    """Databases, volumes, logs, topics, vaults and secrets are under rotating customer-managed keys; buckets are
    encrypted (log-delivery targets with SSE-S3, the only kind S3 and load balancer log delivery accept, where an
    acknowledgement says so)."""
    log_targets = log_delivery_targets(env)
    for resource in env.resources(*ENCRYPTED_TYPES):
        if resource.type == KEY:
            if resource.get("EnableKeyRotation") is not True:
                out.problem(f"key {resource.logical_id} ({resource.stack.name}) does not rotate")
            continue
        if resource.type == BUCKET:
            _bucket_at_rest(resource, log_targets.get((resource.stack.name, resource.logical_id)), out)
            continue
        for path, reference in _encryption_of(resource):
            key = _cmk(env, resource, reference)
            customer_arn = ":kms:" in str(reference) and "alias/aws/" not in str(reference)
            if key is None and not customer_arn:
                out.problem(
                    f"{resource.type} {resource.logical_id} ({resource.stack.name}): {path} is not a customer key"
                )
            else:
                out.row(
                    resource,
                    path,
                    key.logical_id if key else reference,
                    "encrypted at rest under a customer-managed key",
                )


def _bucket_at_rest(bucket: Resource, log_target: str | None, out: Evidence) -> None:
    """SSE-KMS; or SSE-S3 on a log-delivery target whose SSE-KMS finding is acknowledged as ENC-3 met another way."""
    algorithm = _default_algorithm(bucket)
    if algorithm == "aws:kms":
        out.row(bucket, "BucketEncryption...SSEAlgorithm", algorithm, "SSE-KMS")
        return
    acknowledged = _enc3_acknowledgements(bucket) if log_target and algorithm == "AES256" else []
    if not acknowledged:
        kind = f"log-delivery target ({log_target}) without an ENC-3 acknowledgement" if log_target else "data bucket"
        out.problem(f"bucket {bucket.logical_id} ({bucket.stack.name}): default encryption {algorithm!r}, {kind}")
        return
    rules = ", ".join(sorted({a.rule_id.split("::")[-1] for a in acknowledged}))
    out.row(
        bucket,
        "BucketEncryption...SSEAlgorithm",
        algorithm,
        f"receives {log_target}: SSE-S3 (AES-256), the only encryption that delivery accepts; acknowledged as "
        f"ENC-3 met another way ({rules}): {acknowledged[0].how}",
    )


def _literal_secrets(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if key in NOT_SECRET_CONTAINERS:
                continue
            if SECRET_KEY.search(str(key)) and isinstance(item, str) and item and not item.startswith("{{resolve:"):
                yield here
            yield from _literal_secrets(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _literal_secrets(item, f"{path}[{index}]")


@evidence_rule("ENC-4", looks_for=lambda r: True)
def enc4_no_secret_is_written_into_a_template(env: EnvironmentView, out: Evidence) -> None:
    """No property named like a password, secret or token holds a literal; the database password is RDS-managed."""
    for stack in env.stacks:
        resources = list(stack.resources())
        leaks = [f"{r.logical_id}.{path}" for r in resources for path in _literal_secrets(r.properties)]
        for leak in leaks:
            out.problem(f"{stack.name}: secret literal at {leak}")
        if not leaks:
            out.stack_row(
                stack, "Resources[*].Properties", f"{len(resources)} resources", "no password, secret or token literal"
            )
    for db in env.resources("AWS::RDS::DBInstance"):
        if db.get("ManageMasterUserPassword") is True and "MasterUserPassword" not in db.properties:
            out.row(db, "ManageMasterUserPassword", True, "RDS generates the password into Secrets Manager")
        else:
            out.problem(f"database {db.logical_id}: master password not managed by RDS")
