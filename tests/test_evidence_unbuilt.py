"""Evidence rules for promises whose resources the app does not build yet (the per-account baseline: CloudTrail,
GuardDuty, Security Hub, Inspector, the IAM password policy): honestly "not built" on the real assembly, "met" on
template copies that add the resources, and "not met" once those resources are broken. The public edge is built
(acme-prod only): its rules are proven on the real edge template in test_evidence_edge.py."""

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
    """The real assembly (with its real production edge) plus the account baseline and a malware plan on the data
    bucket."""
    with_baseline = added(assembly, BASELINE, baseline_resources(), account=PROD_ACCOUNT, environment=None)
    return changed(with_baseline, f"{PROD}-data", malware_plan)


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


@pytest.mark.parametrize("control", ["NET-5", "NET-6"])
def test_net5_net6_evidence_not_built_while_no_stack_builds_the_baseline(assembly: Assembly, control: str) -> None:
    assert status(assembly, control, PROD) == "not built"
    assert status(assembly, control, DEV) == "not built"


@pytest.mark.parametrize("control", ["ACC-4", "ACC-5", "NET-4"])
def test_acc4_acc5_net4_evidence_partly_built_while_the_baseline_is_missing(assembly: Assembly, control: str) -> None:
    assert status(assembly, control, PROD) == "partly built"
    assert status(assembly, control, DEV) == "partly built"


@pytest.mark.parametrize("control", ["ACC-4", "ACC-5", "ACC-6", "ACC-7", "NET-3", "NET-4", "NET-5", "NET-6", "ENC-1"])
def test_acc4_acc5_acc6_acc7_net3_net4_net5_net6_enc1_evidence_met_in_prod_with_the_real_edge_and_a_baseline(
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
    return dataclasses.replace(full, stacks=tuple(s for s in full.stacks if s.name != BASELINE))


def test_acc5_baseline_built_for_one_account_is_not_met_in_another(full: Assembly) -> None:
    rule = "acc5_iam_password_policy_is_strong"
    assert rule_status(full, "ACC-5", rule, DEV) == "not met", "built somewhere, so missing here is a gap"


@pytest.mark.parametrize(
    "case",
    [
        ("ACC-4", BASELINE, "Trail", "IsMultiRegionTrail", False),
        ("ACC-4", BASELINE, "Trail", "KMSKeyId", None),
        ("ACC-5", BASELINE, "PasswordPolicy", "Create", json.dumps({"parameters": {"MinimumPasswordLength": 8}})),
        ("NET-4", BASELINE, "Detector", "Enable", False),
        ("NET-5", BASELINE, "Cis", "StandardsArn", None),
        ("NET-6", BASELINE, "Detector", "Features", [{"Name": "EBS_MALWARE_PROTECTION", "Status": "DISABLED"}]),
    ],
)
def test_acc4_acc5_net4_net5_net6_evidence_not_met_when_the_baseline_is_broken(
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
