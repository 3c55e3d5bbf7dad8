"""Backup stacks (issue 6): tiered plan, locked and encrypted vaults in two regions, continuous backup, restore
tests, notifications and the audit framework (BAK-1, BAK-2, BAK-3, BAK-5, BAK-6, ENC-3, CMP-1).

Template tests read the session synth; probes feed the guards bad values (config), a bad tier set (construct) or a
broken template dict (copy checker) and assert each is caught.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import aws_backup as backup

from config import DEFAULT_CONFIG_PATH, ConfigError, load_config, parse_config
from config.limits import BACKUP_TAG_KEY, BACKUP_TAG_VALUE
from config.model import longest_gap_days
from constructs.tiered_backup_plan import BackupTierSpec, MissingTierError, TieredBackupPlan, tiers_without_copy
from stacks.backup import tiers_from_settings
from stacks.backup_dr import dr_vault_name
from tests.conftest import DEV, PROD, Synthesized
from tests.probes import tiny_stack

Json = dict[str, Any]
PROD_DR_VAULT_ARN = "arn:aws:backup:us-west-2:111122223333:backup-vault:acme-prod-dr"
TIERS = {
    # tier: (schedule, retention days, cold storage after days)
    "daily": ("cron(0 5 * * ? *)", 35, None),
    "weekly": ("cron(0 5 ? * SUN *)", 90, None),
    "biweekly": ("cron(0 5 1,15 * ? *)", 180, None),
    "monthly": ("cron(0 5 1 * ? *)", 365, None),
}


# ---------------------------------------------------------------------------------------------- helpers


def resources(template: Json, resource_type: str) -> dict[str, Json]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == resource_type}


def one(template: Json, resource_type: str, **properties: Any) -> tuple[str, Json]:
    matches = [
        (name, body)
        for name, body in resources(template, resource_type).items()
        if all(body["Properties"].get(key) == value for key, value in properties.items())
    ]
    assert len(matches) == 1, f"expected one {resource_type} with {properties}, found {len(matches)}"
    return matches[0]


def plan_rules(template: Json, plan_name: str) -> dict[str, Json]:
    for body in resources(template, "AWS::Backup::BackupPlan").values():
        plan = body["Properties"]["BackupPlan"]
        if plan["BackupPlanName"] == plan_name:
            return {rule["RuleName"]: rule for rule in plan["BackupPlanRule"]}
    raise AssertionError(f"no backup plan named {plan_name}")


def plan_logical_id(template: Json, plan_name: str) -> str:
    for name, body in resources(template, "AWS::Backup::BackupPlan").items():
        if body["Properties"]["BackupPlan"]["BackupPlanName"] == plan_name:
            return name
    raise AssertionError(f"no backup plan named {plan_name}")


def selections_of(template: Json, plan_name: str) -> list[Json]:
    plan_id = {"Fn::GetAtt": [plan_logical_id(template, plan_name), "BackupPlanId"]}
    return [
        body["Properties"]["BackupSelection"]
        for body in resources(template, "AWS::Backup::BackupSelection").values()
        if body["Properties"]["BackupPlanId"] == plan_id
    ]


def imports_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        if "Fn::ImportValue" in value:
            return [value["Fn::ImportValue"]]
        return [name for item in value.values() for name in imports_in(item)]
    if isinstance(value, list):
        return [name for item in value for name in imports_in(item)]
    return []


def exported_resource_type(synthesized: Synthesized, export_name: str) -> str:
    """The type of the resource an exported output (in any stack of the app) refers to."""
    for stack_name in synthesized.stack_names():
        template = synthesized.template_json(stack_name)
        for output in template.get("Outputs", {}).values():
            if output.get("Export", {}).get("Name") == export_name:
                value = output["Value"]
                logical_id = value.get("Ref") or value.get("Fn::GetAtt", [None])[0]
                return str(template["Resources"][logical_id]["Type"])
    raise AssertionError(f"no stack exports {export_name}")


def text(value: Any) -> str:
    """A string, or the literal parts of an Fn::Join, as one string."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(part for part in value["Fn::Join"][1] if isinstance(part, str))
    return str(value)


def local_key_id(template: Json, reference: Any) -> str:
    """The logical id of the AWS::KMS::Key in `template` that `reference` (GetAtt Arn) points at."""
    assert isinstance(reference, dict), reference
    assert "Fn::GetAtt" in reference, reference
    logical_id = reference["Fn::GetAtt"][0]
    key = template["Resources"][logical_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    return str(logical_id)


@pytest.fixture(scope="module")
def prod_backup(synthesized: Synthesized) -> Json:
    return synthesized.template_json(f"{PROD}-backup")


@pytest.fixture(scope="module")
def prod_dr(synthesized: Synthesized) -> Json:
    return synthesized.template_json(f"{PROD}-backup-dr")


@pytest.fixture(scope="module")
def dev_backup(synthesized: Synthesized) -> Json:
    return synthesized.template_json(f"{DEV}-backup")


@pytest.fixture(scope="module")
def dev_dr(synthesized: Synthesized) -> Json:
    return synthesized.template_json(f"{DEV}-backup-dr")


# ---------------------------------------------------------------------------------------------- BAK-3 tiers


@pytest.mark.parametrize("tier", TIERS)
def test_bak3_tier_runs_on_its_utc_schedule_with_its_retention(prod_backup: Json, tier: str) -> None:
    schedule, retention, _ = TIERS[tier]
    rule = plan_rules(prod_backup, "acme-prod-tiered")[tier]
    assert rule["ScheduleExpression"] == schedule
    assert rule["ScheduleExpressionTimezone"] == "Etc/UTC"
    assert rule["Lifecycle"]["DeleteAfterDays"] == retention
    assert rule["StartWindowMinutes"] == 60
    assert rule["CompletionWindowMinutes"] == 720
    assert rule["RecoveryPointTags"] == {"environment": PROD, "backup-tier": tier}


def test_bak3_one_plan_holds_exactly_the_four_tiers_with_growing_retention(prod_backup: Json) -> None:
    rules = plan_rules(prod_backup, "acme-prod-tiered")
    assert list(rules) == list(TIERS)
    retentions = [rule["Lifecycle"]["DeleteAfterDays"] for rule in rules.values()]
    assert retentions == sorted(set(retentions))


def test_bak3_no_tier_claims_cold_storage_for_resources_that_have_none(prod_backup: Json, dev_backup: Json) -> None:
    """AWS Backup ignores MoveToColdStorageAfterDays for RDS, S3 and EC2 recovery points, which are everything the
    plans protect: no tier sets it, so no template promises a cold tier the data cannot have."""
    for template in (prod_backup, dev_backup):
        for body in resources(template, "AWS::Backup::BackupPlan").values():
            for rule in body["Properties"]["BackupPlan"]["BackupPlanRule"]:
                assert "MoveToColdStorageAfterDays" not in rule["Lifecycle"], rule["RuleName"]
                for copy_action in rule.get("CopyActions", []):
                    assert "MoveToColdStorageAfterDays" not in copy_action["Lifecycle"]


def test_bak3_a_configured_cold_tier_still_reaches_the_plan_for_types_that_have_one() -> None:
    """Config may still set cold storage (for tag-selected EBS or EFS); the construct passes it on with the opt-in."""
    stack = tiny_stack()
    vault = backup.BackupVault(stack, "Vault")
    tiers = [
        BackupTierSpec(name, f"cron(0 5 {i + 1} * ? *)", 200 + i, 90 if name == "monthly" else None)
        for i, name in enumerate(("daily", "weekly", "biweekly", "monthly"))
    ]
    plan = TieredBackupPlan(stack, "Plan", plan_name="p", vault=vault, copy_vault_arn="arn:x", tiers=tiers)
    lifecycle = stack.resolve(plan.rules[3].lifecycle)
    assert lifecycle == {
        "deleteAfterDays": 203,
        "moveToColdStorageAfterDays": 90,
        "optInToArchiveForSupportedResources": True,
    }


def test_bak3_probe_construct_refuses_a_tier_set_missing_a_tier() -> None:
    """The config cannot drop a tier (each has a default), so the guard is in the construct: it refuses to build a
    plan without every tier. A template without a tier would also fail test_bak3_one_plan_holds_exactly_...
    """
    stack = tiny_stack()
    vault = backup.BackupVault.from_backup_vault_name(stack, "Vault", "probe")
    tiers = [tier for tier in tiers_from_settings(load_config().environments[0].backup) if tier.name != "weekly"]
    with pytest.raises(MissingTierError, match="missing weekly"):
        TieredBackupPlan(stack, "Plan", plan_name="probe", vault=vault, copy_vault_arn=PROD_DR_VAULT_ARN, tiers=tiers)
    doubled = [*tiers, BackupTierSpec("daily", "cron(0 6 * * ? *)", 10)]
    with pytest.raises(MissingTierError):
        TieredBackupPlan(stack, "Twice", plan_name="probe", vault=vault, copy_vault_arn="arn", tiers=doubled)


def test_bak3_biweekly_default_longest_gap_is_17_days() -> None:
    assert longest_gap_days([1, 15]) == 17
    assert longest_gap_days([1, 16]) == 16
    assert longest_gap_days([1, 8, 15, 22]) == 10


# ---------------------------------------------------------------------------------------------- BAK-5 copies


def test_bak5_every_tier_copies_to_the_dr_vault_with_the_same_lifecycle(prod_backup: Json) -> None:
    assert tiers_without_copy(prod_backup) == []
    for tier, rule in plan_rules(prod_backup, "acme-prod-tiered").items():
        assert rule["CopyActions"] == [
            {"DestinationBackupVaultArn": PROD_DR_VAULT_ARN, "Lifecycle": rule["Lifecycle"]}
        ], tier


@pytest.mark.parametrize(
    "breakage",
    [
        lambda rule: rule.pop("CopyActions"),
        lambda rule: rule.update(CopyActions=[]),
        lambda rule: rule["CopyActions"][0]["Lifecycle"].update(DeleteAfterDays=7),
        lambda rule: rule["CopyActions"][0]["Lifecycle"].update(MoveToColdStorageAfterDays=30),
    ],
    ids=["no-copy-actions", "empty-copy-actions", "shorter-copy-retention", "copy-lifecycle-differs"],
)
def test_bak5_probe_tier_without_a_matching_copy_is_caught(prod_backup: Json, breakage: Callable[[Json], Any]) -> None:
    broken = copy.deepcopy(prod_backup)
    plan = broken["Resources"][plan_logical_id(broken, "acme-prod-tiered")]
    monthly = next(rule for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"] if rule["RuleName"] == "monthly")
    breakage(monthly)
    assert tiers_without_copy(broken) == ["monthly"]


def test_bak5_dr_vault_lives_in_the_dr_region_under_the_name_the_copies_use(
    synthesized: Synthesized, prod_dr: Json
) -> None:
    stacks = synthesized.environments[PROD]
    assert stacks.backup_dr.region == "us-west-2"
    assert stacks.backup_dr.vault_name == dr_vault_name(load_config().environments[0]) == "acme-prod-dr"
    one(prod_dr, "AWS::Backup::BackupVault", BackupVaultName="acme-prod-dr")


def test_bak5_backup_stack_deploys_after_the_dr_stack(synthesized: Synthesized) -> None:
    for name in (PROD, DEV):
        stacks = synthesized.environments[name]
        assert stacks.backup_dr in stacks.backup.dependencies


# ---------------------------------------------------------------------------------------------- vaults


@pytest.mark.parametrize(("stack", "vault_name"), [("backup", "acme-prod-primary"), ("backup-dr", "acme-prod-dr")])
def test_bak5_prod_vaults_have_a_compliance_lock_with_a_grace_period(
    synthesized: Synthesized, stack: str, vault_name: str
) -> None:
    _, vault = one(synthesized.template_json(f"{PROD}-{stack}"), "AWS::Backup::BackupVault", BackupVaultName=vault_name)
    assert vault["Properties"]["LockConfiguration"] == {
        "ChangeableForDays": 7,
        "MinRetentionDays": 7,
        "MaxRetentionDays": 3650,
    }


@pytest.mark.parametrize(("stack", "vault_name"), [("backup", "globex-dev-primary"), ("backup-dr", "globex-dev-dr")])
def test_bak5_dev_vaults_have_a_governance_lock_without_a_grace_period(
    synthesized: Synthesized, stack: str, vault_name: str
) -> None:
    _, vault = one(synthesized.template_json(f"{DEV}-{stack}"), "AWS::Backup::BackupVault", BackupVaultName=vault_name)
    assert vault["Properties"]["LockConfiguration"] == {"MinRetentionDays": 7, "MaxRetentionDays": 3650}


@pytest.mark.parametrize(
    "stack", ["acme-prod-backup", "acme-prod-backup-dr", "globex-dev-backup", "globex-dev-backup-dr"]
)
def test_enc3_bak5_vault_is_encrypted_by_its_stack_key_retained_and_denies_deleting_recovery_points(
    synthesized: Synthesized, stack: str
) -> None:
    template = synthesized.template_json(stack)
    (_, vault), *others = resources(template, "AWS::Backup::BackupVault").items()
    assert others == []
    local_key_id(template, vault["Properties"]["EncryptionKeyArn"])
    # BAK-5: a fixed-name vault is retained except on a failed first create, so the retry can create it again.
    assert vault["DeletionPolicy"] == "RetainExceptOnCreate"
    assert vault["UpdateReplacePolicy"] == "Retain"
    statements = vault["Properties"]["AccessPolicy"]["Statement"]
    deny = next(statement for statement in statements if statement["Effect"] == "Deny")
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Resource"] == "*"  # what BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED requires
    assert {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"} <= set(deny["Action"])
    assert not [statement for statement in statements if statement["Effect"] == "Allow"]


@pytest.mark.parametrize(("stack", "region"), [("acme-prod-backup", "us-east-1"), ("acme-prod-backup-dr", "us-west-2")])
def test_bak6_vault_policy_denies_changing_itself_and_the_lock_to_all_but_the_deploy_role(
    synthesized: Synthesized, stack: str, region: str
) -> None:
    """Without PutBackupVaultAccessPolicy in the Deny, anyone allowed to change the policy could drop the Deny first.
    Only the CDK bootstrap's CloudFormation execution role (assumable by CloudFormation alone) is exempt, so a
    reviewed deploy can still update the vault."""
    (vault,) = resources(synthesized.template_json(stack), "AWS::Backup::BackupVault").values()
    deny = next(s for s in vault["Properties"]["AccessPolicy"]["Statement"] if s["Effect"] == "Deny")
    assert {
        "backup:PutBackupVaultAccessPolicy",
        "backup:DeleteBackupVaultAccessPolicy",
        "backup:PutBackupVaultLockConfiguration",
        "backup:DeleteBackupVaultLockConfiguration",
    } <= set(deny["Action"])
    assert deny["Condition"] == {
        "ArnNotEquals": {
            "aws:PrincipalArn": {
                "Fn::Sub": "arn:${AWS::Partition}:iam::111122223333:role/"
                f"cdk-hnb659fds-cfn-exec-role-111122223333-{region}"
            }
        }
    }


# ---------------------------------------------------------------------------------------------- BAK-1 selection


def test_bak1_plan_selects_the_database_and_the_data_bucket_by_arn(synthesized: Synthesized, prod_backup: Json) -> None:
    named = [selection for selection in selections_of(prod_backup, "acme-prod-tiered") if "Conditions" not in selection]
    assert len(named) == 1
    arns = named[0]["Resources"]
    assert len(arns) == 2
    by_type = {exported_resource_type(synthesized, name): arn for arn in arns for name in imports_in(arn)}
    assert sorted(by_type) == ["AWS::RDS::DBInstance", "AWS::S3::Bucket"]
    assert text(by_type["AWS::RDS::DBInstance"]).endswith(":db:")


def test_bak1_bastion_is_selected_by_the_tags_it_carries(synthesized: Synthesized) -> None:
    """By tag, not ARN: the tag selection below matches the bastion, which replacing it cannot break."""
    bastion = synthesized.template_json(f"{PROD}-bastion")
    (instance,) = [r for r in bastion["Resources"].values() if r["Type"] == "AWS::EC2::Instance"]
    tags = {tag["Key"]: tag["Value"] for tag in instance["Properties"]["Tags"]}
    assert tags[BACKUP_TAG_KEY] == BACKUP_TAG_VALUE
    assert tags["environment"] == PROD


def test_acc2_nothing_imports_from_the_bastion_stack_so_revocation_can_replace_it(synthesized: Synthesized) -> None:
    """Revoking a key replaces the bastion; an import of its exports elsewhere would make that deploy fail."""
    for name in synthesized.stack_names():
        assert f'"{PROD}-bastion:' not in json.dumps(synthesized.template_json(name)), name
        assert f'"{DEV}-bastion:' not in json.dumps(synthesized.template_json(name)), name


def test_bak1_tag_selection_needs_the_backup_tag_and_this_environment(prod_backup: Json) -> None:
    tagged = [selection for selection in selections_of(prod_backup, "acme-prod-tiered") if "Conditions" in selection]
    assert len(tagged) == 1
    assert tagged[0]["Resources"] == ["*"]
    assert "ListOfTags" not in tagged[0]  # ListOfTags would OR the tags; Conditions AND them
    assert tagged[0]["Conditions"] == {
        "StringEquals": [
            {"ConditionKey": f"aws:ResourceTag/{BACKUP_TAG_KEY}", "ConditionValue": BACKUP_TAG_VALUE},
            {"ConditionKey": "aws:ResourceTag/environment", "ConditionValue": PROD},
        ]
    }


def test_bak6_service_role_has_only_the_aws_backup_managed_policies(prod_backup: Json) -> None:
    (_, role), *others = resources(prod_backup, "AWS::IAM::Role").items()
    assert others == []
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "backup.amazonaws.com"
    }
    assert "Policies" not in role["Properties"]
    policies = {text(arn).rsplit("/", 1)[-1] for arn in role["Properties"]["ManagedPolicyArns"]}
    assert policies == {
        "AWSBackupServiceRolePolicyForBackup",
        "AWSBackupServiceRolePolicyForRestores",
        "AWSBackupServiceRolePolicyForS3Backup",
        "AWSBackupServiceRolePolicyForS3Restore",
    }
    assert resources(prod_backup, "AWS::IAM::Policy") == {}


# ---------------------------------------------------------------------------------------------- BAK-2 continuous


def test_bak2_database_has_continuous_backup_for_point_in_time_restore(
    synthesized: Synthesized, prod_backup: Json
) -> None:
    rule = plan_rules(prod_backup, "acme-prod-continuous")["continuous"]
    assert rule["EnableContinuousBackup"] is True
    assert rule["Lifecycle"] == {"DeleteAfterDays": 35}
    (selection,) = selections_of(prod_backup, "acme-prod-continuous")
    (database_arn,) = selection["Resources"]
    assert [exported_resource_type(synthesized, name) for name in imports_in(database_arn)] == ["AWS::RDS::DBInstance"]
    assert all(not rule.get("EnableContinuousBackup") for rule in plan_rules(prod_backup, "acme-prod-tiered").values())


# ---------------------------------------------------------------------------------------------- BAK-6 assurance


def test_bak6_restore_tests_run_weekly_on_the_database_and_the_bastion(prod_backup: Json) -> None:
    _, plan = one(prod_backup, "AWS::Backup::RestoreTestingPlan")
    properties = plan["Properties"]
    assert re.fullmatch(r"cron\(\d+ \d+ \? \* (MON|TUE|WED|THU|FRI|SAT|SUN) \*\)", properties["ScheduleExpression"])
    selection = properties["RecoveryPointSelection"]
    assert selection["Algorithm"] == "LATEST_WITHIN_WINDOW"
    assert selection["SelectionWindowDays"] == 7
    vault_id, _ = one(prod_backup, "AWS::Backup::BackupVault")
    assert selection["IncludeVaults"] == [{"Fn::GetAtt": [vault_id, "BackupVaultArn"]}]
    tests = {
        # named `<target>_<digest of the create-only type>` (policies/create_only_names.py, ACC-2)
        body["Properties"]["RestoreTestingSelectionName"].rsplit("_", 1)[0]: body["Properties"]
        for body in resources(prod_backup, "AWS::Backup::RestoreTestingSelection").values()
    }
    assert {name: test["ProtectedResourceType"] for name, test in tests.items()} == {
        "database": "RDS",
        "bastion": "EC2",
    }
    for test in tests.values():
        assert test["RestoreTestingPlanName"] == properties["RestoreTestingPlanName"]
        assert len(test["ProtectedResourceArns"]) == 1
        assert test["RestoreMetadataOverrides"], "BAK-6: every restore test names where it lands"
    assert tests["bastion"]["ProtectedResourceArns"] == ["*"]
    assert tests["bastion"]["ProtectedResourceConditions"] == {
        "StringEquals": [
            {"Key": f"aws:ResourceTag/{BACKUP_TAG_KEY}", "Value": BACKUP_TAG_VALUE},
            {"Key": "aws:ResourceTag/environment", "Value": PROD},
        ]
    }


def exported(synthesized: Synthesized, value: Json) -> tuple[str, str]:
    """(stack, logical id) of the resource an Fn::ImportValue refers to."""
    name = value["Fn::ImportValue"]
    for stack_name in synthesized.stack_names():
        for output in synthesized.template_json(stack_name).get("Outputs", {}).values():
            if output.get("Export", {}).get("Name") == name:
                reference = output["Value"]
                return stack_name, str(reference.get("Ref") or reference["Fn::GetAtt"][0])
    raise AssertionError(f"no stack exports {name}")


def json_list_of_one(synthesized: Synthesized, value: Json) -> tuple[str, str]:
    """A `["sg-..."]` built with Fn::Join around one imported id: the imported resource."""
    separator, parts = value["Fn::Join"]
    assert separator == ""
    assert parts[0] == '["'
    assert parts[-1] == '"]'
    (inner,) = parts[1:-1]
    return exported(synthesized, inner)


def test_bak6_restore_tests_land_in_the_data_tier_and_the_bastion_placement(
    synthesized: Synthesized, prod_backup: Json
) -> None:
    """Not AWS Backup's inferred placement (the default VPC): the database in its own subnet group behind the
    database group, the bastion in its own subnet behind its own group."""
    tests = {
        body["Properties"]["RestoreTestingSelectionName"].rsplit("_", 1)[0]: body["Properties"][
            "RestoreMetadataOverrides"
        ]
        for body in resources(prod_backup, "AWS::Backup::RestoreTestingSelection").values()
    }
    assert set(tests["database"]) == {"dbSubnetGroupName", "vpcSecurityGroupIds"}
    assert set(tests["bastion"]) == {"subnetId", "securityGroupIds"}

    data = synthesized.template_json(f"{PROD}-data")
    (instance,) = resources(data, "AWS::RDS::DBInstance").values()
    stack, subnet_group = exported(synthesized, tests["database"]["dbSubnetGroupName"])
    assert (stack, {"Ref": subnet_group}) == (f"{PROD}-data", instance["Properties"]["DBSubnetGroupName"])
    stack, group = json_list_of_one(synthesized, tests["database"]["vpcSecurityGroupIds"])
    network = synthesized.template_json(f"{PROD}-network")
    assert stack == f"{PROD}-network"
    assert tag_of(network, group, "sg-role") == "database"

    bastion = synthesized.template_json(f"{PROD}-bastion")
    (host,) = resources(bastion, "AWS::EC2::Instance").values()
    (interface,) = host["Properties"]["NetworkInterfaces"]
    assert interface["SubnetId"] == {"Fn::ImportValue": tests["bastion"]["subnetId"]["Fn::ImportValue"]}
    stack, group = json_list_of_one(synthesized, tests["bastion"]["securityGroupIds"])
    assert tag_of(network, group, "sg-role") == "bastion"


def tag_of(template: Json, logical_id: str, key: str) -> str | None:
    tags = template["Resources"][logical_id]["Properties"].get("Tags", [])
    return next((tag["Value"] for tag in tags if tag["Key"] == key), None)


def test_bak6_dr_region_restore_tests_restore_the_s3_copies_from_the_dr_vault(prod_dr: Json) -> None:
    _, plan = one(prod_dr, "AWS::Backup::RestoreTestingPlan")
    vault_id, _ = one(prod_dr, "AWS::Backup::BackupVault")
    selection = plan["Properties"]["RecoveryPointSelection"]
    assert selection["IncludeVaults"] == [{"Fn::GetAtt": [vault_id, "BackupVaultArn"]}]
    assert selection["RecoveryPointTypes"] == ["SNAPSHOT"]
    (test,) = resources(prod_dr, "AWS::Backup::RestoreTestingSelection").values()
    assert test["Properties"]["ProtectedResourceType"] == "S3"
    assert test["Properties"]["RestoreTestingPlanName"] == plan["Properties"]["RestoreTestingPlanName"]
    role = prod_dr["Resources"][test["Properties"]["IamRoleArn"]["Fn::GetAtt"][0]]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "backup.amazonaws.com"
    }


def test_bak5_failed_replication_alarms_to_the_backup_alert_topic(synthesized: Synthesized, prod_backup: Json) -> None:
    _, alarm = one(prod_backup, "AWS::CloudWatch::Alarm")
    properties = alarm["Properties"]
    assert properties["Namespace"] == "AWS/S3"
    assert properties["MetricName"] == "OperationsFailedReplication"
    assert properties["Statistic"] == "Sum"
    assert properties["Threshold"] == 1
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["TreatMissingData"] == "notBreaching"
    dimensions = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
    assert dimensions["DestinationBucket"] == "acme-prod-data-replica-111122223333-us-west-2"
    assert dimensions["RuleId"] == "replicate-to-dr"
    assert exported_resource_type(synthesized, dimensions["SourceBucket"]["Fn::ImportValue"]) == "AWS::S3::Bucket"
    (topic_id,) = resources(prod_backup, "AWS::SNS::Topic")
    assert properties["AlarmActions"] == [{"Ref": topic_id}]
    (policy,) = resources(prod_backup, "AWS::SNS::TopicPolicy").values()
    assert any(
        s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and s["Action"] == "sns:Publish"
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )
    key_id = local_key_id(prod_backup, prod_backup["Resources"][topic_id]["Properties"]["KmsMasterKeyId"])
    (statement,) = [
        s
        for s in prod_backup["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert "aws:SourceAccount" not in json.dumps(statement["Condition"])
    topic_name = prod_backup["Resources"][topic_id]["Properties"]["TopicName"]
    assert statement["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:us-east-1:111122223333:{topic_name}"}
    }


def test_bak6_failed_backup_copy_and_restore_jobs_alert_by_email(prod_backup: Json) -> None:
    _, vault = one(prod_backup, "AWS::Backup::BackupVault")
    notifications = vault["Properties"]["Notifications"]
    assert {"BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED"} <= set(
        notifications["BackupVaultEvents"]
    )
    topic_id = notifications["SNSTopicArn"]["Ref"]
    topic = prod_backup["Resources"][topic_id]
    key_id = local_key_id(prod_backup, topic["Properties"]["KmsMasterKeyId"])
    key_statements = prod_backup["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        statement.get("Principal") == {"Service": "backup.amazonaws.com"}
        and "kms:GenerateDataKey*" in statement["Action"]
        for statement in key_statements
    )
    (policy,) = resources(prod_backup, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    assert any(
        s["Effect"] == "Allow"
        and s["Principal"] == {"Service": "backup.amazonaws.com"}
        and s["Action"] == "sns:Publish"
        and s["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
        for s in statements
    )
    one(prod_backup, "AWS::SNS::Subscription", Protocol="email", Endpoint="security-alerts@example.com")


def test_cmp1_audit_framework_checks_frequency_retention_encryption_lock_and_copies(prod_backup: Json) -> None:
    _, framework = one(prod_backup, "AWS::Backup::Framework")
    controls = {
        control["ControlName"]: {
            p["ParameterName"]: p["ParameterValue"] for p in control.get("ControlInputParameters", [])
        }
        for control in framework["Properties"]["FrameworkControls"]
    }
    assert controls["BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"] == {
        "requiredFrequencyUnit": "days",
        "requiredFrequencyValue": "1",
        "requiredRetentionDays": "35",
    }
    assert controls["BACKUP_RECOVERY_POINT_ENCRYPTED"] == {}
    assert controls["BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"] == {
        "minRetentionDays": "7",
        "maxRetentionDays": "3650",
    }
    assert controls["BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"] == {"crossRegionList": "us-west-2"}
    assert controls["BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN"] == {}
    assert controls["BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"] == {"requiredRetentionDays": "35"}


RESOURCE_CONTROLS = (
    "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN",
    "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK",
    "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION",
    "BACKUP_LAST_RECOVERY_POINT_CREATED",
)


def test_bak6_resource_controls_are_scoped_to_what_the_plans_protect(prod_backup: Json) -> None:
    """Not the environment tag every resource carries (the access-log buckets would be red forever): the tag the
    database, the data bucket and the bastion carry. Recovery-point, vault and plan controls keep the environment
    tag, which this environment's recovery points, vaults and plans carry."""
    _, framework = one(prod_backup, "AWS::Backup::Framework")
    for control in framework["Properties"]["FrameworkControls"]:
        expected = (
            (BACKUP_TAG_KEY, BACKUP_TAG_VALUE)
            if control["ControlName"] in RESOURCE_CONTROLS
            else (
                "environment",
                PROD,
            )
        )
        assert control["ControlScope"] == {"Tags": [{"Key": expected[0], "Value": expected[1]}]}


def test_bak6_manual_deletion_control_knows_the_one_exempt_principal(prod_backup: Json) -> None:
    _, framework = one(prod_backup, "AWS::Backup::Framework")
    (control,) = [
        c
        for c in framework["Properties"]["FrameworkControls"]
        if c["ControlName"] == "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"
    ]
    _, vault = one(prod_backup, "AWS::Backup::BackupVault")
    deny = next(s for s in vault["Properties"]["AccessPolicy"]["Statement"] if s["Effect"] == "Deny")
    assert control["ControlInputParameters"] == [
        {"ParameterName": "principalArnList", "ParameterValue": deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]}
    ]


def test_bak3_plan_retention_control_asks_for_what_the_shortest_plan_keeps(dev_backup: Json) -> None:
    """globex-dev's continuous plan keeps 14 days: the control must not demand the daily tier's 35 of it."""
    _, framework = one(dev_backup, "AWS::Backup::Framework")
    controls = {
        c["ControlName"]: {p["ParameterName"]: p["ParameterValue"] for p in c.get("ControlInputParameters", [])}
        for c in framework["Properties"]["FrameworkControls"]
    }
    assert plan_rules(dev_backup, "globex-dev-continuous")["continuous"]["Lifecycle"]["DeleteAfterDays"] == 14
    assert controls["BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"]["requiredRetentionDays"] == "14"
    assert controls["BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"]["requiredRetentionDays"] == "14"


# ---------------------------------------------------------------------------------------------- config probes


def rejected(mutate: Callable[[Json], None]) -> str:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    mutate(data["environments"][0]["backup"])
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return str(caught.value)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        # BAK-5: every retention inside the vault lock bounds
        (
            lambda b: b["vault_lock"].update(max_retention_days=300),
            r"backup\.monthly\.retention_days = 365: is outside the vault lock bounds 7-300",
        ),
        (
            lambda b: b["vault_lock"].update(min_retention_days=40),
            r"backup\.daily\.retention_days = 35: is outside the vault lock bounds 40-3650",
        ),
        (
            lambda b: b.update(continuous_retention_days=5),
            r"backup\.continuous_retention_days = 5: is outside the vault lock bounds",
        ),
        (
            lambda b: b["vault_lock"].update(min_retention_days=30, max_retention_days=20),
            r"vault_lock\.max_retention_days = 20: must be at least min_retention_days \(30\)",
        ),
        (
            lambda b: b["vault_lock"].update(changeable_for_days=1),
            r"vault_lock\.changeable_for_days = 1: .*greater than or equal to 3",
        ),
        # BAK-3: retention grows with the tier
        (
            lambda b: b["weekly"].update(retention_days=30),
            r"backup\.weekly\.retention_days = 30: must be greater than daily\.retention_days \(35\)",
        ),
        (
            lambda b: b["monthly"].update(retention_days=180),
            r"backup\.monthly\.retention_days = 180: must be greater than biweekly\.retention_days \(180\)",
        ),
        # AWS limits
        (
            lambda b: b["monthly"].update(retention_days=40000),
            r"monthly\.retention_days = 40000: .*less than or equal to 36500",
        ),
        (
            lambda b: b.update(continuous_retention_days=36),
            r"continuous_retention_days = 36: .*less than or equal to 35",
        ),
        (lambda b: b.update(start_window_minutes=30), r"start_window_minutes = 30: .*greater than or equal to 60"),
        (
            lambda b: b.update(start_window_minutes=200, completion_window_minutes=150),
            r"completion_window_minutes = 150: must be greater than start_window_minutes \(200\)",
        ),
        # AWS: a recovery point stays 90 days in cold storage
        (
            lambda b: b["monthly"].update(cold_storage_after_days=300),
            r"monthly\.retention_days = 365: must be at least cold_storage_after_days \+ 90 \(390\)",
        ),
        # BAK-3: bi-weekly runs on at least two distinct days 1-28, no gap over 17 days
        (
            lambda b: b["biweekly"].update(days_of_month=[15]),
            r"biweekly\.days_of_month = \[15\]: must name at least 2 different days",
        ),
        (
            lambda b: b["biweekly"].update(days_of_month=[15, 15]),
            r"biweekly\.days_of_month = \[15, 15\]: must name at least 2",
        ),
        (
            lambda b: b["biweekly"].update(days_of_month=[1, 30]),
            r"biweekly\.days_of_month\[1\] = 30: .*less than or equal to 28",
        ),
        (
            lambda b: b["biweekly"].update(days_of_month=[0, 15]),
            r"biweekly\.days_of_month\[0\] = 0: .*greater than or equal to 1",
        ),
        (
            lambda b: b["biweekly"].update(days_of_month=[1, 2]),
            r"biweekly\.days_of_month = \[1, 2\]: leaves 30 days between two runs",
        ),
        (lambda b: b["monthly"].update(day_of_month=31), r"monthly\.day_of_month = 31: .*less than or equal to 28"),
        (lambda b: b["weekly"].update(weekday="SUNDAY"), r"weekly\.weekday = 'SUNDAY'"),
        (lambda b: b["vault_lock"].update(mode="strict"), r"vault_lock\.mode = 'strict'"),
    ],
    ids=[
        "above-lock-max",
        "below-lock-min",
        "continuous-below-lock-min",
        "lock-max-below-min",
        "grace-under-3-days",
        "weekly-not-above-daily",
        "monthly-equal-to-biweekly",
        "retention-over-100-years",
        "continuous-over-35",
        "start-window-under-60",
        "completion-not-after-start",
        "cold-storage-under-90-days",
        "biweekly-one-day",
        "biweekly-repeated-day",
        "biweekly-day-not-in-every-month",
        "biweekly-day-zero",
        "biweekly-gap-too-long",
        "monthly-day-not-in-every-month",
        "unknown-weekday",
        "unknown-lock-mode",
    ],
)
def test_bak3_bak5_probe_config_rejects_bad_backup_settings(mutate: Callable[[Json], None], message: str) -> None:
    assert re.search(message, rejected(mutate)), rejected(mutate)


def test_bak5_vault_lock_mode_defaults_by_stage() -> None:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    del data["environments"][0]["backup"]["vault_lock"]["mode"]
    prod, dev = parse_config(data).environments
    assert prod.backup.vault_lock.mode == "compliance"
    assert dev.backup.vault_lock.mode == "governance"
