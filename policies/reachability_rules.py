"""`ProjectReachability`: the network paths of every environment, checked at every synth (NET-1, NET-3).

- NET1-PromisedFlows / NET3-PromisedFlows: every flow of policies/reachability.toml gets the verdict the table
  expects, in every VPC of the app (policies/reachability.py evaluates it through security groups, network ACLs and
  routes, across stacks); a finding names the flow and the layer and rule that block it or admit it.
- NET3-GroupsListTheirEgress: every AWS::EC2::SecurityGroup lists its egress rules. AWS::EC2::SecurityGroup: when the
  resource specifies none, EC2 keeps its default rule that allows all outbound traffic, and a separate
  AWS::EC2::SecurityGroupEgress only adds a rule beside it.
- NET3-GatewayEndpointAdmitsImageLayers: where a service in a VPC runs an ECR image, the VPC's S3 gateway endpoint
  policy lets it read the AWS-owned layer bucket `prod-<region>-starport-layer-bucket` (ECR User Guide, "Minimum
  Amazon S3 bucket permissions for Amazon ECR"); otherwise Fargate's image pulls fail and the deployment rolls back.

Acknowledge a finding with `ProjectReachability::<rule>`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import jsii

from policies.network_reading import Resolver, read_networks
from policies.reachability import evaluate
from policies.reachability_flows import FlowTableError, promised_flows
from policies.template_rules import Finding, TemplateRule, TemplateRulePlugin, Templates, as_list, resources_of

PLUGIN_NAME = "ProjectReachability"
ECR_IMAGE = re.compile(r"\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.")
ECR_LAYER_BUCKET = "prod-{region}-starport-layer-bucket"


def flow_findings(control: str) -> Callable[[Templates], list[Finding]]:
    """Each flow of `control` whose verdict is not what the flow table expects, at the rule that decides it."""

    def check(templates: Templates) -> list[Finding]:
        try:
            flows = [flow for flow in promised_flows() if flow.control == control]
        except FlowTableError as error:
            first = next(iter(templates), "")
            return [Finding(first, "-", str(error))] if control == "NET-1" else []
        findings = []
        for verdict in evaluate(templates, flows):
            if verdict.ok:
                continue
            where = verdict.owner or verdict.vpc
            message = f"{verdict.flow.name} (expected {verdict.flow.expect}): {verdict.summary}"
            findings.append(Finding(where[0], where[1], message))
        return findings

    return check


def groups_list_their_egress(templates: Templates) -> list[Finding]:
    return [
        Finding(path, logical_id, "no SecurityGroupEgress: EC2 keeps its default rule allowing all outbound traffic")
        for path, template in templates.items()
        for logical_id, group in resources_of(template, "AWS::EC2::SecurityGroup")
        if "SecurityGroupEgress" not in (group.get("Properties") or {})
    ]


def _text(value: Any) -> str:
    """A template string, with the literal parts of an Fn::Join kept and its tokens dropped."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(part for part in value["Fn::Join"][1] if isinstance(part, str))
    return value if isinstance(value, str) else ""


def _reads_bucket(statement: dict[str, Any], bucket: str) -> bool:
    """An unconditional Allow of s3:GetObject on the bucket's objects (aws:ResourceAccount would refuse AWS's)."""
    actions = [str(a).lower() for a in as_list(statement.get("Action", []))]
    return (
        statement.get("Effect") == "Allow"
        and not statement.get("Condition")
        and any(fnmatch.fnmatchcase("s3:getobject", action) for action in actions)
        and any(
            fnmatch.fnmatchcase(f"arn:aws:s3:::{bucket}/layer", _text(r).replace("arn::", "arn:aws:")) or r == "*"
            for r in as_list(statement.get("Resource", []))
        )
    )


def gateway_endpoints_admit_image_layers(templates: Templates) -> list[Finding]:
    resolver = Resolver(templates)
    findings = []
    for network in read_networks(templates):
        buckets = set()
        for host in (h for h in network.hosts if h.kind == "service"):
            task = resolver.resolve(host.ref[0], resolver.properties(host.ref).get("TaskDefinition"))
            for container in resolver.properties(task).get("ContainerDefinitions") or [] if task else []:
                if match := ECR_IMAGE.search(_text(container.get("Image"))):
                    buckets.add(ECR_LAYER_BUCKET.format(region=match["region"]))
        for endpoint in network.gateway_endpoints:
            properties = resolver.properties(endpoint)
            if not _text(properties.get("ServiceName")).endswith(".s3") or "PolicyDocument" not in properties:
                continue
            statements = as_list(properties["PolicyDocument"].get("Statement", []))
            for bucket in sorted(buckets):
                if not any(_reads_bucket(statement, bucket) for statement in statements):
                    message = f"PolicyDocument: a service pulls an ECR image, but s3:GetObject on {bucket} is refused"
                    findings.append(Finding(endpoint[0], endpoint[1], message))
    return findings


RULES = (
    TemplateRule(
        "NET1-PromisedFlows",
        "NET-1: a flow between tiers (policies/reachability.toml) does not get the verdict the flow table expects.",
        "Fix the security group, network ACL entry or route the finding names, or the flow table if the promise "
        "changed (docs/reachability.md).",
        flow_findings("NET-1"),
    ),
    TemplateRule(
        "NET3-PromisedFlows",
        "NET-3: a flow across the VPC's edge (policies/reachability.toml) does not get the verdict the flow table "
        "expects.",
        "Fix the security group, network ACL entry or route the finding names, or the flow table if the promise "
        "changed (docs/reachability.md).",
        flow_findings("NET-3"),
    ),
    TemplateRule(
        "NET3-GroupsListTheirEgress",
        "NET-3: a security group without inline egress rules keeps EC2's default allow-all egress.",
        "Give the group an inline egress rule (constructs/role_security_groups.py keep_egress_closed puts CDK's "
        "no-traffic rule back when every other rule is a separate resource).",
        groups_list_their_egress,
    ),
    TemplateRule(
        "NET3-GatewayEndpointAdmitsImageLayers",
        "NET-3: a service runs an ECR image, but the VPC's S3 gateway endpoint policy refuses ECR's layer bucket.",
        "Allow s3:GetObject on arn:aws:s3:::prod-<region>-starport-layer-bucket/* in the endpoint policy "
        "(constructs/private_endpoints.py AWS_OWNED_READS).",
        gateway_endpoints_admit_image_layers,
    ),
)


@jsii.implements(cdk.IPolicyValidationPlugin)
class ReachabilityRules(TemplateRulePlugin):
    """A policy-validation plugin, registered with the other gates (policies/packs.py)."""

    NAME = PLUGIN_NAME
    VERSION = "1.0.0"
    RULES = RULES
