"""ACC-3: every service role's trust policy carries the aws:SourceAccount / aws:SourceArn conditions AWS documents for
that service (policies/service_trust.py, policies/trust_rules.py). Probes feed the rule trust policies without them,
with the wrong account or the wrong service's ARN, and an unreviewed service; one tiny synth proves the plugin fails
a real synth; the example assembly has no finding and each fixed role carries its conditions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from constructs.trusted_service import trusted_service
from policies.service_trust import IF_PRESENT, NOT_SENT, REQUIRED, SERVICE_TRUST
from policies.trust_rules import TRUST_RULE, TrustRules, service_trusts_unbound
from tests.conftest import Synthesized
from tests.probes import synth_report, tiny_stack

ACCOUNT = {"Ref": "AWS::AccountId"}


def role(service: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition is not None:
        statement["Condition"] = condition
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return {"Resources": {"Probe": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": document}}}}


def gaps(template: Mapping[str, Any]) -> list[str]:
    return [location for _, location in service_trusts_unbound(template)]


def test_acc3_every_row_names_the_aws_page_it_came_from() -> None:
    for service, row in SERVICE_TRUST.items():
        assert row.doc.startswith("https://docs.aws.amazon.com/"), service
        assert row.binding in {REQUIRED, IF_PRESENT, NOT_SENT}
        assert row.binding != REQUIRED or row.source_arn, f"{service}: a required row names its source ARN"


def test_acc3_probe_rds_monitoring_role_without_conditions_is_caught() -> None:
    (gap,) = [g for g in gaps(role("monitoring.rds.amazonaws.com")) if "SourceAccount" in g]
    assert "USER_Monitoring.OS.Enabling" in gap
    assert any("aws:SourceArn" in g for g in gaps(role("monitoring.rds.amazonaws.com")))


def test_acc3_probe_source_account_alone_is_not_enough_where_a_source_arn_is_documented() -> None:
    only_account = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    (gap,) = gaps(role("vpc-flow-logs.amazonaws.com", only_account))
    assert "aws:SourceArn" in gap


def test_acc3_probe_any_account_or_another_services_arn_is_caught() -> None:
    other_account = {
        "StringEquals": {"aws:SourceAccount": "*"},
        "ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:111122223333:*"},
    }
    assert gaps(role("ecs-tasks.amazonaws.com", other_account))
    wrong_service = {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::any-bucket"},
    }
    assert gaps(role("ecs-tasks.amazonaws.com", wrong_service))


def test_acc3_probe_if_exists_is_refused_where_aws_documents_the_keys() -> None:
    soft = {
        "StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": "arn:aws:rds:us-east-1:111122223333:db:acme-prod-postgres"},
    }
    assert gaps(role("monitoring.rds.amazonaws.com", soft))


def test_acc3_probe_undocumented_service_still_needs_its_account_if_present() -> None:
    assert gaps(role("backup.amazonaws.com"))
    assert gaps(role("backup.amazonaws.com", {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}})) == []


def test_acc3_probe_a_service_without_a_reviewed_row_is_caught() -> None:
    (gap,) = gaps(role("glue.amazonaws.com", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}))
    assert "no row in policies/service_trust.py" in gap


def test_acc3_services_aws_documents_as_passing_their_source_otherwise_pass_bare() -> None:
    assert gaps(role("lambda.amazonaws.com")) == []
    assert gaps(role(["ec2.amazonaws.com"])) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("service", sorted(SERVICE_TRUST))
def test_acc3_trusted_service_builds_what_the_rule_asks_for(service: str) -> None:
    stack = tiny_stack()
    iam.Role(stack, "Role", assumed_by=trusted_service(stack, service))
    template = cdk.assertions.Template.from_stack(stack, skip_cyclical_dependencies_check=True).to_json()
    assert gaps(template) == []


def test_acc3_probe_trust_rules_fail_a_real_synth() -> None:
    stack = tiny_stack()
    iam.Role(stack, "BareMonitoringRole", assumed_by=iam.ServicePrincipal("monitoring.rds.amazonaws.com"))
    cdk.Validations.of(stack.node.root).add_plugins(TrustRules())
    report = synth_report(stack)
    assert [i for i in report[TRUST_RULE] if i.startswith("BareMonitoringRole")]


def test_acc3_the_example_assembly_has_no_unbound_service_trust(synthesized: Synthesized) -> None:
    findings = {name: gaps(synthesized.template_json(name)) for name in synthesized.stack_names()}
    assert {name: found for name, found in findings.items() if found} == {}


@pytest.mark.parametrize(
    ("stack", "role_prefix", "source_arn_service"),
    [
        ("acme-prod-data", "DatabaseMonitoringRole", "rds"),
        ("acme-prod-edge", "ApplicationTaskRole", "ecs"),
        ("acme-prod-edge", "ApplicationExecutionRole", "ecs"),
        ("acme-prod-network", "NetworkFlowLogRole", "ec2"),
        ("acme-prod-data", "DataBucketMalwareProtectionRole", "guardduty"),
        ("acme-prod-data", "DataBucketReplicationRole", None),
        ("acme-prod-backup", "ServiceRole", None),
        ("acme-prod-backup-dr", "RestoreTestRole", None),
        ("account-111122223333-baseline", "AuditTrailLogsRole", None),
    ],
)
def test_acc3_each_service_role_is_bound_to_its_source(
    synthesized: Synthesized, stack: str, role_prefix: str, source_arn_service: str | None
) -> None:
    resources = synthesized.template_json(stack)["Resources"]
    (found,) = [
        r for logical_id, r in resources.items() if logical_id.startswith(role_prefix) and r["Type"] == "AWS::IAM::Role"
    ]
    (statement,) = found["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    condition = statement["Condition"]
    account_block = condition.get("StringEquals") or condition["StringEqualsIfExists"]
    assert account_block["aws:SourceAccount"] in ("111122223333", ACCOUNT)
    if source_arn_service is not None:
        assert "StringEquals" in condition
        assert f":{source_arn_service}:" in str(condition["ArnLike"]["aws:SourceArn"])
