"""ACC-4 / NET-5 guard (policies/baseline_rules.py): a rule that listens for CloudTrail API calls or GuardDuty
findings fails the synth unless a trail (any region of its account) or a detector (its account and region) exists,
or the account's baseline says the organization provides it. Probes: tiny apps, one plugin."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_events as events

from app import new_app
from policies.baseline_rules import BASELINE_METADATA, CLOUDTRAIL_RULE, GUARDDUTY_RULE, BaselineRules
from tests.conftest import Synthesized
from tests.probes import synth_report

ACCOUNT_A = "111122223333"
ACCOUNT_B = "444455556666"


def app_with_rules(tmp_path: Path) -> tuple[cdk.App, cdk.Stack]:
    app = new_app(outdir=str(tmp_path), context={"aws:cdk:bundling-stacks": []})
    rules = cdk.Stack(app, "Rules", env=cdk.Environment(account=ACCOUNT_A, region="us-east-1"))
    events.Rule(
        rules,
        "KeyPairCalls",
        event_pattern=events.EventPattern(source=["aws.ec2"], detail_type=["AWS API Call via CloudTrail"]),
    )
    events.Rule(
        rules,
        "BruteForce",
        event_pattern=events.EventPattern(source=["aws.guardduty"], detail_type=["GuardDuty Finding"]),
    )
    cdk.Validations.of(app).add_plugins(BaselineRules())
    return app, rules


def baseline(app: cdk.App, account: str, region: str, *, trail: bool, detector: bool) -> cdk.Stack:
    stack = cdk.Stack(
        app, f"Baseline{account}{region.replace('-', '')}", env=cdk.Environment(account=account, region=region)
    )
    if trail:
        cdk.CfnResource(
            stack, "Trail", type="AWS::CloudTrail::Trail", properties={"IsLogging": True, "S3BucketName": "b"}
        )
    if detector:
        cdk.CfnResource(stack, "Detector", type="AWS::GuardDuty::Detector", properties={"Enable": True})
    return stack


def test_acc4_net5_probe_rules_in_an_app_with_no_trail_and_no_detector_fail(tmp_path: Path) -> None:
    _, rules = app_with_rules(tmp_path)
    findings = synth_report(rules)
    assert findings[CLOUDTRAIL_RULE][0].startswith("KeyPairCalls")
    assert findings[GUARDDUTY_RULE][0].startswith("BruteForce")


def test_acc4_net5_trail_and_detector_of_the_account_back_the_rules(tmp_path: Path) -> None:
    app, rules = app_with_rules(tmp_path)
    baseline(app, ACCOUNT_A, "us-east-1", trail=True, detector=True)
    findings = synth_report(rules)
    assert CLOUDTRAIL_RULE not in findings
    assert GUARDDUTY_RULE not in findings


def test_acc4_probe_another_accounts_trail_does_not_count(tmp_path: Path) -> None:
    app, rules = app_with_rules(tmp_path)
    baseline(app, ACCOUNT_B, "us-east-1", trail=True, detector=True)
    findings = synth_report(rules)
    assert findings[CLOUDTRAIL_RULE][0].startswith("KeyPairCalls")
    assert findings[GUARDDUTY_RULE][0].startswith("BruteForce")


def test_net5_probe_a_detector_in_another_region_does_not_count_but_a_multi_region_trail_does(tmp_path: Path) -> None:
    app, rules = app_with_rules(tmp_path)
    baseline(app, ACCOUNT_A, "us-west-2", trail=True, detector=True)
    findings = synth_report(rules)
    assert CLOUDTRAIL_RULE not in findings
    assert findings[GUARDDUTY_RULE][0].startswith("BruteForce")


def test_acc4_net5_organization_provided_services_back_the_rules(tmp_path: Path) -> None:
    app, rules = app_with_rules(tmp_path)
    stack = baseline(app, ACCOUNT_A, "us-east-1", trail=False, detector=False)
    stack.add_metadata(BASELINE_METADATA, {"ProvidedByOrganization": ["CloudTrail", "GuardDuty"]})
    cdk.CfnResource(stack, "Placeholder", type="AWS::SNS::Topic")
    findings = synth_report(rules)
    assert CLOUDTRAIL_RULE not in findings
    assert GUARDDUTY_RULE not in findings


def test_acc2_the_example_apps_bastion_rules_are_backed(synthesized: Synthesized) -> None:
    """In the example app the bastions' key-pair, Instance Connect and brute-force rules pass the gate."""
    plugins = {report["pluginName"]: report for report in synthesized.report["pluginReports"]}
    assert plugins.get("ProjectBaselineRules", {"violations": []})["violations"] == []
    bastion = synthesized.template_json("acme-prod-bastion")
    listening = [
        r
        for r in bastion["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
        and "AWS API Call via CloudTrail" in r["Properties"]["EventPattern"].get("detail-type", [])
    ]
    assert len(listening) == 2  # the rules the guard had to find backed
