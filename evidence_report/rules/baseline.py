"""Evidence rules on the account security baseline (ACC-4, ACC-5, NET-4, NET-5, NET-6), read from the real baseline
templates: the multi-region trail, the IAM password policy, the CIS sign-in alarm, GuardDuty, Security Hub with AWS
Config, and Inspector. A baseline counts only in its own account (assembly.stacks_of); regional services count in
each region the environment uses. Where the baseline's Metadata says the organization provides a service and no
template builds it, the rule is "provided by organization" (evaluate.py), never "met".
"""

from __future__ import annotations

from typing import Any, Final

from evidence_report.assembly import Resource
from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.registry import evidence_rule
from evidence_report.rules.account_baseline import (
    enabled_features,
    in_region,
    organization_provider,
    per_region,
    sdk_calls,
)
from evidence_report.rules.reading import custom_resource_mentions, deep_find, text_of

TRAIL = "AWS::CloudTrail::Trail"
DETECTOR = "AWS::GuardDuty::Detector"
HUB = "AWS::SecurityHub::Hub"
STANDARD = "AWS::SecurityHub::Standard"
RECORDER = "AWS::Config::ConfigurationRecorder"
DELIVERY = "AWS::Config::DeliveryChannel"
METRIC_FILTER = "AWS::Logs::MetricFilter"
ALARM = "AWS::CloudWatch::Alarm"

# CIS AWS Foundations 1.8 / 1.9 and Security Hub IAM.7 / IAM.15 / IAM.16: an IAM password policy of at least 14
# characters, every character class, the last 24 passwords remembered.
IAM_PASSWORD_MIN_LENGTH: Final = 14
IAM_PASSWORD_REUSE_PREVENTION: Final = 24
IAM_PASSWORD_CLASSES: Final = (
    "RequireSymbols",
    "RequireNumbers",
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
)
# The Security Hub standards NET-5 rests on: AWS's own best-practice checks and the CIS benchmark.
REQUIRED_STANDARDS: Final = ("aws-foundational-security-best-practices", "cis-aws-foundations-benchmark")
# GuardDuty features per promise (GuardDuty user guide, "Features"): intrusion detection (NET-5), brute force against
# the database (NET-4), malware scans of EC2 volumes (NET-6).
INTRUSION_FEATURES: Final = ("S3_DATA_EVENTS", "RUNTIME_MONITORING")
RUNTIME_AGENT: Final = "EC2_AGENT_MANAGEMENT"


def _records_management_events(trail: Resource) -> bool:
    """Management events, read and write: the default without selectors, else a selector that includes them all."""
    advanced = trail.get("AdvancedEventSelectors")
    if advanced:
        for selector in advanced:
            fields = {f.get("Field"): f for f in selector.get("FieldSelectors", []) if isinstance(f, dict)}
            category = fields.get("eventCategory") or {}
            if category.get("Equals") == ["Management"] and "readOnly" not in fields:
                return True
        return False
    classic = trail.get("EventSelectors")
    if classic:
        return any(
            s.get("IncludeManagementEvents", True) is not False and s.get("ReadWriteType", "All") == "All"
            for s in classic
        )
    return True


@evidence_rule("ACC-4", looks_for=(TRAIL,))
def acc4_cloudtrail_records_every_region_with_validation(env: EnvironmentView, out: Evidence) -> None:
    """A multi-region CloudTrail trail in the environment's account, logging management events (read and write) and
    global service events, with log file validation and a KMS key."""
    trails = list(env.resources(TRAIL))
    flaws: list[str] = []
    for trail in trails:
        required = ("IsLogging", "IsMultiRegionTrail", "EnableLogFileValidation")
        missing = [key for key in required if trail.get(key) is not True]
        if trail.get("IncludeGlobalServiceEvents") is False:
            missing.append("IncludeGlobalServiceEvents")
        if not trail.get("KMSKeyId"):
            missing.append("KMSKeyId")
        if not _records_management_events(trail):
            missing.append("management events (read and write)")
        if missing:
            flaws.append(f"trail {trail.logical_id} ({trail.stack.name}): {', '.join(missing)} not set")
            continue
        out.row(
            trail,
            "IsMultiRegionTrail / EnableLogFileValidation / KMSKeyId",
            {"name": trail.get("TrailName"), "multi_region": True, "validation": True, "kms": True},
            "every API call of every region, tamper-evident and encrypted",
        )
    if out.rows:
        return
    provider = organization_provider(env, "CloudTrail") if not trails else None
    if provider is not None:
        out.provided_by_organization(provider, "CloudTrail", "the account's multi-region, validated, encrypted trail")
        return
    for flaw in flaws:
        out.problem(flaw)
    out.problem("no multi-region, validated, encrypted CloudTrail trail in the environment's account")


def _password_parameters(resource: Resource) -> dict[str, dict[str, Any]]:
    """Phase -> password-policy parameters: the `AwsCustomResource` calls, or the custom resource's own properties."""
    calls = sdk_calls(resource)
    if not calls:
        return {"Properties": {"MinimumPasswordLength": deep_find(resource.properties, "MinimumPasswordLength")}}
    out = {}
    for phase in ("Create", "Update"):
        call = calls.get(phase, {})
        out[phase] = call.get("parameters", {}) if call.get("action") == "updateAccountPasswordPolicy" else {}
    return out


def _password_weaknesses(parameters: dict[str, Any], *, full: bool) -> list[str]:
    weak = []
    length = parameters.get("MinimumPasswordLength")
    if not str(length).isdigit() or int(str(length)) < IAM_PASSWORD_MIN_LENGTH:
        weak.append(f"minimum length {length!r} < {IAM_PASSWORD_MIN_LENGTH}")
    if full:
        reuse = parameters.get("PasswordReusePrevention")
        if not str(reuse).isdigit() or int(str(reuse)) < IAM_PASSWORD_REUSE_PREVENTION:
            weak.append(f"remembers {reuse!r} passwords < {IAM_PASSWORD_REUSE_PREVENTION}")
        weak += [f"{name} not true" for name in IAM_PASSWORD_CLASSES if parameters.get(name) is not True]
    return weak


@evidence_rule("ACC-5", looks_for=lambda r: custom_resource_mentions(r, "MinimumPasswordLength"))
def acc5_iam_password_policy_is_strong(env: EnvironmentView, out: Evidence) -> None:
    """The account's IAM password policy, set on create and on every update, asks for at least 14 characters of
    every class and remembers 24 passwords (CIS 1.8, 1.9; Security Hub IAM.7, IAM.15, IAM.16)."""
    for resource in env.matching(lambda r: custom_resource_mentions(r, "MinimumPasswordLength")):
        for phase, parameters in _password_parameters(resource).items():
            weak = _password_weaknesses(parameters, full=phase != "Properties")
            if weak:
                where = f"{resource.logical_id} ({resource.stack.name}) {phase}"
                out.problem(f"{where}: IAM password policy {'; '.join(weak)}")
                continue
            shown = {k: parameters.get(k) for k in ("MinimumPasswordLength", "PasswordReusePrevention")}
            out.row(resource, f"{phase}.parameters", shown, f"IAM account password policy ({phase.lower()})")
    if not out.rows and not out.problems:
        out.problem("no IAM account password policy in the environment's account")


def _console_failure_filters(env: EnvironmentView) -> list[Resource]:
    return [
        f
        for f in env.resources(METRIC_FILTER)
        if "ConsoleLogin" in str(f.get("FilterPattern")) and "Failed authentication" in str(f.get("FilterPattern"))
    ]


@evidence_rule("NET-4", looks_for=lambda r: r.type == METRIC_FILTER and "ConsoleLogin" in str(r.get("FilterPattern")))
def net4_failed_console_sign_ins_raise_an_alarm(env: EnvironmentView, out: Evidence) -> None:
    """Failed console sign-ins recorded by the account's trail raise an alarm with an action (CIS CloudWatch.6)."""
    trail_groups = [
        group for trail in env.resources(TRAIL) if (group := env.target(trail, trail.get("CloudWatchLogsLogGroupArn")))
    ]
    alarms = [a for a in env.resources(ALARM) if a.get("AlarmActions")]
    for metric_filter in _console_failure_filters(env):
        group = env.target(metric_filter, metric_filter.get("LogGroupName"))
        if group is None or not any(g.stack is group.stack and g.logical_id == group.logical_id for g in trail_groups):
            continue
        for transformation in metric_filter.get("MetricTransformations", []):
            for alarm in alarms:
                if (alarm.get("MetricName"), alarm.get("Namespace")) == (
                    transformation.get("MetricName"),
                    transformation.get("MetricNamespace"),
                ):
                    pattern = metric_filter.get("FilterPattern")
                    out.row(metric_filter, "FilterPattern", pattern, "counts failed sign-ins")
                    out.row(alarm, "Threshold", alarm.get("Threshold"), f"alarms within {alarm.get('Period')} s")
    if out.rows:
        return
    provider = organization_provider(env, "CloudTrail") if not trail_groups else None
    if provider is not None:
        out.provided_by_organization(
            provider, "CloudTrail", "the trail, and the alarm on failed console sign-ins in its logs (CIS CloudWatch.6)"
        )
        return
    out.problem("no alarm with an action on failed console sign-ins in the account trail's log group")


def _check_detectors(env: EnvironmentView, out: Evidence, *, what: str, features: tuple[str, ...], why: str) -> None:
    """Each region of the environment has an enabled GuardDuty detector with `features` on (or the organization's)."""
    found = per_region(env, out, service="GuardDuty", what=what, find=lambda region: in_region(env, region, DETECTOR))
    for detectors in found.values():
        for detector in detectors:
            enabled = enabled_features(detector)
            off = [name for name in features if name not in enabled]
            if "RUNTIME_MONITORING" in features and RUNTIME_AGENT not in enabled.get("RUNTIME_MONITORING", set()):
                off.append(f"RUNTIME_MONITORING.{RUNTIME_AGENT}")
            if detector.get("Enable") is not True or off:
                state = "disabled" if detector.get("Enable") is not True else f"{', '.join(off)} off"
                out.problem(f"GuardDuty detector {detector.logical_id} ({detector.stack.name}): {state}")
                continue
            out.row(detector, "Enable / Features", ["Enable", *features], f"{why} ({detector.stack.region})")


@evidence_rule("NET-4", looks_for=(DETECTOR,))
def net4_threat_detection_is_on(env: EnvironmentView, out: Evidence) -> None:
    """GuardDuty runs in every region of the environment (brute-force and denial-of-service findings), with RDS
    login activity monitoring (brute force against the database)."""
    _check_detectors(
        env, out, what="GuardDuty detector", features=("RDS_LOGIN_EVENTS",), why="threat detection for the account"
    )


@evidence_rule("NET-5", looks_for=(DETECTOR,))
def net5_guardduty_detects_intrusions_in_every_region(env: EnvironmentView, out: Evidence) -> None:
    """GuardDuty runs in every region of the environment, with S3 data events and EC2 runtime monitoring (its agent
    managed by GuardDuty): intrusion detection."""
    _check_detectors(
        env, out, what="GuardDuty detector", features=INTRUSION_FEATURES, why="intrusion detection (GuardDuty)"
    )


@evidence_rule("NET-5", looks_for=(HUB, RECORDER))
def net5_security_hub_checks_standards_on_recorded_configuration(env: EnvironmentView, out: Evidence) -> None:
    """Security Hub runs the AWS Foundational Security Best Practices and CIS standards in every region of the
    environment, on an AWS Config recorder of all supported resources with a delivery channel."""
    hubs = per_region(env, out, service="SecurityHub", what="Security Hub", find=lambda r: in_region(env, r, HUB))
    for region, found in hubs.items():
        out.row(found[0], "Type", HUB, f"Security Hub collects findings ({region})")
        standards = [s for s in in_region(env, region, STANDARD) if s.get("StandardsArn")]
        for name in REQUIRED_STANDARDS:
            matching = [s for s in standards if f"standards/{name}/" in str(s.get("StandardsArn"))]
            if not matching:
                out.problem(f"Security Hub in {region}: standard {name} is not enabled")
            for standard in matching:
                out.row(standard, "StandardsArn", standard.get("StandardsArn"), "a Security Hub standard is checked")
    recorders = per_region(
        env, out, service="Config", what="AWS Config recorder", find=lambda r: in_region(env, r, RECORDER)
    )
    for region, found in recorders.items():
        for recorder in found:
            if recorder.get("RecordingGroup.AllSupported") is not True:
                out.problem(f"AWS Config recorder {recorder.logical_id} ({region}) does not record all resources")
            else:
                why = f"every supported resource is recorded ({region})"
                out.row(recorder, "RecordingGroup.AllSupported", True, why)
        channels = [c for c in in_region(env, region, DELIVERY) if c.get("S3BucketName")]
        if not channels:
            out.problem(f"AWS Config in {region} has no delivery channel: the recorder does not start")
        for channel in channels:
            out.row(channel, "S3BucketName", text_of(channel.get("S3BucketName")), "configuration history is delivered")


# What Inspector must scan: the bastion (EC2) and the accounts' Lambda functions (the baseline's and the CDK's
# provider functions), as the baseline enables it (constructs/threat_detection.py).
INSPECTED_RESOURCE_TYPES: Final = ("EC2", "LAMBDA")


def _enables_inspector(resource: Resource) -> bool:
    calls = sdk_calls(resource)

    def enables_every_type(call: dict[str, Any]) -> bool:
        scanned = (call.get("parameters") or {}).get("resourceTypes", [])
        return (
            call.get("service") == "Inspector2"
            and call.get("action") == "enable"
            and (set(INSPECTED_RESOURCE_TYPES) <= set(scanned))
        )

    return all(enables_every_type(calls.get(phase, {})) for phase in ("Create", "Update"))


@evidence_rule("NET-5", looks_for=lambda r: custom_resource_mentions(r, "inspector2"))
def net5_inspector_scans_ec2_and_lambda_in_every_region(env: EnvironmentView, out: Evidence) -> None:
    """Amazon Inspector scans EC2 instances and Lambda functions for vulnerabilities in every region of the
    environment (Inspector2 `enable` for EC2 and LAMBDA on create and on every update)."""

    def inspector(region: str) -> list[Resource]:
        return [r for r in in_region(env, region) if custom_resource_mentions(r, "inspector2")]

    for region, found in per_region(env, out, service=None, what="Amazon Inspector", find=inspector).items():
        for resource in found:
            if _enables_inspector(resource):
                enabled = f"Inspector2 enable {', '.join(INSPECTED_RESOURCE_TYPES)}"
                out.row(resource, "Create / Update", enabled, f"vulnerability scanning ({region})")
            else:
                out.problem(
                    f"{resource.logical_id} ({resource.stack.name}) does not enable Inspector for "
                    f"{' and '.join(INSPECTED_RESOURCE_TYPES)}"
                )


@evidence_rule("NET-6", looks_for=(DETECTOR,))
def net6_guardduty_scans_ec2_volumes_for_malware(env: EnvironmentView, out: Evidence) -> None:
    """GuardDuty scans the EBS volumes of flagged EC2 instances for malware (EBS_MALWARE_PROTECTION), in every
    region of the environment."""
    _check_detectors(
        env,
        out,
        what="GuardDuty detector",
        features=("EBS_MALWARE_PROTECTION",),
        why="EC2 volumes are scanned for malware",
    )
