"""Every adaptation the moto deployment makes for moto 5.2.5, in one place, each with what moto does wrong.

Nothing here changes the templates in the repository or in the cloud assembly: `for_moto` works on a copy, and
`patched_moto` patches a few moto models for the duration of the deployment fixture. Whatever a workaround
removes is listed in `SKIPPED_BY_WORKAROUND` so the deploy test can say what moto did not build.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from moto.cloudformation.models import Stack, cloudformation_backends
from moto.kms import models as kms_models
from moto.kms import utils as kms_utils
from moto.kms.models import Key
from moto.rds.models import DBParameterGroup
from moto.route53.models import route53_backends

from tests.botocore_reuse import harness_client

if TYPE_CHECKING:
    from tests.moto_skipped_types import Resolver

# Resource types moto 5.2.5's CloudFormation does not model (its model map, moto/cloudformation/parsing.py, has no
# class for them): it warns "Tried to parse <type> but it's not supported" and skips them. Exactly these are skipped
# in the example assembly; tests/moto_skipped_types.py creates the ones moto has a service API for (`NO_MOTO_API`
# names the rest) and tests/test_moto_deploy.py checks them.
MOTO_SKIPS = (
    # tenant stacks
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
    "AWS::EC2::EIPAssociation",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::Logs::MetricFilter",
    "AWS::GuardDuty::MalwareProtectionPlan",
    "AWS::RDS::EventSubscription",
    # account baselines
    "AWS::CloudTrail::Trail",
    "AWS::GuardDuty::Detector",
    "AWS::SecurityHub::Hub",
    "AWS::SecurityHub::Standard",
    "AWS::Config::ConfigurationRecorder",
    "AWS::Config::DeliveryChannel",
    "AWS::IAM::ServiceLinkedRole",
    "AWS::AccessAnalyzer::Analyzer",
    # edge
    "AWS::CertificateManager::Certificate",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
    "AWS::Cognito::UserPoolRiskConfigurationAttachment",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::WAFv2::LoggingConfiguration",
)

# What `for_moto` drops from the copy: CDK's Lambda-backed custom resources. moto runs a custom resource's Lambda
# only under Docker (absent here), so the stack would stay CREATE_IN_PROGRESS. The provider Lambda itself is kept
# (moto creates a function without Docker; its code comes from the uploaded file asset).
SKIPPED_BY_WORKAROUND = ("Custom::*", "AWS::CloudFormation::CustomResource")
EXPORT_WRITER = "Custom::CrossRegionExportWriter"
EXPORT_READER = "Custom::CrossRegionExportReader"


def _is_custom_resource(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


def for_moto(template: dict[str, Any], known: dict[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """A copy of `template` that moto 5.2.5 can create. Its defects:

    1. moto's `AWS::KMS::Key` parser reads tags as `TagKey`/`TagValue` (the KMS API's spelling) instead of
       CloudFormation's documented `Key`/`Value`, and crashes with `KeyError: 'TagKey'`: respell them.
    2. Custom resources need Docker in moto: drop them, and every `DependsOn` that names one.
    6. moto's `AWS::EC2::Instance` ignores `NetworkInterfaces` (and `SecurityGroupIds`) and launches the instance in
       the default VPC: express the primary interface's subnet and groups as the `SubnetId`/`SecurityGroups` moto
       reads (it treats `SecurityGroups` entries as group ids).
    8. moto rejects the whole template ("Fn::GetAtt references undefined resource") when a resource it builds reads
       an attribute of one it skips or of a dropped custom resource. `known` gives those values, as
       (logical id, attribute or "Ref") -> value: a `Custom::CrossRegionExportReader`'s attributes are the SSM
       parameters the writer stored (`cross_region_imports`), and the skipped types the stack's own resources read
       are created through their APIs first (tests/moto_skipped_security.py BEFORE_STACK). Any other reference to a
       dropped custom resource fails here, naming it.
    """
    adapted = copy.deepcopy(template)
    resources: dict[str, Any] = adapted["Resources"]
    custom = {logical_id for logical_id, resource in resources.items() if _is_custom_resource(resource["Type"])}
    for logical_id in custom:
        del resources[logical_id]
    adapted["Resources"] = resources = _substitute(resources, known or {})
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
    if leftover := [c for c in custom if f'"{c}"' in json.dumps(resources)]:
        raise KeyError(f"the template still refers to the dropped custom resources {leftover}")
    return adapted


def _substitute(value: Any, known: dict[tuple[str, str], str]) -> Any:
    if isinstance(value, list):
        return [_substitute(item, known) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (function, argument), *_ = value.items()
        if function == "Ref" and (argument, "Ref") in known:
            return known[(argument, "Ref")]
        if function == "Fn::GetAtt" and isinstance(argument, list) and tuple(argument) in known:
            return known[(argument[0], argument[1])]
    return {key: _substitute(item, known) for key, item in value.items()}


def cross_region_imports(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    """What each `Custom::CrossRegionExportReader` of `template` would return, as (reader, attribute) -> value: the
    SSM parameters named in its `ReaderProps.imports`, in its region. Must run inside the stack's moto account."""
    found: dict[tuple[str, str], str] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != EXPORT_READER:
            continue
        props = resource["Properties"]["ReaderProps"]
        ssm = harness_client("ssm", region_name=props["region"])
        for name in props["imports"]:
            found[(logical_id, name)] = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    return found


def record_in_stack(resolve: Resolver, logical_ids: list[str]) -> None:
    """9. moto keeps a resource it skipped as nothing, so ListStackResources shows it without type or physical id
    and a tool that finds resources through their stack (ops verify) cannot. Record each resource created through
    its API as CloudFormation would list it: logical id, type, physical id."""
    stack = cloudformation_backends[resolve.artifact.account][resolve.artifact.region].get_stack(resolve.artifact.name)
    for logical_id in logical_ids:
        stack.resource_map._parsed_resources[logical_id] = SimpleNamespace(
            logical_resource_id=logical_id,
            physical_resource_id=resolve.physical[logical_id],
            cf_resource_type=resolve.template["Resources"][logical_id]["Type"],
        )


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

    parse_as_yaml = Stack.parse_template

    def parse_json_as_json(template: str) -> dict[str, Any]:
        """6. moto reads every template body with PyYAML's pure-Python loader first, about 0.1 s for one of our
        stacks, every time a stack is created. A JSON body gives the same document through `json` (JSON is YAML whose
        strings are all quoted); anything that is not JSON still goes to moto's own parser."""
        try:
            document = json.loads(template)
        except ValueError:
            return parse_as_yaml(template)
        return document if isinstance(document, dict) else parse_as_yaml(template)

    generate_private_key = kms_utils.generate_private_key
    symmetric_keys_signing_key: list[Any] = []

    def one_signing_key_for_symmetric_keys(key_spec: str) -> Any:
        """7. moto generates a 2048-bit RSA signing key for every KMS key, a symmetric one too (about 40 ms each, and
        the assembly has 38 keys); KMS signs only with asymmetric keys, so every symmetric key shares one."""
        if key_spec != "SYMMETRIC_DEFAULT":
            return generate_private_key(key_spec)
        if not symmetric_keys_signing_key:
            symmetric_keys_signing_key.append(generate_private_key(key_spec))
        return symmetric_keys_signing_key[0]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kms_models, "generate_private_key", one_signing_key_for_symmetric_keys)
        patch.setattr(DBParameterGroup, "physical_resource_id", property(lambda group: group.name), raising=False)
        patch.setattr(Key, "create_from_cloudformation_json", classmethod(key_with_json_policy))
        patch.setattr(Stack, "parse_template", staticmethod(parse_json_as_json))
        yield


# 4. moto's `AWS::RDS::DBInstance`, `AWS::S3::Bucket` and `AWS::ElasticLoadBalancingV2::LoadBalancer` (its
# `LoadBalancerAttributes`) drop some properties when they are built from a template;
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
    s3 = harness_client("s3", region_name=resolve.artifact.region)
    if versioning := properties.get("VersioningConfiguration"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": versioning["Status"]})
    if block := properties.get("PublicAccessBlockConfiguration"):
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
    if replication := properties.get("ReplicationConfiguration"):
        resolved = resolve(replication)  # CloudFormation spells a rule's ID `Id`, the S3 API `ID`
        resolved["Rules"] = [{("ID" if k == "Id" else k): v for k, v in rule.items()} for rule in resolved["Rules"]]
        s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=resolved)


def restore_dropped_properties(resolve: Resolver) -> int:
    """Apply the properties moto's CloudFormation ignored; returns how many resources were modified."""
    modified = 0
    for logical_id, resource in resolve.template["Resources"].items():
        if resource["Type"] == "AWS::S3::Bucket":
            _restore_bucket(resolve.physical[logical_id], resource.get("Properties", {}), resolve)
            modified += 1
        if resource["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer" and (
            attributes := resource["Properties"].get("LoadBalancerAttributes")
        ):
            harness_client("elbv2", region_name=resolve.artifact.region).modify_load_balancer_attributes(
                LoadBalancerArn=resolve.physical[logical_id], Attributes=resolve(attributes)
            )
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
        harness_client("rds", region_name=resolve.artifact.region).modify_db_instance(
            DBInstanceIdentifier=resolve.physical[logical_id], ApplyImmediately=True, **arguments
        )
        modified += 1
    return modified


# 7. What the dropped custom resources would have done, done through moto's APIs after the stack is created (the
# Lambdas cannot run). `Custom::AWS` calls whose service moto lacks are listed in `CUSTOM_CALLS_MOTO_LACKS`.
CUSTOM_CALLS_MOTO_LACKS: tuple[str, ...] = ()


def _snake(action: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in action)


def _aws_call(properties: dict[str, Any], resolve: Resolver) -> str:
    """`Custom::AWS` (AwsCustomResource): make the SDK v3 call its `Create` names, as the template writes it."""
    create = json.loads(resolve(properties["Create"]))
    client = harness_client(create["service"].lower(), region_name=resolve.artifact.region)
    getattr(client, _snake(create["action"]))(**create.get("parameters", {}))
    return f"{create['service']}.{create['action']}"


def _export_writer(properties: dict[str, Any], resolve: Resolver) -> str:
    """`Custom::CrossRegionExportWriter`: store each export as the SSM parameter of its name in the reader's region
    (same account), which is what the writer's Lambda does."""
    writer = properties["WriterProps"]
    ssm = harness_client("ssm", region_name=writer["region"])
    for name, value in writer["exports"].items():
        ssm.put_parameter(Name=name, Value=str(resolve(value)), Type="String", Overwrite=True)
    return f"{len(writer['exports'])} exports to {writer['region']}"


def _restrict_default_security_group(properties: dict[str, Any], resolve: Resolver) -> str:
    """`Custom::VpcRestrictDefaultSG`: revoke every rule of the VPC's default security group, as CDK's handler does."""
    ec2 = harness_client("ec2", region_name=resolve.artifact.region)
    vpc_ids = [resolve.physical[k] for k, r in resolve.template["Resources"].items() if r["Type"] == "AWS::EC2::VPC"]
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": vpc_ids}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    for group in groups:
        if group["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
        if group["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    return f"{len(groups)} default groups closed"


CUSTOM_RESOURCES: dict[str, Any] = {
    "Custom::AWS": _aws_call,
    EXPORT_WRITER: _export_writer,
    "Custom::VpcRestrictDefaultSG": _restrict_default_security_group,
}


def run_custom_resources(resolve: Resolver) -> dict[str, str]:
    """Do what each dropped custom resource of the stack would do; returns logical id -> what was done. A custom
    resource type not emulated here (other than the reader, resolved in `for_moto`) fails the deploy, naming it."""
    done: dict[str, str] = {}
    for logical_id, resource in resolve.template["Resources"].items():
        kind = resource["Type"]
        if not _is_custom_resource(kind) or kind == EXPORT_READER:
            continue
        if kind not in CUSTOM_RESOURCES:
            raise KeyError(f"{resolve.artifact.name}/{logical_id}: no moto emulation of {kind}")
        done[logical_id] = CUSTOM_RESOURCES[kind](resource["Properties"], resolve)
    return done


def existing_hosted_zone(account: str, zone_id: str, name: str) -> None:
    """10. The edge's alias record goes into the tenant's existing public zone, named by ID in config (a precondition
    of the deploy, like `cdk bootstrap`). moto's CreateHostedZone picks its own ID, so the zone is created through the
    API and then re-keyed in moto's backend to the ID the template names."""
    route53 = harness_client("route53")
    created = route53.create_hosted_zone(Name=name, CallerReference=f"precondition-{zone_id}")["HostedZone"]
    backend = route53_backends[account]["global"]
    zone = backend.zones.pop(created["Id"].rsplit("/", 1)[-1])
    zone.resource_id = zone_id
    backend.zones[zone_id] = zone
