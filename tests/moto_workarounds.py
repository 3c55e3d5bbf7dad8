"""Every adaptation the moto deployment makes for moto 5.2.5, in one place, each with what moto does wrong.

Nothing here changes the templates in the repository or in the cloud assembly: `for_moto` works on a copy, and
`patched_moto` fixes one moto model attribute for the duration of the deployment fixture. Whatever a workaround
removes is listed in `SKIPPED_BY_WORKAROUND` so the deploy test can say what moto did not build.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto.kms.models import Key
from moto.rds.models import DBParameterGroup

if TYPE_CHECKING:
    from tests.moto_skipped_types import Resolver

# Resource types moto 5.2.5's CloudFormation does not model: it warns "Tried to parse <type> but it's not supported"
# and skips them. tests/test_moto_deploy.py creates and checks the ones moto has a service API for.
MOTO_SKIPS = (
    "AWS::Backup::BackupVault",
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection",
    "AWS::Backup::Framework",
    "AWS::Backup::RestoreTestingPlan",
    "AWS::Backup::RestoreTestingSelection",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::NetworkAclEntry",
    "AWS::EC2::SubnetNetworkAclAssociation",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::KeyPair",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::Logs::MetricFilter",
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment",
)

# What `for_moto` drops from the copy: CDK's Lambda-backed custom resources. moto runs a custom resource's Lambda
# only under Docker (absent here), so the stack would stay CREATE_IN_PROGRESS. The provider Lambda itself is kept
# (moto creates a function without Docker; its code comes from the uploaded file asset).
SKIPPED_BY_WORKAROUND = ("Custom::*", "AWS::CloudFormation::CustomResource")


def _is_custom_resource(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


def for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of `template` that moto 5.2.5 can create. Two defects:

    1. moto's `AWS::KMS::Key` parser reads tags as `TagKey`/`TagValue` (the KMS API's spelling) instead of
       CloudFormation's documented `Key`/`Value`, and crashes with `KeyError: 'TagKey'`: respell them.
    2. Custom resources need Docker in moto: drop them, and every `DependsOn` that names one.
    6. moto's `AWS::EC2::Instance` ignores `NetworkInterfaces` (and `SecurityGroupIds`) and launches the instance in
       the default VPC: express the primary interface's subnet and groups as the `SubnetId`/`SecurityGroups` moto
       reads (it treats `SecurityGroups` entries as group ids).
    """
    adapted = copy.deepcopy(template)
    resources: dict[str, Any] = adapted["Resources"]
    custom = {logical_id for logical_id, resource in resources.items() if _is_custom_resource(resource["Type"])}
    for logical_id in custom:
        del resources[logical_id]
    for resource in resources.values():
        depends_on = resource.get("DependsOn")
        if isinstance(depends_on, str) and depends_on in custom:
            del resource["DependsOn"]
        elif isinstance(depends_on, list):
            resource["DependsOn"] = [name for name in depends_on if name not in custom]
        if resource["Type"] == "AWS::EC2::Instance" and "NetworkInterfaces" in resource.get("Properties", {}):
            _place_instance_by_its_primary_interface(resource["Properties"])
        if resource["Type"] == "AWS::KMS::Key" and "Tags" in resource.get("Properties", {}):
            resource["Properties"]["Tags"] = [
                {"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in resource["Properties"]["Tags"]
            ]
    return adapted


def _place_instance_by_its_primary_interface(properties: dict[str, Any]) -> None:
    (primary,) = [i for i in properties.pop("NetworkInterfaces") if str(i.get("DeviceIndex")) == "0"]
    properties["SubnetId"] = primary["SubnetId"]
    properties["SecurityGroups"] = primary.get("GroupSet", [])


@contextlib.contextmanager
def patched_moto() -> Iterator[None]:
    """3. moto's `DBParameterGroup` model has no `physical_resource_id`, so a `Ref` to a template parameter group
    resolves to the Python object and `AWS::RDS::DBInstance` fails with "'DBParameterGroup' object has no attribute
    'startswith'". Give the model the attribute CloudFormation documents for Ref: the group's name.
    """
    original = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def key_with_json_policy(cls: type[Key], *args: Any, **kwargs: Any) -> Key:
        """5. moto's `AWS::KMS::Key` keeps `KeyPolicy` as the template's dict where its KMS API expects the JSON
        text, so every later DescribeKey (which evaluates the policy) fails with "the JSON object must be str".
        """
        key = original(cls, *args, **kwargs)
        if isinstance(key.policy, dict):
            key.policy = json.dumps(key.policy)
        return key

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DBParameterGroup, "physical_resource_id", property(lambda group: group.name), raising=False)
        patch.setattr(Key, "create_from_cloudformation_json", classmethod(key_with_json_policy))
        yield


# 4. moto's `AWS::RDS::DBInstance` and `AWS::S3::Bucket` drop some properties when they are built from a template;
# the service APIs accept them, so they are applied after the stack is created (`restore_dropped_properties`).
# DB instance template property -> modify_db_instance argument.
RDS_PROPERTIES_MOTO_DROPS = {
    "EnableIAMDatabaseAuthentication": "EnableIAMDatabaseAuthentication",
    "DeletionProtection": "DeletionProtection",
    "MonitoringInterval": "MonitoringInterval",
    "MonitoringRoleArn": "MonitoringRoleArn",
}


def _restore_bucket(bucket: str, properties: dict[str, Any], resolve: Resolver) -> None:
    """moto's bucket keeps only `BucketEncryption` from a template; versioning, public access block and replication
    go through the S3 API."""
    s3 = boto3.client("s3", region_name=resolve.artifact.region)
    if versioning := properties.get("VersioningConfiguration"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": versioning["Status"]})
    if block := properties.get("PublicAccessBlockConfiguration"):
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
    if replication := properties.get("ReplicationConfiguration"):
        s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=resolve(replication))


def restore_dropped_properties(resolve: Resolver) -> int:
    """Apply the properties moto's CloudFormation ignored; returns how many resources were modified."""
    modified = 0
    for logical_id, resource in resolve.template["Resources"].items():
        if resource["Type"] == "AWS::S3::Bucket":
            _restore_bucket(resolve.physical[logical_id], resource.get("Properties", {}), resolve)
            modified += 1
        if resource["Type"] != "AWS::RDS::DBInstance":
            continue
        properties = resource["Properties"]
        arguments: dict[str, Any] = {
            argument: resolve(properties[name])
            for name, argument in RDS_PROPERTIES_MOTO_DROPS.items()
            if name in properties
        }
        if exports := properties.get("EnableCloudwatchLogsExports"):
            arguments["CloudwatchLogsExportConfiguration"] = {"EnableLogTypes": exports}
        boto3.client("rds", region_name=resolve.artifact.region).modify_db_instance(
            DBInstanceIdentifier=resolve.physical[logical_id], ApplyImmediately=True, **arguments
        )
        modified += 1
    return modified
