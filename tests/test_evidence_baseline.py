"""Evidence rules for the account security baseline on the REAL baseline templates of the session synth: met in
acme-prod (account 111122223333: `account-111122223333-baseline[-dr]`) and in globex-dev (no account: the
environment-agnostic `deploying-account-baseline[-dr]`); "not met" once a piece is broken or removed; a baseline
counts only in its own account; an organization-managed baseline is "provided by organization", with the reason,
never "met" (ACC-4, ACC-5, NET-4, NET-5, NET-6).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from evidence_report.assembly import Assembly
from evidence_report.evaluate import PROVIDED, evaluate
from evidence_report.rules.account_baseline import BASELINE_METADATA
from policies.baseline_rules import BASELINE_METADATA as STACK_METADATA
from policies.baseline_rules import ORGANIZATION_SERVICES
from tests.conftest import Synthesized
from tests.test_evidence_support import (
    DEV,
    PROD,
    PROD_ACCOUNT,
    Template,
    changed,
    delete,
    environment_result,
    one,
    only,
    real_assembly,
    rows,
    rule_status,
    status,
)

HOME = f"account-{PROD_ACCOUNT}-baseline"
DR = f"{HOME}-dr"
AGNOSTIC = "deploying-account-baseline"
CONTROLS = ("ACC-4", "ACC-5", "NET-4", "NET-5", "NET-6")
DETECTOR = "AWS::GuardDuty::Detector"
# Construct ids (stacks/baseline.py, stacks/baseline_base.py) of what an organization-managed baseline leaves out.
ORGANIZATION_PARTS = (
    "AuditTrail",
    "CisAlarms",
    "KeysAudit",
    "ConfigServiceLinkedRole",
    "GuardDuty",
    "SecurityHub",
    "Config",
)
Mutation = Callable[[Template], None]


@pytest.fixture(scope="module")
def assembly(synthesized: Synthesized) -> Assembly:
    names = synthesized.stack_names()
    for stack in (HOME, DR, AGNOSTIC, f"{AGNOSTIC}-dr"):
        assert stack in names, f"the example config builds {stack}"
    return real_assembly(synthesized)


def props(resource_type: str, contains: str = "") -> Callable[[Template], dict[str, Any]]:
    return lambda t: one(t, resource_type, contains)["Properties"]


def setting(resource_type: str, contains: str, key: str, value: Any) -> Mutation:
    """Set (None: delete) one top-level property of one real resource."""

    def apply(t: Template) -> None:
        body = props(resource_type, contains)(t)
        if value is None:
            del body[key]
        else:
            body[key] = value

    return apply


def removing(resource_type: str, contains: str = "") -> Mutation:
    def apply(t: Template) -> None:
        assert delete(t, resource_type, contains) >= 1

    return apply


def feature_off(name: str, extra: str | None = None) -> Mutation:
    def apply(t: Template) -> None:
        for feature in props(DETECTOR)(t)["Features"]:
            if feature["Name"] != name:
                continue
            targets = (
                [c for c in feature.get("AdditionalConfiguration", []) if c["Name"] == extra] if extra else [feature]
            )
            assert targets
            for target in targets:
                target["Status"] = "DISABLED"

    return apply


def sdk_parameter(contains: str, phase: str, key: str, value: Any) -> Mutation:
    """Change one parameter of one phase of a real `Custom::AWS` call (JSON-encoded in the template)."""

    def apply(t: Template) -> None:
        body = props("Custom::AWS", contains)(t)
        call = json.loads(body[phase])
        if key == "action":
            call["action"] = value
        else:
            call["parameters"][key] = value
        body[phase] = json.dumps(call)

    return apply


def no_management_events(t: Template) -> None:
    selectors = props("AWS::CloudTrail::Trail")(t)["AdvancedEventSelectors"]
    selectors[0]["FieldSelectors"].append({"Field": "readOnly", "Equals": ["true"]})


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("environment", [PROD, DEV])
def test_acc4_acc5_net4_net5_net6_met_on_the_real_baseline(assembly: Assembly, control: str, environment: str) -> None:
    assert status(assembly, control, environment) == "met"


@pytest.mark.parametrize(("environment", "baseline"), [(PROD, HOME), (DEV, AGNOSTIC)])
def test_acc4_net5_evidence_comes_from_the_environments_own_baseline_in_both_regions(
    assembly: Assembly, environment: str, baseline: str
) -> None:
    trail = [r for r in rows(assembly, "ACC-4", environment) if r.resource_type == "AWS::CloudTrail::Trail"]
    assert [r.stack for r in trail] == [baseline]
    detectors = {r.stack for r in rows(assembly, "NET-5", environment) if r.resource_type == DETECTOR}
    assert detectors == {baseline, f"{baseline}-dr"}, "GuardDuty is regional: home and DR"


BROKEN: list[tuple[str, str, Mutation, tuple[str, ...]]] = [
    ("trail deleted", HOME, removing("AWS::CloudTrail::Trail"), ("ACC-4", "NET-4")),
    ("trail single-region", HOME, setting("AWS::CloudTrail::Trail", "", "IsMultiRegionTrail", False), ("ACC-4",)),
    ("validation off", HOME, setting("AWS::CloudTrail::Trail", "", "EnableLogFileValidation", False), ("ACC-4",)),
    ("trail without CMK", HOME, setting("AWS::CloudTrail::Trail", "", "KMSKeyId", None), ("ACC-4",)),
    ("trail not logging", HOME, setting("AWS::CloudTrail::Trail", "", "IsLogging", False), ("ACC-4",)),
    ("read-only management events", HOME, no_management_events, ("ACC-4",)),
    ("home detector deleted", HOME, removing(DETECTOR), ("NET-4", "NET-5", "NET-6")),
    ("DR detector deleted", DR, removing(DETECTOR), ("NET-4", "NET-5", "NET-6")),
    ("detector disabled", HOME, setting(DETECTOR, "", "Enable", False), ("NET-4", "NET-5", "NET-6")),
    ("EBS malware protection off", DR, feature_off("EBS_MALWARE_PROTECTION"), ("NET-6",)),
    ("RDS login monitoring off", HOME, feature_off("RDS_LOGIN_EVENTS"), ("NET-4",)),
    ("runtime monitoring off", HOME, feature_off("RUNTIME_MONITORING"), ("NET-5",)),
    ("runtime agent unmanaged", HOME, feature_off("RUNTIME_MONITORING", "EC2_AGENT_MANAGEMENT"), ("NET-5",)),
    ("S3 protection off", HOME, feature_off("S3_DATA_EVENTS"), ("NET-5",)),
    ("Security Hub deleted", DR, removing("AWS::SecurityHub::Hub"), ("NET-5",)),
    ("CIS standard removed", HOME, removing("AWS::SecurityHub::Standard", "Cis"), ("NET-5",)),
    ("FSBP standard removed", DR, removing("AWS::SecurityHub::Standard", "Fsbp"), ("NET-5",)),
    ("Config recorder deleted", HOME, removing("AWS::Config::ConfigurationRecorder"), ("NET-5",)),
    (
        "Config records a subset",
        DR,
        setting("AWS::Config::ConfigurationRecorder", "", "RecordingGroup", {}),
        ("NET-5",),
    ),
    ("Config not delivering", HOME, removing("AWS::Config::DeliveryChannel"), ("NET-5",)),
    ("Inspector not enabled", DR, removing("Custom::AWS", "Inspector"), ("NET-5",)),
    ("Inspector disabled on update", HOME, sdk_parameter("Inspector", "Update", "action", "disable"), ("NET-5",)),
    (
        "Inspector for EC2 only",
        HOME,
        sdk_parameter("Inspector", "Create", "resourceTypes", ["EC2"]),
        ("NET-5",),
    ),
    ("password policy removed", HOME, removing("Custom::AWS", "PasswordPolicy"), ("ACC-5",)),
    ("password 8 characters", HOME, sdk_parameter("PasswordPolicy", "Create", "MinimumPasswordLength", 8), ("ACC-5",)),
    ("password reuse 5", HOME, sdk_parameter("PasswordPolicy", "Update", "PasswordReusePrevention", 5), ("ACC-5",)),
    ("no symbols on update", HOME, sdk_parameter("PasswordPolicy", "Update", "RequireSymbols", False), ("ACC-5",)),
    ("CIS sign-in alarm removed", HOME, removing("AWS::CloudWatch::Alarm", "ConsoleSignInFailures"), ("NET-4",)),
    (
        "CIS sign-in alarm silent",
        HOME,
        setting("AWS::CloudWatch::Alarm", "ConsoleSignInFailures", "AlarmActions", None),
        ("NET-4",),
    ),
    ("malware plan removed", f"{PROD}-data", removing("AWS::GuardDuty::MalwareProtectionPlan"), ("NET-6",)),
]


@pytest.mark.parametrize(("case", "stack", "mutate", "controls"), BROKEN, ids=[c[0] for c in BROKEN])
def test_acc4_acc5_net4_net5_net6_real_baseline_broken_is_not_met_in_its_account_only(
    assembly: Assembly, case: str, stack: str, mutate: Mutation, controls: tuple[str, ...]
) -> None:
    broken = changed(assembly, stack, mutate)
    for control in controls:
        assert status(broken, control, PROD) == "not met", f"{case}: {control}"
        assert status(broken, control, DEV) == "met", f"{case}: globex-dev has its own baseline ({control})"


def test_acc4_net5_deploying_account_baseline_broken_is_not_met_in_dev_only(assembly: Assembly) -> None:
    broken = changed(
        changed(assembly, AGNOSTIC, removing("AWS::CloudTrail::Trail")), f"{AGNOSTIC}-dr", removing(DETECTOR)
    )
    for control in ("ACC-4", "NET-5"):
        assert status(broken, control, DEV) == "not met", control
        assert status(broken, control, PROD) == "met", control


def test_acc4_acc5_net5_a_baseline_counts_only_in_its_own_account(assembly: Assembly) -> None:
    """Without acme-prod's baselines, the deploying-account baseline (another account) does not stand in."""
    without = dataclasses.replace(assembly, stacks=tuple(s for s in assembly.stacks if s.name not in (HOME, DR)))
    for control in ("ACC-4", "ACC-5", "NET-4", "NET-5", "NET-6"):
        assert status(without, control, PROD) == "not met", control
        assert status(without, control, DEV) == "met", control


def test_net6_audit_log_bucket_needs_no_malware_plan_but_an_ordinary_bucket_does(assembly: Assembly) -> None:
    audit = [r for r in rows(assembly, "NET-6") if r.why.startswith("audit-log bucket")]
    assert {r.stack for r in audit} == {HOME}
    assert "CloudTrail log files" in audit[0].why

    def trail_elsewhere(t: Template) -> None:
        props("AWS::CloudTrail::Trail")(t)["S3BucketName"] = "some-other-bucket"
        props("AWS::Config::DeliveryChannel")(t)["S3BucketName"] = "some-other-bucket"

    def config_elsewhere(t: Template) -> None:
        props("AWS::Config::DeliveryChannel")(t)["S3BucketName"] = "some-other-bucket"

    rule = "net6_malware_protection_plan_covers_each_data_bucket"
    elsewhere = changed(changed(assembly, HOME, trail_elsewhere), DR, config_elsewhere)
    assert rule_status(elsewhere, "NET-6", rule) == "not met", "a bucket nothing delivers logs to is a data bucket"


def organization_managed(t: Template) -> None:
    """What stacks/baseline_base.py does with `organization_managed = true`: no trail (nor its CIS alarms), detector,
    hub, standards or recorder; the description, the output and the Metadata say the organization provides them."""
    resources = t["Resources"]
    for logical_id in [lid for lid in resources if lid.startswith(ORGANIZATION_PARTS)]:
        del resources[logical_id]
    assert not [r for r in resources.values() if r["Type"].startswith(("AWS::CloudTrail", "AWS::GuardDuty"))]
    t["Description"] = t["Description"].replace(
        "creates its own trail, detector, hub and recorder",
        "the organization provides CloudTrail, GuardDuty, Security Hub and AWS Config (none created here)",
    )
    t["Metadata"][BASELINE_METADATA] = {"ProvidedByOrganization": list(ORGANIZATION_SERVICES)}
    t["Outputs"]["SecurityServicesProvider"]["Value"] = "organization"


@pytest.fixture(scope="module")
def organization(assembly: Assembly) -> Assembly:
    return changed(changed(assembly, HOME, organization_managed), DR, organization_managed)


def test_cmp1_the_metadata_key_is_the_one_the_baseline_stacks_write() -> None:
    assert BASELINE_METADATA == STACK_METADATA
    assert {"CloudTrail", "GuardDuty", "SecurityHub", "Config"} <= set(ORGANIZATION_SERVICES)


@pytest.mark.parametrize("control", ["ACC-4", "NET-4", "NET-5", "NET-6"])
def test_acc4_net4_net5_net6_organization_managed_is_provided_by_organization_with_the_reason(
    organization: Assembly, control: str
) -> None:
    result = environment_result(organization, control, PROD)
    assert result.status == PROVIDED, "the templates cannot show the organization's settings: not 'met'"
    assert result.reason is not None
    assert f"{HOME}" in result.reason
    assert "the organization provides" in result.reason
    assert "verify it there" in result.reason
    assert all(r.status in ("met", PROVIDED) for r in result.rules)
    assert status(organization, control, DEV) == "met", "the other account's own baseline is untouched"


def test_acc4_net5_organization_managed_evidence_row_points_at_the_stack_metadata(organization: Assembly) -> None:
    found = [r for r in rows(organization, "NET-5") if r.property_path.startswith("Metadata.AccountBaseline")]
    assert {(r.stack, r.value) for r in found} == {
        (HOME, "GuardDuty"),
        (DR, "GuardDuty"),
        (HOME, "SecurityHub"),
        (DR, "SecurityHub"),
        (HOME, "Config"),
        (DR, "Config"),
    }


def test_acc5_net5_net6_organization_managed_still_needs_what_the_baseline_itself_creates(
    organization: Assembly,
) -> None:
    assert status(organization, "ACC-5") == "met", "the password policy is created either way"
    assert status(changed(organization, DR, removing("Custom::AWS", "Inspector")), "NET-5") == "not met"
    no_plan = changed(organization, f"{PROD}-data", removing("AWS::GuardDuty::MalwareProtectionPlan"))
    assert status(no_plan, "NET-6") == "not met"


def test_net5_organization_metadata_never_hides_a_broken_resource(assembly: Assembly) -> None:
    def says_organization(t: Template) -> None:
        t["Metadata"][BASELINE_METADATA] = {"ProvidedByOrganization": list(ORGANIZATION_SERVICES)}
        props(DETECTOR)(t)["Enable"] = False

    assert status(changed(assembly, DR, says_organization), "NET-5") == "not met"


def test_net5_organization_metadata_of_another_account_does_not_count(assembly: Assembly) -> None:
    without = dataclasses.replace(assembly, stacks=tuple(s for s in assembly.stacks if s.name not in (HOME, DR)))
    borrowed = changed(without, AGNOSTIC, organization_managed)
    assert status(borrowed, "NET-5", DEV) == PROVIDED, "home region by the organization, DR region its own"
    assert status(borrowed, "NET-5", PROD) == "not met", "acme-prod's account has no baseline at all"


def test_cmp1_provided_by_organization_is_not_counted_as_not_met(organization: Assembly) -> None:
    evaluation = evaluate(organization, only("NET-5"), [])
    assert evaluation.not_met() == []
    assert evaluation.counts(PROD) == {PROVIDED: 1}
