"""A small probe app for the diff verdict's tests (issue 13): one knob per change the verdict must judge, synthesized
with the real CDK (no gates: fast) into a cloud assembly, and helpers to edit a synthesized template as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3

from tests.probes import tiny_stack

STACK, SECOND_STACK = "Probe", "ProbeLogs"
ACCOUNT = "111122223333"


@dataclass(frozen=True)
class ProbeKnobs:
    db_identifier: str = "probe-db"
    db_port: int = 5433
    bucket_name: str = f"probe-data-{ACCOUNT}"
    bucket_logical_id: str | None = None  # override the bucket's logical ID: a rename
    ssh_cidrs: tuple[str, ...] = ("203.0.113.0/28",)
    ssh_ports: tuple[int, int] = (22, 22)
    allow_all_outbound: bool = False
    role_actions: tuple[str, ...] = ("s3:GetObject",)
    trust_requires_mfa: bool = True
    enforce_ssl: bool = True
    block_public_access: bool = True
    bucket_kms: bool = True
    access_logs: bool = True
    flow_log: bool = True
    nacl_allow_cidr: str = "10.0.0.0/16"
    nacl_deny_ssh: bool = True
    tag: str = "a"
    description: str = "probe app for the diff verdict"
    second_stack: str | None = SECOND_STACK
    stack_name: str = STACK  # another name: the stack is renamed (a renamed tenant)


def synth_probe(outdir: Path, knobs: ProbeKnobs | None = None) -> Path:
    """Synthesize the probe app into `outdir` and return it (a cloud assembly)."""
    knobs = knobs or ProbeKnobs()
    stack = tiny_stack(knobs.stack_name, outdir)
    stack.template_options.description = knobs.description
    _probe_resources(stack, knobs)
    app = stack.node.root
    assert isinstance(app, cdk.App)
    if knobs.second_stack:
        logs_stack = cdk.Stack(app, knobs.second_stack, env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
        logs.LogGroup(logs_stack, "AuditLog", log_group_name="/probe/audit", removal_policy=cdk.RemovalPolicy.RETAIN)
    cdk.Tags.of(app).add("probe-tag", knobs.tag)
    app.synth()
    return outdir


def _probe_resources(stack: cdk.Stack, knobs: ProbeKnobs) -> None:
    key = kms.Key(stack, "DataKey", enable_key_rotation=True, removal_policy=cdk.RemovalPolicy.RETAIN)
    access_logs = s3.Bucket(stack, "AccessLogs", enforce_ssl=True, removal_policy=cdk.RemovalPolicy.RETAIN)
    bucket = s3.Bucket(
        stack,
        "Data",
        bucket_name=knobs.bucket_name,
        encryption=s3.BucketEncryption.KMS if knobs.bucket_kms else s3.BucketEncryption.S3_MANAGED,
        encryption_key=key if knobs.bucket_kms else None,
        enforce_ssl=knobs.enforce_ssl,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL if knobs.block_public_access else None,
        server_access_logs_bucket=access_logs if knobs.access_logs else None,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    if knobs.bucket_logical_id:
        child = bucket.node.default_child
        assert isinstance(child, cdk.CfnResource)
        child.override_logical_id(knobs.bucket_logical_id)
    # A log group named after the bucket: a create-only property that takes a replaced resource's name.
    logs.LogGroup(
        stack, "BucketEvents", log_group_name=f"/probe/{bucket.bucket_name}", removal_policy=cdk.RemovalPolicy.RETAIN
    )
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["us-east-1a"])
    bastion = ec2.SecurityGroup(
        stack, "Bastion", vpc=vpc, description="probe bastion", allow_all_outbound=knobs.allow_all_outbound
    )
    low, high = knobs.ssh_ports
    for cidr in knobs.ssh_cidrs:
        bastion.add_ingress_rule(
            ec2.Peer.ipv4(cidr), ec2.Port.tcp_range(low, high) if low != high else ec2.Port.tcp(low)
        )
    database_sg = ec2.SecurityGroup(stack, "DatabaseFirewall", vpc=vpc, description="probe database")
    database_sg.add_ingress_rule(bastion, ec2.Port.tcp(knobs.db_port), "from the bastion only")
    database = rds.CfnDBInstance(
        stack,
        "Database",
        db_instance_identifier=knobs.db_identifier,
        port=str(knobs.db_port),
        engine="postgres",
        db_instance_class="db.t4g.micro",
        allocated_storage="20",
        master_username="db_owner",
        manage_master_user_password=True,
        storage_encrypted=True,
        kms_key_id=key.key_arn,
        vpc_security_groups=[database_sg.security_group_id],
    )
    database.cfn_options.deletion_policy = cdk.CfnDeletionPolicy.SNAPSHOT
    database.cfn_options.update_replace_policy = cdk.CfnDeletionPolicy.SNAPSHOT
    conditions = {"Bool": {"aws:MultiFactorAuthPresent": "true"}} if knobs.trust_requires_mfa else None
    role = iam.Role(
        stack, "Operator", assumed_by=iam.PrincipalWithConditions(iam.AccountPrincipal(ACCOUNT), conditions or {})
    )
    role.add_to_policy(iam.PolicyStatement(actions=list(knobs.role_actions), resources=[bucket.arn_for_objects("*")]))
    if knobs.flow_log:
        ec2.CfnFlowLog(
            stack,
            "FlowLog",
            resource_id=vpc.vpc_id,
            resource_type="VPC",
            traffic_type="ALL",
            log_destination_type="s3",
            log_destination=access_logs.bucket_arn,
        )
    acl = ec2.CfnNetworkAcl(stack, "DataAcl", vpc_id=vpc.vpc_id)
    ec2.CfnNetworkAclEntry(
        stack,
        "DataAclAllowHttps",
        network_acl_id=acl.ref,
        rule_number=200,
        protocol=6,
        rule_action="allow",
        cidr_block=knobs.nacl_allow_cidr,
        port_range=ec2.CfnNetworkAclEntry.PortRangeProperty(from_=443, to=443),
    )
    if knobs.nacl_deny_ssh:
        ec2.CfnNetworkAclEntry(
            stack,
            "DataAclDenySsh",
            network_acl_id=acl.ref,
            rule_number=100,
            protocol=6,
            rule_action="deny",
            cidr_block="0.0.0.0/0",
            port_range=ec2.CfnNetworkAclEntry.PortRangeProperty(from_=22, to=22),
        )


def template_path(assembly: Path, stack: str = STACK) -> Path:
    return assembly / f"{stack}.template.json"


def edit_template(assembly: Path, change: Callable[[dict[str, Any]], None], stack: str = STACK) -> Path:
    """Apply `change` to one synthesized template in place (for what the probe app has no knob for)."""
    path = template_path(assembly, stack)
    template = json.loads(path.read_text(encoding="utf-8"))
    change(template)
    path.write_text(json.dumps(template, indent=1), encoding="utf-8")
    return assembly


def resource_of_type(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    """The single resource of that type (by construct path order), as (logical ID, resource)."""
    found = [(k, v) for k, v in template["Resources"].items() if v["Type"] == resource_type]
    assert found, f"no {resource_type} in the probe template"
    return found[0]
