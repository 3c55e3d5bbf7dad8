"""`verify`, access (ACC-2, ACC-3) and the account baseline (ACC-4, NET-5)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from config.limits import SG_ROLE_TAG
from ops import keys
from ops.environment import Environment, StackResource
from ops.report import Row, judged

SSH = 22


def key_pairs(environment: Environment) -> Row:
    """The summary of `keys` (its rows, its statuses): the two commands never disagree on one state."""
    check = "key pairs equal the operators in config"
    rows = keys.run(environment)
    if rows and all(row.status == "not deployed" for row in rows):
        return Row("ACC-2", check, "not deployed", "no bastion stack and no key pair", "deploy the bastion stack")
    problems = [row for row in rows if row.status != "pass"]
    configured = ", ".join(sorted(op.name for op in environment.env.operators))
    observed = (
        "; ".join(f"{r.check}: {r.observed.split(':')[0]}" for r in problems) or f"one key per operator ({configured})"
    )
    return judged(
        "ACC-2", check, not problems, observed, f"run `make keys ENV={environment.env.name}` for each key and its fix"
    )


def _sources(permission: dict[str, Any]) -> list[str]:
    return [r["CidrIp"] for r in permission.get("IpRanges", [])] + [
        r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])
    ]


def bastion_ssh(environment: Environment) -> Row:
    ec2 = environment.aws.client("ec2", environment.env.region)
    groups = ec2.describe_security_groups(
        Filters=[
            {"Name": f"tag:{SG_ROLE_TAG}", "Values": ["bastion"]},
            {"Name": f"tag:{environment.names.tag[0]}", "Values": [environment.env.name]},
        ]
    )["SecurityGroups"]
    if not groups:
        return Row(
            "ACC-3",
            "bastion SSH sources",
            "not deployed",
            "no security group tagged sg-role=bastion",
            "deploy the network stack",
        )
    admin = {ipaddress.ip_network(str(c)) for c in environment.env.admin_cidrs}
    wrong = []
    for group in groups:
        for permission in group.get("IpPermissions", []):
            ssh_only = (
                permission.get("IpProtocol") == "tcp"
                and permission.get("FromPort") == SSH
                and permission.get("ToPort") == SSH
            )
            for source in _sources(permission):
                network = ipaddress.ip_network(source, strict=False)
                if not ssh_only or not any(network.subnet_of(a) for a in admin if a.version == network.version):  # type: ignore[arg-type]
                    wrong.append(f"{source} port {permission.get('FromPort', 'all')}-{permission.get('ToPort', 'all')}")
    observed = f"also open to {', '.join(wrong)}" if wrong else f"SSH only from {', '.join(sorted(map(str, admin)))}"
    return judged(
        "ACC-3",
        "bastion SSH sources",
        not wrong,
        observed,
        f"revoke those rules from {', '.join(g['GroupId'] for g in groups)}; admin_cidrs in config is the allow-list",
    )


Probe = Callable[[Environment, StackResource], tuple[bool, str]]


def _trail(environment: Environment, r: StackResource) -> tuple[bool, str]:
    status = environment.aws.client("cloudtrail", r.region).get_trail_status(Name=r.physical_id)
    return bool(status.get("IsLogging")), f"{r.physical_id} IsLogging={status.get('IsLogging')}"


def _guardduty(environment: Environment, r: StackResource) -> tuple[bool, str]:
    detector = environment.aws.client("guardduty", r.region).get_detector(DetectorId=r.physical_id)
    return detector.get("Status") == "ENABLED", f"detector {r.physical_id} {detector.get('Status')}"


def _security_hub(environment: Environment, r: StackResource) -> tuple[bool, str]:
    hub = environment.aws.client("securityhub", r.region).describe_hub()
    return bool(hub.get("HubArn")), f"hub {hub.get('HubArn')}"


def _recorder(environment: Environment, r: StackResource) -> tuple[bool, str]:
    statuses = environment.aws.client("config", r.region).describe_configuration_recorder_status(
        ConfigurationRecorderNames=[r.physical_id]
    )
    recording = any(s.get("recording") for s in statuses.get("ConfigurationRecordersStatus", []))
    return recording, f"recorder {r.physical_id} recording={recording}"


BASELINE: tuple[tuple[str, str, str, Probe], ...] = (
    ("ACC-4", "CloudTrail logging", "AWS::CloudTrail::Trail", _trail),
    ("NET-5", "GuardDuty enabled", "AWS::GuardDuty::Detector", _guardduty),
    ("NET-5", "Security Hub enabled", "AWS::SecurityHub::Hub", _security_hub),
    ("ACC-4", "AWS Config recorder on", "AWS::Config::ConfigurationRecorder", _recorder),
)


def baseline(environment: Environment) -> list[Row]:
    """'not deployed' (not a failure) until a stack of the environment declares the service."""
    rows = []
    for control, check, resource_type, probe in BASELINE:
        found = environment.resources(resource_type)
        if not found:
            rows.append(
                Row(
                    control,
                    check,
                    "not deployed",
                    f"no {resource_type} in the environment's stacks",
                    "deploy the account baseline stack",
                    blocking=False,
                )
            )
            continue
        results = [probe(environment, r) for r in found]
        rows.append(
            judged(
                control,
                check,
                all(ok for ok, _ in results),
                "; ".join(o for _, o in results),
                f"turn it back on; redeploy the stack that owns {resource_type}",
            )
        )
    return rows


def run(environment: Environment) -> list[Row]:
    return [key_pairs(environment), bastion_ssh(environment), *baseline(environment)]
