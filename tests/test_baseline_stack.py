"""The account security baseline (issue 10): one home-region and one DR-region stack per account, each promise
checked on the synthesized templates by control ID (ACC-4, ACC-5, ACC-8, NET-4, NET-5, NET-6, ENC-3, CMP-1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from app import add_baseline, new_app
from config import AccountSettings
from constructs.account_hardening import BLOCK_ALL
from constructs.account_password_policy import PASSWORD_POLICY
from constructs.cis_alarms import CIS_ALARMS
from constructs.threat_detection import ENABLED_FEATURES
from tests.conftest import DEV, PROD, Synthesized

HOME = "account-111122223333-baseline"
DR = f"{HOME}-dr"
AGNOSTIC = "deploying-account-baseline"
ALL_BASELINES = (HOME, DR, AGNOSTIC, f"{AGNOSTIC}-dr")


@pytest.fixture(scope="module")
def home(synthesized: Synthesized) -> Template:
    return synthesized.template(HOME)


@pytest.fixture(scope="module")
def dr(synthesized: Synthesized) -> Template:
    return synthesized.template(DR)


def resources(synthesized: Synthesized, stack: str, resource_type: str) -> dict[str, Any]:
    template = synthesized.template_json(stack)
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def only(synthesized: Synthesized, stack: str, resource_type: str) -> dict[str, Any]:
    (resource,) = resources(synthesized, stack, resource_type).values()
    return resource


def custom_calls(synthesized: Synthesized, stack: str) -> dict[str, dict[str, Any]]:
    """The AwsCustomResource calls of a stack: SDK action -> its create call."""
    calls = {}
    for resource in resources(synthesized, stack, "Custom::AWS").values():
        create = json.loads(resource["Properties"]["Create"])
        calls[create["action"]] = create
    return calls


# ACC-4: the audit trail ---------------------------------------------------------------------------------------


def test_acc4_one_multi_region_validated_encrypted_trail_with_global_events(home: Template) -> None:
    home.resource_count_is("AWS::CloudTrail::Trail", 1)
    home.has_resource_properties(
        "AWS::CloudTrail::Trail",
        {
            "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True,
            "EnableLogFileValidation": True,
            "IsLogging": True,
            "KMSKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^KeysAudit"), "Arn"]},
            "CloudWatchLogsLogGroupArn": {"Fn::GetAtt": [Match.string_like_regexp("^AuditTrailLogGroup"), "Arn"]},
        },
    )


def test_acc4_trail_records_read_and_write_management_events_and_tenant_data_events(synthesized: Synthesized) -> None:
    trail = only(synthesized, HOME, "AWS::CloudTrail::Trail")["Properties"]
    assert "EventSelectors" not in trail
    management, data = trail["AdvancedEventSelectors"]
    # No readOnly field selector: both read and write management events are recorded.
    assert management["FieldSelectors"] == [{"Field": "eventCategory", "Equals": ["Management"]}]
    fields = {selector["Field"]: selector for selector in data["FieldSelectors"]}
    assert fields["eventCategory"]["Equals"] == ["Data"]
    assert fields["resources.type"]["Equals"] == ["AWS::S3::Object"]
    assert fields["resources.ARN"]["StartsWith"] == [f"arn:aws:s3:::{PROD}-data-"]
    agnostic = only(synthesized, AGNOSTIC, "AWS::CloudTrail::Trail")["Properties"]["AdvancedEventSelectors"][1]
    assert {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::{DEV}-data-"]} in agnostic["FieldSelectors"]


def test_acc4_data_event_prefix_matches_the_tenant_data_bucket_name(synthesized: Synthesized) -> None:
    """The data bucket's name is CloudFormation's `<stack name>-<logical id>-<suffix>`, lowercased: it starts with
    the prefix the trail selects, as long as the data stack keeps its name."""
    data_stacks = [name for name in synthesized.stack_names() if name.endswith("-data")]
    assert data_stacks == sorted([f"{DEV}-data", f"{PROD}-data"])
    for name in data_stacks:
        buckets = resources(synthesized, name, "AWS::S3::Bucket")
        unnamed = [logical for logical, bucket in buckets.items() if "BucketName" not in bucket["Properties"]]
        assert any(logical.startswith("DataBucket") for logical in unnamed), "the data bucket's name is generated"


def test_acc4_trail_bucket_is_versioned_locked_private_logged_and_retained(synthesized: Synthesized) -> None:
    (bucket,) = [
        b
        for b in resources(synthesized, HOME, "AWS::S3::Bucket").values()
        if b["Properties"].get("BucketName") == "baseline-audit-111122223333-us-east-1"
    ]
    properties = bucket["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["ObjectLockEnabled"] is True
    assert properties["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "DestinationBucketName" in properties["LoggingConfiguration"]
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert encryption["SSEAlgorithm"] == "aws:kms"
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_acc4_trail_bucket_refuses_plain_http(home: Template) -> None:
    home.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": Match.string_like_regexp("^AuditTrailLogsBucket")},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            },
        },
    )


def test_acc4_trail_log_group_is_encrypted_and_keeps_the_configured_retention(home: Template) -> None:
    home.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^KeysLogs"), "Arn"]},
                "RetentionInDays": 365,
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_acc4_cloudtrail_may_use_the_audit_key_only_for_this_trail(synthesized: Synthesized) -> None:
    keys = resources(synthesized, HOME, "AWS::KMS::Key")
    audit = next(key for logical, key in keys.items() if logical.startswith("KeysAudit"))
    statements = audit["Properties"]["KeyPolicy"]["Statement"]
    (cloudtrail,) = [s for s in statements if s.get("Sid") == "AllowCloudtrailUse"]
    trail = "arn:aws:cloudtrail:us-east-1:111122223333:trail/account-audit-trail"
    assert cloudtrail["Condition"] == {"StringEquals": {"kms:EncryptionContext:aws:cloudtrail:arn": trail}}


def test_acc4_cloudtrail_may_describe_the_audit_key_for_this_trail(synthesized: Synthesized) -> None:
    """CloudTrail describes the key when the trail is created or updated; DescribeKey carries no encryption context,
    so the encryption-context statement cannot admit it and a statement bound by aws:SourceArn does."""
    keys = resources(synthesized, HOME, "AWS::KMS::Key")
    audit = next(key for logical, key in keys.items() if logical.startswith("KeysAudit"))
    (describe,) = [
        s for s in audit["Properties"]["KeyPolicy"]["Statement"] if s.get("Sid") == "AllowCloudTrailToDescribeTheKey"
    ]
    assert describe["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert describe["Action"] == "kms:DescribeKey"
    trail = "arn:aws:cloudtrail:us-east-1:111122223333:trail/account-audit-trail"
    assert describe["Condition"] == {"StringEquals": {"aws:SourceArn": trail}}


# NET-4: CIS alarms ------------------------------------------------------------------------------------------


def test_net4_every_cis_metric_filter_has_an_alarm_to_the_encrypted_topic(synthesized: Synthesized) -> None:
    filters = resources(synthesized, HOME, "AWS::Logs::MetricFilter")
    alarms = resources(synthesized, HOME, "AWS::CloudWatch::Alarm")
    assert sorted(f["Properties"]["MetricTransformations"][0]["MetricName"] for f in filters.values()) == sorted(
        name for name, _, _ in CIS_ALARMS.values()
    )
    for metric_filter in filters.values():
        assert metric_filter["Properties"]["LogGroupName"]["Ref"].startswith("AuditTrailLogGroup")
    assert len(alarms) == len(CIS_ALARMS) == 15
    for alarm in alarms.values():
        (action,) = alarm["Properties"]["AlarmActions"]
        assert action["Ref"].startswith("FindingAlertsTopic")
        assert alarm["Properties"]["Threshold"] == 1
    topic = only(synthesized, HOME, "AWS::SNS::Topic")["Properties"]
    assert topic["KmsMasterKeyId"]["Fn::GetAtt"][0].startswith("KeysAlerts")


@pytest.mark.parametrize(
    ("control", "needle"),
    [
        ("CloudWatch.1", '$.userIdentity.type = "Root"'),
        ("CloudWatch.3", '$.additionalEventData.MFAUsed != "Yes"'),
        ("CloudWatch.6", '$.errorMessage = "Failed authentication"'),
        ("CloudWatch.7", "ScheduleKeyDeletion"),
        ("CloudWatch.9", "StopConfigurationRecorder"),
        ("CloudWatch.11", "ReplaceNetworkAclEntry"),
        ("CloudWatch.14", "CreateVpcPeeringConnection"),
        ("CIS.4.15", '($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake")'),
        ("CIS.4.15", '($.eventName = "RemoveAccountFromOrganization")'),
    ],
)
def test_net4_cis_filter_patterns_catch_what_the_benchmark_names(
    synthesized: Synthesized, control: str, needle: str
) -> None:
    metric_name = CIS_ALARMS[control][0]
    (pattern,) = [
        f["Properties"]["FilterPattern"]
        for f in resources(synthesized, HOME, "AWS::Logs::MetricFilter").values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == metric_name
    ]
    assert needle in pattern


# NET-5 / NET-6: GuardDuty, Security Hub, Inspector ------------------------------------------------------------


@pytest.mark.parametrize("stack", [HOME, DR])
def test_net5_net6_guardduty_detector_with_its_protection_features(synthesized: Synthesized, stack: str) -> None:
    detector = only(synthesized, stack, "AWS::GuardDuty::Detector")["Properties"]
    assert detector["Enable"] is True
    assert "DataSources" not in detector  # GuardDuty refuses DataSources together with Features
    features = {f["Name"]: f for f in detector["Features"]}
    assert set(features) == set(ENABLED_FEATURES)
    assert all(f["Status"] == "ENABLED" for f in features.values())
    agents = {a["Name"]: a["Status"] for a in features["RUNTIME_MONITORING"]["AdditionalConfiguration"]}
    assert agents["EC2_AGENT_MANAGEMENT"] == "ENABLED"


@pytest.mark.parametrize("stack", [HOME, DR])
def test_net5_guardduty_findings_of_medium_and_above_reach_the_topic(synthesized: Synthesized, stack: str) -> None:
    rules = resources(synthesized, stack, "AWS::Events::Rule").values()
    (guardduty,) = [r["Properties"] for r in rules if r["Properties"]["EventPattern"]["source"] == ["aws.guardduty"]]
    assert guardduty["EventPattern"]["detail"] == {"severity": [{"numeric": [">=", 4]}]}
    assert guardduty["Targets"][0]["Arn"]["Ref"].startswith("FindingAlertsTopic")


@pytest.mark.parametrize("stack", [HOME, DR])
def test_net5_security_hub_high_and_critical_findings_reach_the_topic(synthesized: Synthesized, stack: str) -> None:
    rules = resources(synthesized, stack, "AWS::Events::Rule").values()
    (hub,) = [r["Properties"] for r in rules if r["Properties"]["EventPattern"]["source"] == ["aws.securityhub"]]
    assert hub["EventPattern"]["detail"]["findings"]["Severity"]["Label"] == ["HIGH", "CRITICAL"]
    assert hub["Targets"][0]["Arn"]["Ref"].startswith("FindingAlertsTopic")


@pytest.mark.parametrize(("stack", "region"), [(HOME, "us-east-1"), (DR, "us-west-2")])
def test_net5_cmp1_security_hub_with_fsbp_cis_and_nist_standards(
    synthesized: Synthesized, stack: str, region: str
) -> None:
    hub = only(synthesized, stack, "AWS::SecurityHub::Hub")["Properties"]
    assert hub["EnableDefaultStandards"] is False
    standards = sorted(
        s["Properties"]["StandardsArn"] for s in resources(synthesized, stack, "AWS::SecurityHub::Standard").values()
    )
    assert standards == [
        f"arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
        f"arn:aws:securityhub:{region}::standards/cis-aws-foundations-benchmark/v/5.0.0",
        f"arn:aws:securityhub:{region}::standards/nist-800-53/v/5.0.0",
    ]


@pytest.mark.parametrize("stack", [HOME, DR])
def test_net5_inspector_scans_ec2_and_lambda_in_every_baseline_region(synthesized: Synthesized, stack: str) -> None:
    assert custom_calls(synthesized, stack)["enable"]["parameters"]["resourceTypes"] == ["EC2", "LAMBDA"]


def test_net6_data_bucket_has_malware_protection_that_tags_results(synthesized: Synthesized) -> None:
    for env in (PROD, DEV):
        plan = only(synthesized, f"{env}-data", "AWS::GuardDuty::MalwareProtectionPlan")["Properties"]
        assert plan["Actions"] == {"Tagging": {"Status": "ENABLED"}}
        assert plan["ProtectedResource"]["S3Bucket"]["BucketName"]["Ref"].startswith("DataBucket")
        role = resources(synthesized, f"{env}-data", "AWS::IAM::Role")[plan["Role"]["Fn::GetAtt"][0]]
        statement = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        assert statement["Principal"] == {"Service": "malware-protection-plan.guardduty.amazonaws.com"}


# CMP-1 / BAK-6: AWS Config ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "global_types"), [(HOME, True), (DR, False)])
def test_cmp1_bak6_config_records_everything_global_types_only_at_home(
    synthesized: Synthesized, stack: str, global_types: bool
) -> None:
    recorder = only(synthesized, stack, "AWS::Config::ConfigurationRecorder")["Properties"]
    assert recorder["RecordingGroup"] == {"AllSupported": True, "IncludeGlobalResourceTypes": global_types}
    assert recorder["RoleARN"].endswith("/config.amazonaws.com/AWSServiceRoleForConfig")
    channel = only(synthesized, stack, "AWS::Config::DeliveryChannel")["Properties"]
    # Config's own KMS-encrypted bucket: Config does not support the trail bucket's Object Lock.
    assert channel["S3BucketName"] == "baseline-config-111122223333-us-east-1"


def test_cmp1_config_service_linked_role_is_created_once_at_home(synthesized: Synthesized) -> None:
    assert (
        only(synthesized, HOME, "AWS::IAM::ServiceLinkedRole")["Properties"]["AWSServiceName"] == "config.amazonaws.com"
    )
    assert resources(synthesized, DR, "AWS::IAM::ServiceLinkedRole") == {}


# ACC-5, ACC-8, ENC-3: account settings --------------------------------------------------------------------------


def test_acc5_password_policy_is_cis_level(synthesized: Synthesized) -> None:
    call = custom_calls(synthesized, HOME)["updateAccountPasswordPolicy"]
    assert call["parameters"] == PASSWORD_POLICY
    assert PASSWORD_POLICY["MinimumPasswordLength"] >= 14
    assert PASSWORD_POLICY["PasswordReusePrevention"] == 24
    assert all(
        PASSWORD_POLICY[f"Require{kind}"]
        for kind in ("Symbols", "Numbers", "UppercaseCharacters", "LowercaseCharacters")
    )
    (resource,) = [
        r
        for r in resources(synthesized, HOME, "Custom::AWS").values()
        if "updateAccountPasswordPolicy" in r["Properties"].get("Create", "")
    ]
    assert resource["Properties"]["InstallLatestAwsSdk"] is False


def test_acc5_deleting_the_baseline_keeps_the_password_policy(synthesized: Synthesized) -> None:
    """Like EBS encryption by default and the public access block: no Delete call, no delete permission."""
    (resource,) = [
        r
        for r in resources(synthesized, HOME, "Custom::AWS").values()
        if "updateAccountPasswordPolicy" in r["Properties"].get("Create", "")
    ]
    assert "Delete" not in resource["Properties"]


def test_acc5_custom_resource_role_holds_exactly_the_account_setting_actions(synthesized: Synthesized) -> None:
    """One provider function runs a stack's calls; its role has one customer-managed policy and nothing else."""
    expected = {
        HOME: {
            "iam:UpdateAccountPasswordPolicy",
            "ec2:EnableEbsEncryptionByDefault",
            "s3:PutAccountPublicAccessBlock",
            "inspector2:Enable",
            "iam:CreateServiceLinkedRole",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        },
        DR: {
            "ec2:EnableEbsEncryptionByDefault",
            "inspector2:Enable",
            "iam:CreateServiceLinkedRole",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        },
    }
    for stack, actions in expected.items():
        function = only(synthesized, stack, "AWS::Lambda::Function")
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        role = resources(synthesized, stack, "AWS::IAM::Role")[role_id]["Properties"]
        assert "ManagedPolicyArns" not in role
        assert "Policies" not in role
        assert resources(synthesized, stack, "AWS::IAM::Policy") == {}  # no inline policy anywhere
        policies = [
            p["Properties"]
            for p in resources(synthesized, stack, "AWS::IAM::ManagedPolicy").values()
            if {"Ref": role_id} in p["Properties"]["Roles"]
        ]
        (policy,) = policies
        granted: set[str] = set()
        for statement in policy["PolicyDocument"]["Statement"]:
            granted.update([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        assert granted == actions, stack


def test_enc3_ebs_encryption_by_default_in_both_regions_s3_public_access_block_at_home(
    synthesized: Synthesized,
) -> None:
    assert "enableEbsEncryptionByDefault" in custom_calls(synthesized, HOME)
    assert "enableEbsEncryptionByDefault" in custom_calls(synthesized, DR)
    block = custom_calls(synthesized, HOME)["putPublicAccessBlock"]["parameters"]
    assert block == {"AccountId": "111122223333", "PublicAccessBlockConfiguration": BLOCK_ALL}
    assert "putPublicAccessBlock" not in custom_calls(synthesized, DR)


@pytest.mark.parametrize("stack", [HOME, DR])
def test_acc8_account_access_analyzer_in_every_baseline_region(synthesized: Synthesized, stack: str) -> None:
    assert only(synthesized, stack, "AWS::AccessAnalyzer::Analyzer")["Properties"]["Type"] == "ACCOUNT"


def test_enc3_rds_os_metrics_log_group_is_encrypted_with_retention_at_home_only(synthesized: Synthesized) -> None:
    groups = resources(synthesized, HOME, "AWS::Logs::LogGroup").values()
    (group,) = [g for g in groups if g["Properties"].get("LogGroupName") == "RDSOSMetrics"]
    assert group["Properties"]["RetentionInDays"] == 365
    assert group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0].startswith("KeysLogs")
    assert not [
        g for g in resources(synthesized, DR, "AWS::Logs::LogGroup").values() if g["Properties"].get("LogGroupName")
    ]


# Wiring ---------------------------------------------------------------------------------------------------------


def test_net5_one_baseline_per_account_and_every_tenant_stack_deploys_after_it(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text(encoding="utf-8"))
    artifacts = manifest["artifacts"]
    for env, baseline in ((PROD, HOME), (DEV, AGNOSTIC)):
        for name in synthesized.stack_names():
            if not name.startswith(f"{env}-"):
                continue
            expected = f"{baseline}-dr" if name.endswith("-dr") else baseline
            assert expected in artifacts[name]["dependencies"], name
    assert HOME in artifacts[DR]["dependencies"]
    assert artifacts[HOME]["environment"] == "aws://111122223333/us-east-1"
    assert artifacts[AGNOSTIC]["environment"] == "aws://unknown-account/us-east-1"


def test_cmp1_baselines_say_they_create_the_services_and_are_termination_protected(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text(encoding="utf-8"))
    for name in ALL_BASELINES:
        template = synthesized.template_json(name)
        assert template["Outputs"]["SecurityServicesProvider"]["Value"] == "this stack"
        assert template["Metadata"]["AccountBaseline"] == {"ProvidedByOrganization": []}
        assert manifest["artifacts"][name]["properties"]["terminationProtection"] is True


def test_cmp1_synth_of_the_baseline_needs_no_docker(synthesized: Synthesized) -> None:
    """AwsCustomResource's handler is a prebuilt asset: file assets only, none built from a Dockerfile or bundled."""
    for name in ALL_BASELINES:
        assets = json.loads((synthesized.outdir / f"{name}.assets.json").read_text(encoding="utf-8"))
        assert assets.get("dockerImages", {}) == {}
        for asset in assets["files"].values():
            assert (synthesized.outdir / asset["source"]["path"]).exists()


def test_cmp1_probe_organization_managed_baseline_creates_none_of_the_org_services() -> None:
    settings = AccountSettings(account="999988887777", alert_email="sec@example.com", organization_managed=True)
    app = new_app(context={"aws:cdk:bundling-stacks": []})
    baseline = add_baseline(app, settings, ["acme-prod"])
    for stack in (baseline.home, baseline.dr):
        template = Template.from_stack(stack)
        for resource_type in (
            "AWS::CloudTrail::Trail",
            "AWS::GuardDuty::Detector",
            "AWS::SecurityHub::Hub",
            "AWS::Config::ConfigurationRecorder",
            "AWS::IAM::ServiceLinkedRole",
        ):
            template.resource_count_is(resource_type, 0)
        template.resource_count_is("AWS::AccessAnalyzer::Analyzer", 1)
        template.resource_count_is("AWS::S3::Bucket", 0)  # no audit bucket, nor its access-log bucket
        template.has_output("SecurityServicesProvider", {"Value": "organization"})
        assert "the organization provides CloudTrail, GuardDuty, Security Hub and AWS Config" in (
            stack.template_options.description or ""
        )
        assert template.to_json()["Metadata"]["AccountBaseline"]["ProvidedByOrganization"] == [
            "CloudTrail",
            "GuardDuty",
            "SecurityHub",
            "Config",
        ]


def test_acc1_every_taggable_baseline_resource_names_its_baseline(synthesized: Synthesized) -> None:
    checked = 0
    for name in ALL_BASELINES:
        for logical_id, resource in synthesized.template_json(name)["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if not isinstance(tags, list) or not tags or "Key" not in tags[0]:
                continue  # not taggable, or a map-style tag property
            values = {tag["Key"]: tag["Value"] for tag in tags}
            assert values.get("account-baseline") == name, f"{name}/{logical_id}"
            assert values.get("managed-by") == "cdk", f"{name}/{logical_id}"
            checked += 1
    assert checked > 40


# ACC-4 / CMP-1 / ENC-3: the delivery paths of the trail and of Config (issue 22) --------------------------------


def statements_of(synthesized: Synthesized, stack: str, resource_type: str, prefix: str) -> list[dict[str, Any]]:
    (found,) = [r for k, r in resources(synthesized, stack, resource_type).items() if k.startswith(prefix)]
    document = found["Properties"].get("KeyPolicy") or found["Properties"]["PolicyDocument"]
    statements: list[dict[str, Any]] = document["Statement"]
    return statements


def test_cmp1_config_bucket_has_no_object_lock_and_is_kms_encrypted_versioned_and_logged(
    synthesized: Synthesized,
) -> None:
    """AWS::Config::DeliveryChannel: Config does not support a bucket with Object Lock."""
    (bucket,) = [
        b["Properties"]
        for b in resources(synthesized, HOME, "AWS::S3::Bucket").values()
        if b["Properties"].get("BucketName") == "baseline-config-111122223333-us-east-1"
    ]
    assert "ObjectLockEnabled" not in bucket
    assert "ObjectLockConfiguration" not in bucket
    default = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert default["KMSMasterKeyID"]["Fn::GetAtt"][0].startswith("KeysAudit")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["LoggingConfiguration"]["DestinationBucketName"]["Ref"].startswith("AuditTrailAccessLogs")


def test_enc3_config_uses_the_audit_key_as_its_service_principal_bound_by_source_account(
    synthesized: Synthesized,
) -> None:
    """Config Developer Guide, "Permissions for the KMS Key": the service-linked role has no key access; Config
    writes as config.amazonaws.com, which the key admits with aws:SourceAccount."""
    statements = {s.get("Sid"): s for s in statements_of(synthesized, HOME, "AWS::KMS::Key", "KeysAudit")}
    config = statements["AWSConfigKMSPolicy"]
    assert config["Principal"] == {"Service": "config.amazonaws.com"}
    assert sorted(config["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert config["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert not [s for s in statements.values() if "AWSServiceRoleForConfig" in json.dumps(s.get("Principal"))]


def test_acc4_audit_bucket_admits_cloudtrail_only_for_this_trail_by_source_arn(synthesized: Synthesized) -> None:
    """CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail": both statements carry aws:SourceArn."""
    trail = "arn:aws:cloudtrail:us-east-1:111122223333:trail/account-audit-trail"
    statements = statements_of(synthesized, HOME, "AWS::S3::BucketPolicy", "AuditTrailLogsBucketPolicy")
    cloudtrail = [s for s in statements if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}]
    assert sorted(s["Action"] for s in cloudtrail) == ["s3:GetBucketAcl", "s3:PutObject"]
    for statement in cloudtrail:
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == trail
    # Config no longer writes here (the bucket has Object Lock).
    assert not [s for s in statements if s.get("Principal") == {"Service": "config.amazonaws.com"}]


def test_acc4_trail_creator_may_decrypt_trail_ciphertext_the_bucket_key_needs(synthesized: Synthesized) -> None:
    """CloudTrail User Guide: with an S3 Bucket Key, creating or updating the trail needs kms:Decrypt."""
    statements = {s.get("Sid"): s for s in statements_of(synthesized, HOME, "AWS::KMS::Key", "KeysAudit")}
    decrypt = statements["TrailCreatorDecryptsThroughCloudTrail"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == "cloudtrail.us-east-1.amazonaws.com"
