"""`preflight`, quotas: enough Elastic IPs for the NAT gateways and the bastion (HA-1), and no network ACL with more
entries than the per-ACL quota (NET-1). The applied quota comes from Service Quotas, else AWS's default for the
account, else the documented default.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from ops.assembly import EnvironmentAssembly
from ops.aws import error_code
from ops.environment import Environment
from ops.report import Row, judged, passed

# Service Quotas codes (Service Quotas console): EC2-VPC Elastic IPs; VPC "Rules per network ACL" (one direction).
EIP_QUOTA = ("ec2", "L-0263D0A3", 5)
NACL_RULES_QUOTA = ("vpc", "L-2AEEBF1A", 20)


def quota(environment: Environment, region: str, service: str, code: str, default: float) -> tuple[float, str]:
    """The applied quota value (Service Quotas), else AWS's default; and where the number came from."""
    client = environment.aws.client("service-quotas", region)
    try:
        return float(client.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"]), "applied"
    except ClientError as error:
        if error_code(error) != "NoSuchResourceException":
            raise
    try:
        return float(
            client.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"]
        ), "default"
    except ClientError as error:
        if error_code(error) != "NoSuchResourceException":
            raise
    return default, "documented default"


def elastic_ips(environment: Environment) -> Row:
    region = environment.env.region
    limit, source = quota(environment, region, *EIP_QUOTA)
    addresses = environment.aws.client("ec2", region).describe_addresses()["Addresses"]
    stack_ips = {r.physical_id for r in environment.resources("AWS::EC2::EIP")}
    tag = {"Key": environment.names.tag[0], "Value": environment.env.name}
    ours = [a for a in addresses if tag in a.get("Tags", []) or a.get("PublicIp") in stack_ips]
    needed = environment.env.nat_gateway_count + 1  # a NAT gateway per AZ (HA-1) and the bastion
    new = max(0, needed - len(ours))
    observed = f"{len(addresses)} in use of {limit:g} ({source}); this environment needs {needed}, {new} new"
    fix = (
        f"request an EC2-VPC Elastic IP quota ({EIP_QUOTA[1]}) of at least {len(addresses) + new} in {region}, "
        "or release unused addresses"
    )
    return judged("HA-1", "Elastic IP quota", len(addresses) + new <= limit, observed, fix)


def network_acls(environment: Environment, assembly: EnvironmentAssembly | None) -> Row:
    admin = len(environment.env.admin_cidrs)
    if assembly is None:
        return Row(
            "NET-1",
            "NACL entries per ACL",
            "warn",
            f"{admin} admin networks; no assembly to count entries",
            "run `make synth` and pass --assembly cdk.out",
            blocking=False,
        )
    limit, source = quota(environment, environment.env.region, *NACL_RULES_QUOTA)
    if not assembly.acl_entries:
        return passed("NET-1", "NACL entries per ACL", "the assembly declares no network ACL entries")
    (acl, direction), most = assembly.acl_entries.most_common(1)[0]
    observed = (
        f"largest: {most} {direction} entries ({acl.rsplit('/', 1)[-1]}) for {admin} admin networks; "
        f"quota {limit:g} ({source})"
    )
    fix = (
        f"fewer admin_cidrs (each adds an SSH entry) or a higher 'Rules per network ACL' quota ({NACL_RULES_QUOTA[1]})"
    )
    return judged("NET-1", "NACL entries per ACL", most <= limit, observed, fix)
