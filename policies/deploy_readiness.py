"""`ProjectDeployReadiness`: promises that hold in a template but not once the services run, checked at every synth.

Each rule is one class of mistake a review against AWS's service documentation found (issue 16), stated generally so
the next stack cannot repeat it:
- BAK5-ReplicationRoleReadsWhatItReplicates: a bucket's replication role may read what the bucket holds (Object Lock
  retention and legal hold when the bucket has Object Lock) and use the replica key (Decrypt too when the replica uses
  an S3 Bucket Key, or when the replica is not in the app and nobody can tell).
- RetainExceptOnCreateForFixedNames: a retained resource with a fixed name survives a failed first create and
  blocks the retry ("already exists"); it must be `RetainExceptOnCreate`. Which property is a type's name comes from
  the CloudFormation resource schemas cfn-lint ships (`name_properties`), not from a list of types.
- NET3-EndpointHasPolicy: a VPC endpoint without a policy admits any account's credentials to any resource.
- BAK6-RestoreTestHasPlacement: a restore test of a type that lands in a network names its subnet (group) and
  security groups; otherwise AWS Backup restores into the default VPC, or fails where there is none.
- BAK6-AssuranceScopeWithinSelections: a Backup Audit Manager control on protected resources reaches only resources
  some backup selection of the app selects (by ARN, or by all of its tag conditions); otherwise it is red forever.

Cross-resource rules read every template of the app at once, so a selection in one stack and the resource it imports
from another are checked together. Acknowledge a finding with `ProjectDeployReadiness::<rule>`.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii

from config.limits import BACKUP_RESOURCE_CONTROLS, RESTORE_PLACEMENT_KEYS
from policies.create_only_names import create_only_shape
from policies.template_rules import (
    Finding,
    TemplateRule,
    TemplateRulePlugin,
    Templates,
    allows,
    imports_in,
    logical_ids_in,
    resource_tags,
    resources_of,
    role_statements,
)

PLUGIN_NAME = "ProjectDeployReadiness"
# Types AWS Backup protects that a template can hold (Backup Audit Manager resource controls evaluate these).
PROTECTED_TYPES = frozenset(
    {
        "AWS::S3::Bucket",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::EC2::Instance",
        "AWS::EC2::Volume",
        "AWS::DynamoDB::Table",
        "AWS::EFS::FileSystem",
    }
)


# ------------------------------------------------------------------------------------------------ BAK-5


def _bucket_name_of_arn(arn: Any) -> str | None:
    if isinstance(arn, dict) and "Fn::Join" in arn:
        arn = "".join(part for part in arn["Fn::Join"][1] if isinstance(part, str))
    return arn.split(":::", 1)[1] if isinstance(arn, str) and ":::" in arn else None


def replica_uses_bucket_key(templates: Templates, destination_arn: Any) -> bool:
    """True when the destination bucket (found by name in any template) uses an S3 Bucket Key, or is not found."""
    name = _bucket_name_of_arn(destination_arn)
    for template in templates.values():
        for _, bucket in resources_of(template, "AWS::S3::Bucket"):
            properties = bucket.get("Properties") or {}
            if name is not None and properties.get("BucketName") == name:
                rules = (properties.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or []
                return any(rule.get("BucketKeyEnabled") is True for rule in rules)
    return True


def replication_role_reads_what_it_replicates(templates: Templates) -> list[Finding]:
    findings = []
    for path, template in templates.items():
        for logical_id, bucket in resources_of(template, "AWS::S3::Bucket"):
            properties = bucket.get("Properties") or {}
            replication = properties.get("ReplicationConfiguration")
            if not replication:
                continue
            role_ids = list(logical_ids_in(replication.get("Role")))
            if not role_ids:
                findings.append(Finding(path, logical_id, "the replication role is not in this template"))
                continue
            statements = role_statements(template, role_ids[0])
            objects = {"Fn::Join": ["", [{"Fn::GetAtt": [logical_id, "Arn"]}, "/*"]]}
            needed = [("s3:GetObjectVersionForReplication", objects)]
            if properties.get("ObjectLockEnabled") is True:
                needed += [("s3:GetObjectRetention", objects), ("s3:GetObjectLegalHold", objects)]
            for rule in replication.get("Rules") or []:
                destination = rule.get("Destination") or {}
                key = (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
                if key is None:
                    continue
                needed += [("kms:Encrypt", key), ("kms:GenerateDataKey", key)]
                if replica_uses_bucket_key(templates, destination.get("Bucket")):
                    needed.append(("kms:Decrypt", key))
            missing = sorted({action for action, resource in needed if not allows(statements, action, resource)})
            if missing:
                findings.append(Finding(path, logical_id, f"replication role {role_ids[0]} lacks {', '.join(missing)}"))
    return findings


# ------------------------------------------------------------------------------------------------ fixed names


def name_properties(resource_type: str) -> frozenset[str]:
    """The top-level properties that give a resource of this type its fixed name, from its resource schema: the
    writable properties of its primary identifier (BucketName, LogGroupName, BackupVaultName, DBInstanceIdentifier),
    and a create-only `<Type>Name` (TopicName, FrameworkName). Custom and unknown types have none."""
    shape = create_only_shape(resource_type)
    if shape is None:
        return frozenset()
    type_name = resource_type.rsplit("::", 1)[-1]
    return frozenset(shape.writable_identifier) | (set(shape.create_only) & {f"{type_name}Name"})


def retained_fixed_names_survive_failed_creates(templates: Templates) -> list[Finding]:
    findings = []
    for path, template in templates.items():
        for logical_id, resource in resources_of(template):
            if resource.get("DeletionPolicy") != "Retain":
                continue
            named = sorted(name_properties(resource.get("Type", "")) & set(resource.get("Properties") or {}))
            if named:
                findings.append(Finding(path, logical_id, f"DeletionPolicy Retain with a fixed {', '.join(named)}"))
    return findings


# ------------------------------------------------------------------------------------------------ NET-3, BAK-6


def endpoints_have_policies(templates: Templates) -> list[Finding]:
    return [
        Finding(path, logical_id, "no PolicyDocument: the default policy admits every account")
        for path, template in templates.items()
        for logical_id, endpoint in resources_of(template, "AWS::EC2::VPCEndpoint")
        if not (endpoint.get("Properties") or {}).get("PolicyDocument")
    ]


def restore_tests_name_their_placement(templates: Templates) -> list[Finding]:
    findings = []
    for path, template in templates.items():
        for logical_id, selection in resources_of(template, "AWS::Backup::RestoreTestingSelection"):
            properties = selection.get("Properties") or {}
            required = RESTORE_PLACEMENT_KEYS.get(properties.get("ProtectedResourceType", ""), ())
            given = {key.lower() for key in properties.get("RestoreMetadataOverrides") or {}}
            missing = [key for key in required if key.lower() not in given]
            if missing:
                findings.append(Finding(path, logical_id, f"RestoreMetadataOverrides lacks {', '.join(missing)}"))
    return findings


def _exports(templates: Templates) -> dict[str, tuple[str, str]]:
    """Export name -> (template path, logical id of the exported resource)."""
    found = {}
    for path, template in templates.items():
        for output in (template.get("Outputs") or {}).values():
            name = (output.get("Export") or {}).get("Name")
            ids = list(logical_ids_in(output.get("Value")))
            if isinstance(name, str) and ids:
                found[name] = (path, ids[0])
    return found


def selected_resources(templates: Templates) -> set[tuple[str, str]]:
    """(template path, logical id) of every resource some AWS::Backup::BackupSelection of the app selects."""
    exports = _exports(templates)
    protected = [
        (path, logical_id, resource_tags(resource))
        for path, template in templates.items()
        for logical_id, resource in resources_of(template, *PROTECTED_TYPES)
    ]
    selected: set[tuple[str, str]] = set()
    for path, template in templates.items():
        for _, selection in resources_of(template, "AWS::Backup::BackupSelection"):
            body = (selection.get("Properties") or {}).get("BackupSelection") or {}
            named = body.get("Resources") or []
            selected |= {(path, logical_id) for logical_id in logical_ids_in(named)}
            selected |= {exports[name] for name in imports_in(named) if name in exports}
            if "*" not in named:
                continue
            conditions = [
                (c["ConditionKey"].removeprefix("aws:ResourceTag/"), c["ConditionValue"])
                for c in (body.get("Conditions") or {}).get("StringEquals") or []
            ]
            any_of = [(t["ConditionKey"], t["ConditionValue"]) for t in body.get("ListOfTags") or []]
            for resource_path, logical_id, tags in protected:
                if conditions and all(tags.get(key) == value for key, value in conditions):
                    selected.add((resource_path, logical_id))
                if any(tags.get(key) == value for key, value in any_of):
                    selected.add((resource_path, logical_id))
    return selected


def assurance_scopes_within_selections(templates: Templates) -> list[Finding]:
    selected = selected_resources(templates)
    findings = []
    for path, template in templates.items():
        for logical_id, framework in resources_of(template, "AWS::Backup::Framework"):
            for control in (framework.get("Properties") or {}).get("FrameworkControls") or []:
                if control.get("ControlName") not in BACKUP_RESOURCE_CONTROLS:
                    continue
                scope = control.get("ControlScope") or {}
                if scope.get("ComplianceResourceIds"):
                    continue  # named resources: as narrow as a scope gets
                tags = {tag["Key"]: tag["Value"] for tag in scope.get("Tags") or []}
                reached = [
                    (resource_path, resource_id)
                    for resource_path, other in templates.items()
                    for resource_id, resource in resources_of(other, *PROTECTED_TYPES)
                    if all(resource_tags(resource).get(key) == value for key, value in tags.items())
                ]
                unselected = sorted(r for r in reached if r not in selected)
                if unselected:
                    example = unselected[0][1]
                    findings.append(
                        Finding(
                            path,
                            logical_id,
                            f"{control['ControlName']} scope {tags or 'everything'} reaches {len(unselected)} "
                            f"resource(s) no backup selection selects, e.g. {example}",
                        )
                    )
    return findings


RULES = (
    TemplateRule(
        "BAK5-ReplicationRoleReadsWhatItReplicates",
        "BAK-5: the replication role cannot read what its bucket holds or use the replica key, so objects stop "
        "replicating.",
        "Grant s3:GetObjectRetention and s3:GetObjectLegalHold (Object Lock) on the source objects, and "
        "kms:Encrypt, kms:GenerateDataKey and kms:Decrypt (S3 Bucket Key replica) on the replica key.",
        replication_role_reads_what_it_replicates,
    ),
    TemplateRule(
        "RetainExceptOnCreateForFixedNames",
        "BAK-5: a retained resource with a fixed name survives a failed first create and blocks the retry.",
        "Use RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (DeletionPolicy RetainExceptOnCreate).",
        retained_fixed_names_survive_failed_creates,
    ),
    TemplateRule(
        "NET3-EndpointHasPolicy",
        "NET-3: a VPC endpoint without a policy admits any account's principals and resources.",
        "Add a policy limited to this account (aws:PrincipalAccount, and aws:ResourceAccount where it fits).",
        endpoints_have_policies,
    ),
    TemplateRule(
        "BAK6-RestoreTestHasPlacement",
        "BAK-6: a restore test without placement restores into the default VPC, or fails without one.",
        "Set RestoreMetadataOverrides with the subnet (group) and security groups the restore must land in.",
        restore_tests_name_their_placement,
    ),
    TemplateRule(
        "BAK6-AssuranceScopeWithinSelections",
        "BAK-6 / CMP-1: an audit control on protected resources reaches resources no backup plan selects, so it "
        "reports them non-compliant forever.",
        "Scope the control to a tag that only the selected resources carry (and tag what the plans select).",
        assurance_scopes_within_selections,
    ),
)


@jsii.implements(cdk.IPolicyValidationPlugin)
class DeployReadiness(TemplateRulePlugin):
    """Registered with `Validations.of(app).add_plugins(...)` like the packs (policies/packs.py)."""

    NAME = PLUGIN_NAME
    RULES = RULES
