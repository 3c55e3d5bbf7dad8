"""Probes for `ProjectAccessRules` (policies/access_rules.py): each rule is fed a deliberately bad resource and must
catch it, and the fixed form must pass (ACC-2, ACC-3, ENC-3). Templates are plain dicts where the rule reads only
the template; one tiny synth proves the plugin fails a real synth with all three."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from policies.access_rules import (
    NAME_RULE,
    SERVICE_KEY_RULE,
    SESSION_RULE,
    AccessRules,
    service_key_statements_unbound,
    session_grants_beyond_ssh,
)
from policies.create_only_names import content_digest, create_only_shape, names_fixed_against_content
from tests.probes import synth_report, tiny_stack

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOGX/CO//m+BoXVBMLicNSbA0Y+rmFahu/pXs3Ja3zsK alice@example.com"
INSTANCE = {"Fn::Join": ["", ["arn:aws:ec2:us-east-1:111122223333:instance/", {"Ref": "Bastion"}]]}
SSH_DOCUMENT = "arn:aws:ssm:us-east-1::document/AWS-StartSSHSession"
DOCUMENT_CHECK = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:alerts"


def template_of(type_name: str, properties: dict[str, Any], **attributes: Any) -> dict[str, Any]:
    return {"Resources": {"Probe": {"Type": type_name, "Properties": properties, **attributes}}}


def flagged(findings: Any) -> list[str]:
    return [logical_id for logical_id, _ in findings]


# --- ACC-2: a create-only name must change with its content ---------------------------------------------------


def test_acc2_create_only_shape_comes_from_the_cloudformation_schema() -> None:
    shape = create_only_shape("AWS::EC2::KeyPair")
    assert shape is not None
    assert shape.identity == ("KeyName",)
    assert {"PublicKeyMaterial", "Tags", "KeyType"} <= set(shape.create_only)


def test_acc2_probe_fixed_key_name_independent_of_the_key_is_caught() -> None:
    bad = template_of("AWS::EC2::KeyPair", {"KeyName": "acme-prod-alice", "PublicKeyMaterial": KEY})
    ((logical_id, location),) = names_fixed_against_content(bad)
    assert logical_id == "Probe"
    assert "PublicKeyMaterial" in location


def test_acc2_key_name_carrying_the_content_digest_passes() -> None:
    name = f"acme-prod-alice-{content_digest({'PublicKeyMaterial': KEY})}"
    assert (
        list(names_fixed_against_content(template_of("AWS::EC2::KeyPair", {"KeyName": name, "PublicKeyMaterial": KEY})))
        == []
    )


def test_acc2_probe_tags_on_a_key_pair_are_content_the_name_must_follow() -> None:
    """Tags are create-only too: a digest of the key alone does not cover an owner tag that may change."""
    name = f"acme-prod-alice-{content_digest({'PublicKeyMaterial': KEY})}"
    tagged = {"KeyName": name, "PublicKeyMaterial": KEY, "Tags": [{"Key": "owner", "Value": "ops"}]}
    ((_, location),) = names_fixed_against_content(template_of("AWS::EC2::KeyPair", tagged))
    assert "Tags" in location


def test_acc2_name_with_pseudo_parameters_is_fixed_and_checked() -> None:
    name = {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "alice"]]}
    assert flagged(
        names_fixed_against_content(template_of("AWS::EC2::KeyPair", {"KeyName": name, "PublicKeyMaterial": KEY}))
    ) == ["Probe"]


def test_acc2_probe_fixed_name_whose_create_only_content_follows_another_resource_is_caught() -> None:
    """A digest cannot follow a referenced resource's replacement: let CloudFormation name such a resource."""
    properties = {
        "RestoreTestingPlanName": "plan",
        "RestoreTestingSelectionName": "db",
        "ProtectedResourceType": {"Ref": "Type"},
    }
    ((_, location),) = names_fixed_against_content(template_of("AWS::Backup::RestoreTestingSelection", properties))
    assert "refers to another resource" in location


@pytest.mark.parametrize(
    ("properties", "attributes"),
    [
        ({"PublicKeyMaterial": KEY}, {}),  # CloudFormation names it
        ({"KeyName": {"Ref": "OtherResource"}, "PublicKeyMaterial": KEY}, {}),  # the name follows another resource
        ({"KeyName": "acme-prod-alice", "PublicKeyMaterial": KEY}, {"DeletionPolicy": "Retain"}),  # kept: a migration
        ({"KeyName": "acme-prod-alice", "PublicKeyMaterial": KEY}, {"UpdateReplacePolicy": "Snapshot"}),
        ({"KeyName": "acme-prod-alice"}, {}),  # no other create-only content
    ],
)
def test_acc2_names_outside_the_rule_pass(properties: dict[str, Any], attributes: dict[str, Any]) -> None:
    assert list(names_fixed_against_content(template_of("AWS::EC2::KeyPair", properties, **attributes))) == []


def test_acc2_probe_the_rule_is_general_not_about_key_pairs() -> None:
    properties = {
        "RestoreTestingPlanName": "plan",
        "RestoreTestingSelectionName": "database",
        "ProtectedResourceType": "RDS",
    }
    assert flagged(names_fixed_against_content(template_of("AWS::Backup::RestoreTestingSelection", properties))) == [
        "Probe"
    ]
    properties["RestoreTestingSelectionName"] = f"database_{content_digest({'ProtectedResourceType': 'RDS'})}"
    assert list(names_fixed_against_content(template_of("AWS::Backup::RestoreTestingSelection", properties))) == []


# --- ACC-2 / ACC-3: Session Manager only for SSH tunnels ------------------------------------------------------


def policy(statement: dict[str, Any]) -> dict[str, Any]:
    return template_of("AWS::IAM::ManagedPolicy", {"PolicyDocument": {"Statement": [statement]}})


GOOD_SESSION = {
    "Effect": "Allow",
    "Action": "ssm:StartSession",
    "Resource": [INSTANCE, SSH_DOCUMENT],
    "Condition": DOCUMENT_CHECK,
}


@pytest.mark.parametrize(
    "document",
    [
        SSH_DOCUMENT,
        "arn:aws:ssm:*::document/AWS-StartSSHSession",
        {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, ":ssm:", {"Ref": "AWS::Region"}, "::document/AWS-StartSSHSession"],
            ]
        },
    ],
)
def test_acc2_ssh_tunnel_grant_with_the_document_check_passes(document: Any) -> None:
    assert list(session_grants_beyond_ssh(policy({**GOOD_SESSION, "Resource": [INSTANCE, document]}))) == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"Condition": None}, "no ssm:SessionDocumentAccessCheck"),
        ({"Condition": {"Bool": {"ssm:SessionDocumentAccessCheck": "false"}}}, "no ssm:SessionDocumentAccessCheck"),
        (
            {"Resource": [INSTANCE, "arn:aws:ssm:us-east-1::document/AWS-StartInteractiveCommand"]},
            "AWS-StartInteractiveCommand",
        ),
        (
            {"Resource": [INSTANCE, "arn:aws:ssm:us-east-1:111122223333:document/SSM-SessionManagerRunShell"]},
            "RunShell",
        ),
        ({"Resource": "*"}, "reaches *"),
        ({"Resource": [INSTANCE, "arn:aws:ssm:us-east-1::document/*"]}, "document/*"),
        ({"Resource": [INSTANCE, "arn:aws:ssm:us-east-1:111122223333:*"]}, "reaches *"),
        ({"Resource": [INSTANCE, "arn:aws:ssm:*:*:document/AWS-Start*"]}, "document/AWS-Start*"),
        ({"Resource": [INSTANCE, "arn:aws:ssm:us-east-1::document/AWS-StartPortForwardingSession"]}, "PortForwarding"),
        ({"Action": "ssm:*", "Resource": "*"}, "reaches *"),
        ({"Action": None, "NotAction": "s3:*", "Resource": "*"}, "reaches *"),
        ({"Resource": None, "NotResource": [INSTANCE]}, "NotResource"),
    ],
)
def test_acc2_probe_session_grant_beyond_ssh_is_caught(change: dict[str, Any], why: str) -> None:
    statement = {key: value for key, value in {**GOOD_SESSION, **change}.items() if value is not None}
    findings = list(session_grants_beyond_ssh(policy(statement)))
    assert findings
    assert all(f.rule == SESSION_RULE for f in findings)
    assert any(why in f.location for f in findings)


def test_acc2_probe_inline_role_policy_is_read_too() -> None:
    role = template_of(
        "AWS::IAM::Role",
        {"Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{**GOOD_SESSION, "Condition": {}}]}}]},
    )
    (finding,) = session_grants_beyond_ssh(role)
    assert "Policies/0/PolicyDocument/Statement/0" in finding.location


def test_acc2_grants_of_other_actions_are_not_session_grants() -> None:
    assert (
        list(session_grants_beyond_ssh(policy({"Effect": "Allow", "Action": "ssm:DescribeSessions", "Resource": "*"})))
        == []
    )
    assert (
        list(session_grants_beyond_ssh(policy({"Effect": "Deny", "Action": "ssm:StartSession", "Resource": "*"}))) == []
    )


# --- ENC-3: service principals bound by encryption context, never aws:Source* ---------------------------------


def key_statement(principal: dict[str, Any], condition: dict[str, Any] | None) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return template_of("AWS::KMS::Key", {"KeyPolicy": {"Statement": [statement]}})


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        ({"StringEquals": {"aws:SourceAccount": "111122223333"}}, "aws:sourceaccount"),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/*"}}, "aws:sourcearn"),
        (
            {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": TOPIC_ARN, "aws:SourceAccount": "1"}},
            "aws:sourceaccount",
        ),
        (None, "no encryption-context binding"),
    ],
)
def test_enc3_probe_service_key_statement_with_source_conditions_or_unbound_is_caught(
    condition: dict[str, Any] | None, why: str
) -> None:
    (finding,) = service_key_statements_unbound(key_statement({"Service": "events.amazonaws.com"}, condition))
    assert finding.rule == SERVICE_KEY_RULE
    assert why in finding.location


@pytest.mark.parametrize(
    ("principal", "condition"),
    [
        ({"Service": "events.amazonaws.com"}, {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": TOPIC_ARN}}),
        ({"Service": "logs.us-east-1.amazonaws.com"}, {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:*"}}),
        ({"AWS": "arn:aws:iam::111122223333:root"}, {"StringEquals": {"aws:SourceAccount": "111122223333"}}),
    ],
)
def test_enc3_bound_service_statements_and_account_statements_pass(
    principal: dict[str, Any], condition: dict[str, Any]
) -> None:
    assert list(service_key_statements_unbound(key_statement(principal, condition))) == []


# --- the plugin fails a real synth ----------------------------------------------------------------------------


def test_acc2_enc3_probe_access_rules_fail_the_synth(tmp_path: Path) -> None:
    stack = tiny_stack(outdir=tmp_path)
    ec2.CfnKeyPair(stack, "FixedKeyName", key_name="probe-alice", public_key_material=KEY)
    iam.ManagedPolicy(
        stack,
        "ShellSession",
        statements=[iam.PolicyStatement(actions=["ssm:StartSession"], resources=["*"])],
    )
    key = kms.Key(stack, "AlertKey", enable_key_rotation=True)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
        )
    )
    cdk.Validations.of(stack.node.root).add_plugins(AccessRules())
    report = synth_report(stack)
    assert [i for i in report[NAME_RULE] if i.startswith("FixedKeyName")]
    assert [i for i in report[SESSION_RULE] if i.startswith("ShellSession")]
    assert [i for i in report[SERVICE_KEY_RULE] if i.startswith("AlertKey")]


def describe_key_statement(condition: dict[str, Any] | None) -> dict[str, Any]:
    template = key_statement({"Service": "cloudtrail.amazonaws.com"}, condition)
    (key,) = template["Resources"].values()
    key["Properties"]["KeyPolicy"]["Statement"][0]["Action"] = "kms:DescribeKey"
    return template


def test_enc3_describe_key_has_no_encryption_context_so_its_caller_source_binds_it() -> None:
    """kms:DescribeKey requests carry no encryption context: a statement granting only it is bound by aws:SourceArn
    (as the CloudTrail guide documents), and one bound by nothing is still caught."""
    trail = "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"
    assert (
        list(service_key_statements_unbound(describe_key_statement({"StringEquals": {"aws:SourceArn": trail}}))) == []
    )
    (finding,) = service_key_statements_unbound(describe_key_statement(None))
    assert "no aws:SourceArn" in finding.location


def test_enc3_config_key_statement_bound_by_its_documented_source_account_passes() -> None:
    """AWS Config's page ("Permissions for the KMS Key") prescribes aws:SourceAccount on config.amazonaws.com; the
    delivery table (policies/delivery_paths.toml, key_conditions) names it, and only that key is accepted."""
    config = {"Service": "config.amazonaws.com"}
    documented = {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert list(service_key_statements_unbound(key_statement(config, documented))) == []


def test_enc3_probe_config_key_statement_with_an_undocumented_source_key_is_caught() -> None:
    undocumented = {"ArnLike": {"aws:SourceArn": "arn:aws:config:us-east-1:111122223333:*"}}
    (finding,) = service_key_statements_unbound(key_statement({"Service": "config.amazonaws.com"}, undocumented))
    assert "aws:sourcearn" in finding.location
