"""Small readers of template values that several evidence rules share (open CIDRs, custom resources, buckets)."""

from __future__ import annotations

import json
from typing import Any

from evidence_report.assembly import Resource
from evidence_report.evidence import EnvironmentView

OPEN_NETWORKS = ("0.0.0.0/0", "::/0")
CUSTOM_RESOURCE_TYPES = ("AWS::CloudFormation::CustomResource",)


def is_open(cidr: Any) -> bool:
    return isinstance(cidr, str) and cidr in OPEN_NETWORKS


def pattern_text(rule: Resource) -> str:
    return json.dumps(rule.get("EventPattern", {}), sort_keys=True)


def is_custom_resource(resource: Resource) -> bool:
    return resource.type.startswith("Custom::") or resource.type in CUSTOM_RESOURCE_TYPES


def custom_resource_mentions(resource: Resource, word: str) -> bool:
    """Whether a custom resource's properties (including JSON-encoded SDK calls) mention `word`."""
    return is_custom_resource(resource) and word.lower() in json.dumps(resource.properties).lower()


def deep_find(value: Any, key: str) -> Any:
    """The first value under `key` anywhere in `value`, looking inside JSON-encoded strings too."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return deep_find(json.loads(value), key)
        except json.JSONDecodeError:
            return None
    if isinstance(value, dict):
        if key in value:
            return value[key]
        for item in value.values():
            found = deep_find(item, key)
            if found is not None:
                return found
    if isinstance(value, list):
        for item in value:
            found = deep_find(item, key)
            if found is not None:
                return found
    return None


def _load_balancer_log_bucket(balancer: Resource) -> Any:
    for attribute in balancer.get("LoadBalancerAttributes", []):
        if isinstance(attribute, dict) and attribute.get("Key") == "access_logs.s3.bucket":
            return attribute.get("Value")
    return None


def log_delivery_targets(env: EnvironmentView) -> dict[tuple[str, str], str]:
    """(stack, logical ID) -> what it receives, for the buckets AWS delivers logs into: S3 server access logs and
    load balancer access logs. Both services deliver only to SSE-S3 buckets (S3 User Guide, "Enabling server access
    logging"; ELB User Guide, "Access logs for your Application Load Balancer": S3-managed keys only)."""
    targets = {}
    for bucket in env.resources("AWS::S3::Bucket"):
        target = env.target(bucket, bucket.get("LoggingConfiguration.DestinationBucketName"))
        if target is not None:
            targets[(target.stack.name, target.logical_id)] = "S3 server access logs"
    for balancer in env.resources("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        target = env.target(balancer, _load_balancer_log_bucket(balancer))
        if target is not None and target.type == "AWS::S3::Bucket":
            targets[(target.stack.name, target.logical_id)] = f"load balancer access logs of {balancer.logical_id}"
    return targets


def access_log_targets(env: EnvironmentView) -> set[tuple[str, str]]:
    """(stack, logical ID) of the log-delivery buckets (see log_delivery_targets)."""
    return set(log_delivery_targets(env))


def audit_log_buckets(env: EnvironmentView) -> dict[tuple[str, str], str]:
    """(stack, logical ID) -> what it receives, for the buckets a CloudTrail trail or an AWS Config delivery channel
    writes to: AWS service deliveries, no uploaded content (NET-6)."""
    named: dict[str, str] = {}
    for trail in env.resources("AWS::CloudTrail::Trail"):
        target = env.target(trail, trail.get("S3BucketName"))
        if target is not None:
            named.setdefault(f"{target.stack.name}/{target.logical_id}", "CloudTrail log files")
        named.setdefault(text_of(trail.get("S3BucketName")), "CloudTrail log files")
    for channel in env.resources("AWS::Config::DeliveryChannel"):
        named.setdefault(text_of(channel.get("S3BucketName")), "AWS Config history")
    found = {}
    for bucket in env.resources("AWS::S3::Bucket"):
        what = named.get(f"{bucket.stack.name}/{bucket.logical_id}") or named.get(text_of(bucket.get("BucketName")))
        if what is not None:
            found[(bucket.stack.name, bucket.logical_id)] = f"audit-log bucket: {what} only, delivered by AWS"
    return found


def data_buckets(env: EnvironmentView) -> list[Resource]:
    """Buckets that hold data: every bucket that is not a log-delivery target."""
    targets = access_log_targets(env)
    return [b for b in env.resources("AWS::S3::Bucket") if (b.stack.name, b.logical_id) not in targets]


def text_of(value: Any) -> str:
    """A possibly joined template string as text, references as `${Name}`: comparable across stacks."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(text_of(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"${{{value['Ref']}}}"
    return json.dumps(value, sort_keys=True)
