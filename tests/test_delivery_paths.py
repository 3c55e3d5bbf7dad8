"""Delivery paths (policies/delivery_paths.py, the `ProjectDeliveryPaths` gate): every AWS service writing into an
encrypted destination is admitted by the destination's policy and key policy as the principal AWS documents, and the
destination has no setting the service does not support. The evaluator is a pure function over template JSON, so
the probes mutate copies of the real synthesized templates; one probe runs the plugin in a synth."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_config as config
from aws_cdk import aws_s3 as s3

from app import new_app
from policies.delivery_gate import DELIVERY_RULE, DeliveryPathRules, closed_deliveries
from policies.delivery_paths import Delivery, evaluate_deliveries
from policies.delivery_table import delivery_table
from tests.conftest import Synthesized
from tests.probes import synth_report
from tests.test_evidence_support import changed, real_assembly, rows, rule_status

HOME = "account-111122223333-baseline"
DR = f"{HOME}-dr"
EDGE = "acme-prod-edge"


def assembly(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """Every template of the example app, by stack name (a deep copy: probes mutate it)."""
    return {name: copy.deepcopy(synthesized.template_json(name)) for name in synthesized.stack_names()}


def of_row(deliveries: list[Delivery], row: str, template: str | None = None) -> list[Delivery]:
    return [d for d in deliveries if d.row.id == row and (template is None or d.template_path == template)]


def resource(template: dict[str, Any], resource_type: str, prefix: str) -> dict[str, Any]:
    (found,) = [r for k, r in template["Resources"].items() if r["Type"] == resource_type and k.startswith(prefix)]
    return found


def test_cmp1_every_documented_row_names_its_aws_pages_and_a_principal() -> None:
    rows = delivery_table()
    assert len({row.id for row in rows}) == len(rows)
    for row in rows:
        assert row.principals, row.id
        assert row.docs, row.id
        assert all(page.startswith("https://docs.aws.amazon.com/") for page in row.docs), row.id


def test_acc4_cmp1_every_delivery_of_the_example_app_is_open(synthesized: Synthesized) -> None:
    deliveries = evaluate_deliveries(assembly(synthesized))
    assert [(d.row.id, d.template_path, d.writer_id, d.missing) for d in deliveries if d.missing] == []
    # Every kind of writer the example deploys is evaluated, not skipped.
    assert {d.row.id for d in deliveries} >= {
        "cloudtrail-to-s3",
        "cloudtrail-to-logs",
        "config-to-s3",
        "flow-logs-to-logs",
        "alb-access-logs-to-s3",
        "waf-logs-to-logs",
        "s3-replication",
        "backup-copy",
        "eventbridge-to-sns",
        "alarm-to-sns",
        "backup-notifications-to-sns",
        "guardduty-malware-scan",
        "rds-events-to-sns",
    }


def test_cmp1_config_of_both_regions_delivers_to_the_home_config_bucket_not_the_trail_bucket(
    synthesized: Synthesized,
) -> None:
    for stack in (HOME, DR):
        (delivery,) = of_row(evaluate_deliveries(assembly(synthesized)), "config-to-s3", stack)
        assert delivery.destination.startswith(f"{HOME}#ConfigBucket")


def test_cmp1_probe_config_delivery_bucket_with_object_lock_is_caught(synthesized: Synthesized) -> None:
    templates = assembly(synthesized)
    bucket = resource(templates[HOME], "AWS::S3::Bucket", "ConfigBucket")
    bucket["Properties"]["ObjectLockEnabled"] = True
    missing = [m for d in of_row(evaluate_deliveries(templates), "config-to-s3") for m in d.missing]
    assert len(missing) == 2  # the home and the DR region's channels
    assert all("ObjectLockEnabled = True: AWS Config does not support" in m for m in missing)


def test_enc3_probe_key_policy_without_the_config_principal_is_caught(synthesized: Synthesized) -> None:
    templates = assembly(synthesized)
    key = resource(templates[HOME], "AWS::KMS::Key", "KeysAudit")
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    key["Properties"]["KeyPolicy"]["Statement"] = [s for s in statements if s.get("Sid") != "AWSConfigKMSPolicy"]
    (delivery,) = of_row(evaluate_deliveries(templates), "config-to-s3", HOME)
    assert delivery.missing == (
        f"key {delivery_key(templates)} policy does not allow config.amazonaws.com kms:Decrypt",
        f"key {delivery_key(templates)} policy does not allow config.amazonaws.com kms:GenerateDataKey",
    )


def delivery_key(templates: dict[str, dict[str, Any]]) -> str:
    (key_id,) = [k for k in templates[HOME]["Resources"] if k.startswith("KeysAudit") and "Alias" not in k]
    return key_id


def test_enc3_probe_config_admitted_through_its_service_linked_role_only_is_caught(synthesized: Synthesized) -> None:
    """The mistake this guard was written for: the key admitted the role Config does not use for delivery."""
    templates = assembly(synthesized)
    key = resource(templates[HOME], "AWS::KMS::Key", "KeysAudit")
    for statement in key["Properties"]["KeyPolicy"]["Statement"]:
        if statement.get("Sid") == "AWSConfigKMSPolicy":
            statement["Principal"] = {
                "AWS": "arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
            }
    (delivery,) = of_row(evaluate_deliveries(templates), "config-to-s3", HOME)
    assert any("config.amazonaws.com kms:GenerateDataKey" in m for m in delivery.missing)


def test_acc4_probe_cloudtrail_bucket_statements_without_the_trails_source_arn_are_caught(
    synthesized: Synthesized,
) -> None:
    templates = assembly(synthesized)
    policy = resource(templates[HOME], "AWS::S3::BucketPolicy", "AuditTrailLogsBucketPolicy")
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        statement.get("Condition", {}).get("StringEquals", {}).pop("aws:SourceArn", None)
    (delivery,) = of_row(evaluate_deliveries(templates), "cloudtrail-to-s3", HOME)
    assert delivery.missing == (
        "bucket policy does not allow cloudtrail.amazonaws.com s3:GetBucketAcl with aws:SourceArn",
        "bucket policy does not allow cloudtrail.amazonaws.com s3:PutObject with aws:SourceArn",
    )


def test_acc4_probe_load_balancer_log_bucket_under_sse_kms_is_caught(synthesized: Synthesized) -> None:
    templates = assembly(synthesized)
    bucket = resource(templates[EDGE], "AWS::S3::Bucket", "EdgeLogs")
    bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] = {"SSEAlgorithm": "aws:kms"}
    (delivery,) = of_row(evaluate_deliveries(templates), "alb-access-logs-to-s3", EDGE)
    assert delivery.missing == (
        "BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault.SSEAlgorithm = "
        "'aws:kms': load balancer access logs support only SSE-S3 on the bucket",
    )


def test_bak5_probe_replica_bucket_without_versioning_is_caught(synthesized: Synthesized) -> None:
    templates = assembly(synthesized)
    replica = resource(templates["acme-prod-data-dr"], "AWS::S3::Bucket", "DataReplicaBucket")
    del replica["Properties"]["VersioningConfiguration"]
    (delivery,) = of_row(evaluate_deliveries(templates), "s3-replication", "acme-prod-data")
    assert delivery.missing == ("VersioningConfiguration.Status = None: S3 replicates only into a versioned bucket",)


def test_cmp1_gate_names_the_writer_the_service_and_the_page(synthesized: Synthesized) -> None:
    templates = assembly(synthesized)
    resource(templates[HOME], "AWS::S3::Bucket", "ConfigBucket")["Properties"]["ObjectLockEnabled"] = True
    findings = [f for f in closed_deliveries(templates) if f.template_path == HOME]
    (finding,) = findings
    assert finding.logical_id.startswith("ConfigDelivery")
    assert finding.message.startswith("AWS Config delivery channel (CMP-1) -> ")
    assert "aws-resource-config-deliverychannel.html" in finding.message


def test_cmp1_probe_the_plugin_fails_a_synth_with_a_config_channel_into_an_object_lock_bucket(tmp_path: Path) -> None:
    app = new_app(outdir=str(tmp_path), context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Probe", env=cdk.Environment(account="111122223333", region="us-east-1"))
    s3.CfnBucket(stack, "Locked", bucket_name="probe-config-bucket", object_lock_enabled=True)
    config.CfnDeliveryChannel(stack, "Channel", s3_bucket_name="probe-config-bucket")
    cdk.Validations.of(app).add_plugins(DeliveryPathRules())
    findings = synth_report(stack)
    assert findings[DELIVERY_RULE][0].startswith("Channel")


# The evidence report calls the same evaluator (evidence_report/rules/delivery_paths.py) -------------------------------

RULE = "cmp1_services_can_deliver_into_their_encrypted_destinations"


def test_cmp1_evidence_shows_each_delivery_with_its_principal_and_page(synthesized: Synthesized) -> None:
    assembly = real_assembly(synthesized)
    assert rule_status(assembly, "CMP-1", RULE) == "met"
    config_rows = [r for r in rows(assembly, "CMP-1") if r.resource_type == "AWS::Config::DeliveryChannel"]
    assert len(config_rows) == 2  # the home and the DR region's channels of acme-prod's account
    assert all("config.amazonaws.com" in r.why and "deliverychannel" in r.why for r in config_rows)


def test_cmp1_probe_evidence_is_not_met_when_the_config_bucket_has_object_lock(synthesized: Synthesized) -> None:
    def lock(template: dict[str, Any]) -> None:
        resource(template, "AWS::S3::Bucket", "ConfigBucket")["Properties"]["ObjectLockEnabled"] = True

    assembly = changed(real_assembly(synthesized), HOME, lock)
    assert rule_status(assembly, "CMP-1", RULE) != "met"


def test_cmp1_probe_a_destination_outside_the_assembly_is_named_not_passed() -> None:
    """Fail closed: a delivery whose bucket no template holds cannot be proven open, so it is reported."""
    template = {"Resources": {"Channel": {"Type": "AWS::Config::DeliveryChannel", "Properties": {"S3BucketName": "x"}}}}
    (delivery,) = evaluate_deliveries({"probe": template})
    assert delivery.missing == ("bucket x is not in the assembly: its policies are unchecked",)
