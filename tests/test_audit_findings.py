"""The audit findings of issue 22 that are not trust policies: RDS events reach the alert topic (ACC-4, HA-1), the
account has a support role (ACC-8, CIS 1.17), passwords do not expire by decision (ACC-5). The CIS Organizations
filter (NET-4) and Inspector's Lambda scanning (NET-5) are tested with their families in tests/test_baseline_stack.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from constructs.account_password_policy import PASSWORD_POLICY
from constructs.database_event_alerts import CRITICAL_INSTANCE_EVENTS, RDS_EVENTS_SERVICE
from constructs.support_role import SUPPORT_POLICY
from policies.access_rules import service_key_statements_unbound
from tests.conftest import DEV, PROD, Synthesized
from tests.template_resources import of_type

HOME = "account-111122223333-baseline"


def typed(synthesized: Synthesized, stack: str, resource_type: str) -> dict[str, dict[str, Any]]:
    return of_type(synthesized.template_json(stack), resource_type)


# ACC-4 / HA-1: RDS event subscriptions ------------------------------------------------------------------------


@pytest.mark.parametrize("env", [PROD, DEV])
def test_acc4_ha1_rds_critical_and_group_events_reach_the_environments_alert_topic(
    synthesized: Synthesized, env: str
) -> None:
    stack = f"{env}-backup"
    (topic_id,) = typed(synthesized, stack, "AWS::SNS::Topic")
    (topic_policy_id,) = typed(synthesized, stack, "AWS::SNS::TopicPolicy")
    subscriptions = {
        s["Properties"]["SourceType"]: s for s in typed(synthesized, stack, "AWS::RDS::EventSubscription").values()
    }
    assert set(subscriptions) == {"db-instance", "db-parameter-group", "db-security-group"}
    instance = subscriptions["db-instance"]["Properties"]
    assert instance["SourceIds"] == [f"{env}-postgres"]
    assert {"failure", "failover", "maintenance", "configuration change"} <= set(instance["EventCategories"])
    assert instance["EventCategories"] == list(CRITICAL_INSTANCE_EVENTS)
    assert subscriptions["db-parameter-group"]["Properties"]["EventCategories"] == ["configuration change"]
    assert subscriptions["db-security-group"]["Properties"]["EventCategories"] == ["configuration change", "failure"]
    for subscription in subscriptions.values():
        assert subscription["Properties"]["SnsTopicArn"] == {"Ref": topic_id}
        assert subscription["Properties"]["Enabled"] is True
        assert topic_policy_id in subscription.get("DependsOn", [])  # RDS checks it may publish at creation


@pytest.mark.parametrize("env", [PROD, DEV])
def test_acc4_enc3_rds_may_publish_to_the_encrypted_topic_through_both_policies(
    synthesized: Synthesized, env: str
) -> None:
    """RDS user guide: the topic policy admits events.rds.amazonaws.com for this account's RDS resources; the
    topic's key admits it bound by SNS's encryption context (ENC-3: never by aws:Source*)."""
    stack = f"{env}-backup"
    template = synthesized.template_json(stack)
    (policy,) = typed(synthesized, stack, "AWS::SNS::TopicPolicy").values()
    (publish,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Principal"] == {"Service": RDS_EVENTS_SERVICE}
    ]
    assert publish["Action"] == "sns:Publish"
    assert "aws:SourceAccount" in publish["Condition"]["StringEquals"]
    assert ":rds:" in json.dumps(publish["Condition"]["ArnLike"]["aws:SourceArn"])
    key_statements = [
        s
        for key in typed(synthesized, stack, "AWS::KMS::Key").values()
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": RDS_EVENTS_SERVICE}
    ]
    (use,) = key_statements
    assert set(use["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    assert "kms:EncryptionContext:aws:sns:topicArn" in use["Condition"]["StringEquals"]
    assert list(service_key_statements_unbound(template)) == []


# ACC-8: the support role ------------------------------------------------------------------------------------


def test_acc8_the_account_has_a_support_role_people_assume_with_mfa(synthesized: Synthesized) -> None:
    roles = [
        r
        for r in typed(synthesized, HOME, "AWS::IAM::Role").values()
        if any(SUPPORT_POLICY in json.dumps(arn) for arn in r["Properties"].get("ManagedPolicyArns", []))
    ]
    (role,) = roles
    assert len(role["Properties"]["ManagedPolicyArns"]) == 1
    assert "Policies" not in role["Properties"]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert "AWS" in statement["Principal"]
    assert "Service" not in statement["Principal"]
    assert json.dumps(statement["Principal"]["AWS"]).endswith(':iam::111122223333:root"')
    assert statement["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert typed(synthesized, HOME, "AWS::IAM::User") == {}


def test_acc8_probe_the_support_role_test_fails_without_the_role(synthesized: Synthesized) -> None:
    for stack in (f"{PROD}-data", f"{HOME}-dr"):  # stacks without a support role: the lookup finds none
        assert not [
            r
            for r in typed(synthesized, stack, "AWS::IAM::Role").values()
            if SUPPORT_POLICY in json.dumps(r["Properties"].get("ManagedPolicyArns", []))
        ]


# ACC-5: password expiry, decided --------------------------------------------------------------------------------


def test_acc5_passwords_do_not_expire_by_decision_nist_800_63b(synthesized: Synthesized) -> None:
    """NIST SP 800-63B: no periodic change; CIS v1.4.0+ dropped the 90-day expiry (docs/baseline-decisions.md)."""
    assert "MaxPasswordAge" not in PASSWORD_POLICY
    assert "HardExpiry" not in PASSWORD_POLICY
    (call,) = [
        json.loads(r["Properties"]["Create"])
        for r in typed(synthesized, HOME, "Custom::AWS").values()
        if "updateAccountPasswordPolicy" in r["Properties"]["Create"]
    ]
    assert "MaxPasswordAge" not in call["parameters"]
    with open("docs/baseline-decisions.md", encoding="utf-8") as decisions:
        assert "NIST SP 800-63B" in decisions.read()
