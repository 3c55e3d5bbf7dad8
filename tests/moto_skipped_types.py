"""Create, through moto's service APIs, the template resources moto's CloudFormation skips (tests/moto_workarounds.py
lists them), so the deployed moto account holds what a real deploy would and the operations commands can read it.

Each creator reads the resource's template properties, resolved against the stack moto just built (physical ids,
exports, pseudo parameters). Types with no moto API at all (Backup selections, frameworks, restore testing, the
RDS-managed secret) stay absent; `NO_MOTO_API` names them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.botocore_reuse import harness_client
from tests.moto_skipped_security import AFTER_STACK, BEFORE_STACK, NO_MOTO_API_SECURITY

if TYPE_CHECKING:
    from tests.moto_deploy import StackArtifact

NO_MOTO_API = (
    "AWS::Backup::BackupSelection",
    "AWS::Backup::Framework",
    "AWS::Backup::RestoreTestingPlan",
    "AWS::Backup::RestoreTestingSelection",
    "AWS::SNS::TopicPolicy",
    *NO_MOTO_API_SECURITY,
)


class Resolver:
    """Resolves the intrinsics our templates use against one stack moto created."""

    def __init__(self, artifact: StackArtifact, template: dict[str, Any], *, before_stack: bool = False) -> None:
        """`before_stack`: the stack is not created yet; only pseudo parameters, exports and what the creators
        record resolve."""
        self.artifact = artifact
        self.template = template
        cloudformation = harness_client("cloudformation", region_name=artifact.region)
        self.physical = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for page in (
                []
                if before_stack
                else cloudformation.get_paginator("list_stack_resources").paginate(StackName=artifact.name)
            )
            for r in page["StackResourceSummaries"]
            if r.get("PhysicalResourceId")
        }
        self.exports = {
            e["Name"]: e["Value"]
            for page in cloudformation.get_paginator("list_exports").paginate()
            for e in page["Exports"]
        }
        self.attributes: dict[tuple[str, str], str] = {}
        self.pseudo = {
            "AWS::AccountId": artifact.account,
            "AWS::Region": artifact.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": artifact.name,
        }

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (function, argument), *_ = value.items()
            intrinsic: Callable[[Any], Any] | None = {
                "Ref": lambda name: self.pseudo.get(name) or self.physical[name],
                "Fn::GetAtt": lambda pair: self.get_att(*pair),
                "Fn::Join": lambda join: str(join[0]).join(str(self(part)) for part in join[1]),
                "Fn::ImportValue": lambda name: self.exports[self(name)],
            }.get(function)
            if intrinsic:
                return intrinsic(argument)
        return {key: self(item) for key, item in value.items()}

    def get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) in self.attributes:
            return self.attributes[(logical_id, attribute)]
        resource_type = self.template["Resources"][logical_id]["Type"]
        physical = self.physical[logical_id]
        region, account = self.artifact.region, self.artifact.account
        arns = {
            "AWS::KMS::Key": f"arn:aws:kms:{region}:{account}:key/{physical}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{physical}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{region}:{account}:log-group:{physical}:*",
            "AWS::IAM::Role": f"arn:aws:iam::{account}:role/{physical}",
        }
        if attribute == "Arn" and resource_type in arns:
            return arns[resource_type]
        if attribute == "GroupId":
            return physical
        if resource_type == "AWS::EC2::EIP" and attribute == "AllocationId":
            ec2 = harness_client("ec2", region_name=self.artifact.region)
            return str(ec2.describe_addresses(PublicIps=[physical])["Addresses"][0]["AllocationId"])
        raise KeyError(f"{logical_id}.{attribute} ({resource_type}) is not resolvable here")


def _tags(artifact: StackArtifact, properties: dict[str, Any]) -> list[dict[str, str]]:
    """Stack tags propagate to every resource; resource tags win."""
    tags = dict(artifact.tags)
    tags.update({t["Key"]: t["Value"] for t in properties.get("Tags", [])})
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _backup_vault(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    backup = harness_client("backup", region_name=resolve.artifact.region)
    tags = {**resolve.artifact.tags, **properties.get("BackupVaultTags", {})}
    name = properties["BackupVaultName"]
    created = backup.create_backup_vault(
        BackupVaultName=name, EncryptionKeyArn=resolve(properties["EncryptionKeyArn"]), BackupVaultTags=tags
    )
    if lock := properties.get("LockConfiguration"):
        backup.put_backup_vault_lock_configuration(BackupVaultName=name, **lock)
    resolve.attributes[(logical_id, "BackupVaultName")] = name
    resolve.attributes[(logical_id, "BackupVaultArn")] = created["BackupVaultArn"]
    resolve.physical[logical_id] = name


_PLAN_RULE_KEYS = {"TargetBackupVault": "TargetBackupVaultName"}


def _backup_plan(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    backup = harness_client("backup", region_name=resolve.artifact.region)
    plan = resolve(properties["BackupPlan"])
    rules = [{_PLAN_RULE_KEYS.get(k, k): v for k, v in rule.items()} for rule in plan["BackupPlanRule"]]
    created = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": plan["BackupPlanName"], "Rules": rules},
        BackupPlanTags={**resolve.artifact.tags, **properties.get("BackupPlanTags", {})},
    )
    resolve.attributes[(logical_id, "BackupPlanId")] = created["BackupPlanId"]


def _key_pair(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    ec2 = harness_client("ec2", region_name=resolve.artifact.region)
    created = ec2.import_key_pair(
        KeyName=properties["KeyName"],
        PublicKeyMaterial=properties["PublicKeyMaterial"].encode(),
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": _tags(resolve.artifact, properties)}],
    )
    resolve.physical[logical_id] = created["KeyName"]


def _network_acl(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    ec2 = harness_client("ec2", region_name=resolve.artifact.region)
    created = ec2.create_network_acl(
        VpcId=resolve(properties["VpcId"]),
        TagSpecifications=[{"ResourceType": "network-acl", "Tags": _tags(resolve.artifact, properties)}],
    )
    resolve.physical[logical_id] = created["NetworkAcl"]["NetworkAclId"]


def _network_acl_entry(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    ec2 = harness_client("ec2", region_name=resolve.artifact.region)
    arguments = {
        "NetworkAclId": resolved["NetworkAclId"],
        "RuleNumber": resolved["RuleNumber"],
        "Protocol": str(resolved["Protocol"]),
        "RuleAction": resolved["RuleAction"],
        "Egress": bool(resolved.get("Egress", False)),
        "CidrBlock": resolved["CidrBlock"],
    }
    if "PortRange" in resolved:
        arguments["PortRange"] = resolved["PortRange"]
    ec2.create_network_acl_entry(**arguments)


def _subnet_acl_association(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    ec2 = harness_client("ec2", region_name=resolve.artifact.region)
    subnet_id = resolve(properties["SubnetId"])
    (acl,) = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])[
        "NetworkAcls"
    ]
    association = next(a for a in acl["Associations"] if a["SubnetId"] == subnet_id)
    ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=resolve(properties["NetworkAclId"])
    )


def _security_group_egress(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    permission: dict[str, Any] = {"IpProtocol": resolved["IpProtocol"]}
    for key in ("FromPort", "ToPort"):
        if key in resolved:
            permission[key] = resolved[key]
    if "DestinationSecurityGroupId" in resolved:
        permission["UserIdGroupPairs"] = [{"GroupId": resolved["DestinationSecurityGroupId"]}]
    if "CidrIp" in resolved:
        permission["IpRanges"] = [{"CidrIp": resolved["CidrIp"]}]
    if "DestinationPrefixListId" in resolved:
        permission["PrefixListIds"] = [{"PrefixListId": resolved["DestinationPrefixListId"]}]
    harness_client("ec2", region_name=resolve.artifact.region).authorize_security_group_egress(
        GroupId=resolved["GroupId"], IpPermissions=[permission]
    )


def _bucket_policy(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    harness_client("s3", region_name=resolve.artifact.region).put_bucket_policy(
        Bucket=resolved["Bucket"], Policy=json.dumps(resolved["PolicyDocument"])
    )


def _subscription(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    harness_client("sns", region_name=resolve.artifact.region).subscribe(
        TopicArn=resolved["TopicArn"], Protocol=resolved["Protocol"], Endpoint=resolved["Endpoint"]
    )


def _metric_filter(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    harness_client("logs", region_name=resolve.artifact.region).put_metric_filter(
        logGroupName=resolved["LogGroupName"],
        filterName=resolved.get("FilterName", logical_id),
        filterPattern=resolved["FilterPattern"],
        metricTransformations=[
            {
                "metricName": t["MetricName"],
                "metricNamespace": t["MetricNamespace"],
                "metricValue": t["MetricValue"],
                **({"defaultValue": float(t["DefaultValue"])} if "DefaultValue" in t else {}),
            }
            for t in resolved["MetricTransformations"]
        ],
    )


def _alarm(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    keys = (
        "AlarmActions",
        "AlarmDescription",
        "ComparisonOperator",
        "EvaluationPeriods",
        "MetricName",
        "Namespace",
        "Period",
        "Statistic",
        "Threshold",
        "TreatMissingData",
        "Dimensions",
    )
    harness_client("cloudwatch", region_name=resolve.artifact.region).put_metric_alarm(
        AlarmName=resolved.get("AlarmName", f"{resolve.artifact.name}-{logical_id}"),
        **{key: resolved[key] for key in keys if key in resolved},
    )


def _eip_association(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    harness_client("ec2", region_name=resolve.artifact.region).associate_address(
        AllocationId=resolved["AllocationId"], InstanceId=resolved["InstanceId"]
    )


Creator = Callable[[str, dict[str, Any], Resolver], None]
# In creation order: a resource here may refer to one created earlier in this list.
CREATORS: dict[str, Creator] = {
    "AWS::Backup::BackupVault": _backup_vault,
    "AWS::Backup::BackupPlan": _backup_plan,
    "AWS::EC2::KeyPair": _key_pair,
    "AWS::EC2::EIPAssociation": _eip_association,
    "AWS::EC2::NetworkAcl": _network_acl,
    "AWS::EC2::NetworkAclEntry": _network_acl_entry,
    "AWS::EC2::SubnetNetworkAclAssociation": _subnet_acl_association,
    "AWS::EC2::SecurityGroupEgress": _security_group_egress,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::SNS::Subscription": _subscription,
    "AWS::Logs::MetricFilter": _metric_filter,
    "AWS::CloudWatch::Alarm": _alarm,
    **AFTER_STACK,
}
# Types created through their APIs: before the stack (BEFORE_STACK, referenced by what moto builds) or after it.
CREATED_THROUGH_API = {*BEFORE_STACK, *CREATORS}


def create_skipped_resources(resolve: Resolver, skipped: set[str], *, before_stack: bool = False) -> Counter[str]:
    """Create the stack's resources of the `skipped` types through their APIs; returns how many of each.

    Must run inside the stack's moto account (tests.moto_deploy.in_account).
    """
    template = resolve.template
    created: Counter[str] = Counter()
    for resource_type, creator in (BEFORE_STACK if before_stack else CREATORS).items():
        if resource_type not in skipped:
            continue
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == resource_type:
                creator(logical_id, resource.get("Properties", {}), resolve)
                created[resource_type] += 1
    return created
