"""Evidence rules for promises whose resources the app does not build yet (the public edge; the per-account
baseline): honestly "not built" on the real assembly, "met" on template copies that add the resources, and
"not met" once those resources are broken."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from evidence_report.assembly import UNKNOWN_ACCOUNT, Assembly
from tests.conftest import Synthesized
from tests.test_evidence_support import (
    DEV,
    PROD,
    PROD_ACCOUNT,
    Template,
    added,
    changed,
    real_assembly,
    rule_status,
    status,
)

BASELINE = f"{PROD_ACCOUNT}-baseline"
EDGE = f"{PROD}-edge"


def baseline_resources(password_length: int = 14) -> dict[str, Any]:
    password_call: dict[str, Any] = {"service": "IAM", "action": "updateAccountPasswordPolicy"}
    password_call["parameters"] = {"MinimumPasswordLength": password_length, "RequireSymbols": True}
    return {
        "Trail": {
            "Type": "AWS::CloudTrail::Trail",
            "Properties": {
                "IsLogging": True,
                "IsMultiRegionTrail": True,
                "EnableLogFileValidation": True,
                "KMSKeyId": {"Fn::GetAtt": ["TrailKey", "Arn"]},
                "S3BucketName": "trail",
            },
        },
        "TrailKey": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
        "Detector": {
            "Type": "AWS::GuardDuty::Detector",
            "Properties": {"Enable": True, "Features": [{"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED"}]},
        },
        "Hub": {"Type": "AWS::SecurityHub::Hub", "Properties": {}},
        "Cis": {
            "Type": "AWS::SecurityHub::Standard",
            "Properties": {
                "StandardsArn": "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0"
            },
        },
        "Inspector": {
            "Type": "Custom::AWS",
            "Properties": {
                "ServiceToken": "arn:aws:lambda:fn",
                "Create": json.dumps({"service": "Inspector2", "action": "enable"}),
            },
        },
        "PasswordPolicy": {
            "Type": "Custom::IamPasswordPolicy",
            "Properties": {"ServiceToken": "arn:aws:lambda:fn", "Create": json.dumps(password_call)},
        },
    }


def edge_resources() -> dict[str, Any]:
    return {
        "Certificate": {
            "Type": "AWS::CertificateManager::Certificate",
            "Properties": {"DomainName": "app.example.com", "ValidationMethod": "DNS", "KeyAlgorithm": "RSA_2048"},
        },
        "Balancer": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Scheme": "internet-facing"}},
        "Https": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Properties": {
                "Protocol": "HTTPS",
                "Port": 443,
                "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "LoadBalancerArn": {"Ref": "Balancer"},
                "Certificates": [{"CertificateArn": {"Ref": "Certificate"}}],
            },
        },
        "Http": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Properties": {
                "Protocol": "HTTP",
                "Port": 80,
                "LoadBalancerArn": {"Ref": "Balancer"},
                "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443"}}],
            },
        },
        "WebAcl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "Rules": [
                    {
                        "Name": "rate",
                        "Priority": 0,
                        "Action": {"Block": {}},
                        "Statement": {"RateBasedStatement": {"Limit": 1000, "AggregateKeyType": "IP"}},
                    },
                ],
            },
        },
        "WebAclAssociation": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "Properties": {"ResourceArn": {"Ref": "Balancer"}, "WebACLArn": {"Fn::GetAtt": ["WebAcl", "Arn"]}},
        },
        "Users": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {"Policies": {"PasswordPolicy": {"MinimumLength": 12}}},
        },
        "AppClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid", "api/read"],
                "CallbackURLs": ["https://app.example.com/callback"],
                "LogoutURLs": ["https://app.example.com/"],
                "AccessTokenValidity": 60,
                "IdTokenValidity": 60,
                "RefreshTokenValidity": 1440,
            },
        },
    }


def malware_plan(template: Template) -> None:
    bucket = next(
        lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket" and "DataBucket" in lid
    )
    template["Resources"]["Malware"] = {
        "Type": "AWS::GuardDuty::MalwareProtectionPlan",
        "Properties": {
            "ProtectedResource": {"S3Bucket": {"BucketName": {"Ref": bucket}}},
            "Role": "arn:aws:iam::1:role/x",
        },
    }


@pytest.fixture(scope="module")
def assembly(synthesized: Synthesized) -> Assembly:
    return real_assembly(synthesized)


@pytest.fixture(scope="module")
def full(assembly: Assembly) -> Assembly:
    """The real assembly plus the production edge, the account baseline and a malware plan on the data bucket."""
    with_baseline = added(assembly, BASELINE, baseline_resources(), account=PROD_ACCOUNT, environment=None)
    with_edge = added(with_baseline, EDGE, edge_resources(), account=PROD_ACCOUNT, environment=PROD)
    return changed(with_edge, f"{PROD}-data", malware_plan)


def edit(assembly: Assembly, stack: str, logical_id: str, path: str, value: Any) -> Assembly:
    """A copy with one property set (`value` None deletes it); `path` is dotted, list indexes as numbers."""

    def apply(t: Template) -> None:
        *parents, last = ["Properties", *path.split(".")]
        node: Any = t["Resources"][logical_id]
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value

    return changed(assembly, stack, apply)


@pytest.mark.parametrize("control", ["ACC-6", "ACC-7", "NET-5", "NET-6"])
def test_acc6_acc7_net5_net6_evidence_not_built_while_no_stack_builds_the_resources(
    assembly: Assembly, control: str
) -> None:
    assert status(assembly, control, PROD) == "not built"
    assert status(assembly, control, DEV) == "not built"


@pytest.mark.parametrize("control", ["ACC-4", "ACC-5", "NET-3", "NET-4", "ENC-1"])
def test_acc4_acc5_net3_net4_enc1_evidence_partly_built_while_edge_and_baseline_are_missing(
    assembly: Assembly, control: str
) -> None:
    assert status(assembly, control, PROD) == "partly built"


@pytest.mark.parametrize("control", ["ACC-4", "ACC-5", "ACC-6", "ACC-7", "NET-3", "NET-4", "NET-5", "NET-6", "ENC-1"])
def test_acc4_acc5_acc6_acc7_net3_net4_net5_net6_enc1_evidence_met_in_prod_with_edge_and_baseline(
    full: Assembly, control: str
) -> None:
    assert status(full, control, PROD) == "met"


def test_net5_account_baseline_counts_only_in_its_own_account(full: Assembly) -> None:
    assert status(full, "NET-5", DEV) == "not met", "globex-dev has no account, so the 1111... baseline is not its own"
    agnostic = added(
        real_assembly_of(full), "agnostic-baseline", baseline_resources(), account=UNKNOWN_ACCOUNT, environment=None
    )
    assert status(agnostic, "NET-5", DEV) == "met"
    assert status(agnostic, "NET-5", PROD) == "not met"


def real_assembly_of(full: Assembly) -> Assembly:
    return dataclasses.replace(full, stacks=tuple(s for s in full.stacks if s.name not in (BASELINE, EDGE)))


def test_acc6_evidence_built_in_production_only_is_not_met_in_dev(full: Assembly) -> None:
    assert status(full, "ACC-6", DEV) == "not met", "built somewhere, so missing here is a gap, not 'not built'"


@pytest.mark.parametrize(
    "case",
    [
        ("ACC-4", BASELINE, "Trail", "IsMultiRegionTrail", False),
        ("ACC-4", BASELINE, "Trail", "KMSKeyId", None),
        ("ACC-5", BASELINE, "PasswordPolicy", "Create", json.dumps({"parameters": {"MinimumPasswordLength": 8}})),
        ("ACC-5", EDGE, "AppClient", "RefreshTokenValidity", None),
        ("ACC-6", EDGE, "AppClient", "AllowedOAuthFlows", ["implicit", "code"]),
        ("ACC-6", EDGE, "AppClient", "AllowedOAuthScopes", []),
        ("ACC-7", EDGE, "AppClient", "CallbackURLs", ["http://app.example.com/callback"]),
        ("ACC-7", EDGE, "AppClient", "LogoutURLs", ["https://*.example.com/"]),
        ("NET-3", EDGE, "WebAclAssociation", "ResourceArn", "arn:aws:elasticloadbalancing:other"),
        ("NET-4", EDGE, "WebAcl", "Rules", []),
        ("NET-4", BASELINE, "Detector", "Enable", False),
        ("NET-5", BASELINE, "Cis", "StandardsArn", None),
        ("NET-6", BASELINE, "Detector", "Features", [{"Name": "EBS_MALWARE_PROTECTION", "Status": "DISABLED"}]),
        ("ENC-1", EDGE, "Certificate", "KeyAlgorithm", "RSA_1024"),
        ("ENC-1", EDGE, "Certificate", "ValidationMethod", "EMAIL"),
        ("ENC-1", EDGE, "Https", "SslPolicy", "ELBSecurityPolicy-2016-08"),
        ("ENC-1", EDGE, "Http", "DefaultActions", [{"Type": "forward"}]),
    ],
)
def test_acc4_acc5_acc6_acc7_net3_net4_net5_net6_enc1_evidence_not_met_when_broken(
    full: Assembly, case: tuple[str, str, str, str, Any]
) -> None:
    control, stack, logical_id, path, value = case
    assert status(edit(full, stack, logical_id, path, value), control, PROD) == "not met"


def test_net5_evidence_not_met_without_security_hub(full: Assembly) -> None:
    def no_hub(t: Template) -> None:
        del t["Resources"]["Hub"]

    assert status(changed(full, BASELINE, no_hub), "NET-5") == "not met"


def test_net6_evidence_not_met_without_a_malware_plan_on_the_data_bucket(full: Assembly) -> None:
    def no_plan(t: Template) -> None:
        del t["Resources"]["Malware"]

    broken = changed(full, f"{PROD}-data", no_plan)
    rule = "net6_guardduty_scans_volumes_and_buckets_for_malware"
    assert rule_status(broken, "NET-6", rule) == "not met"
