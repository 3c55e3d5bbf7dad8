"""`preflight`: will a first deploy of this environment succeed in this account? Read-only; one row per check.

Causes of a failed first deploy that live in the account, not in the templates: no or an old CDK bootstrap in
the home or DR region (`cdk deploy` refuses), too few Elastic IPs for a NAT gateway per AZ and the bastion (HA-1),
more NACL entries than the per-ACL quota (NET-1), an AZ that lacks an interface endpoint service or the database
instance class (LOC-1), AWS Config not recording what the Backup audit framework evaluates or AWS Backup not opted
in for a selected resource type (BAK-1..6), and a name the stacks create that is already taken. After a deploy it
also reports alert e-mail subscriptions still pending confirmation (every alert is dropped until then).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from ops import preflight_names
from ops.assembly import EnvironmentAssembly
from ops.aws import error_code
from ops.environment import Environment
from ops.names import BOOTSTRAP_PARAMETER, BOOTSTRAP_STACK
from ops.report import Row, judged, passed

# Service Quotas codes (Service Quotas console): EC2-VPC Elastic IPs; VPC "Rules per network ACL" (one direction).
EIP_QUOTA = ("ec2", "L-0263D0A3", 5)
NACL_RULES_QUOTA = ("vpc", "L-2AEEBF1A", 20)
# Backup Audit Manager evaluates these through AWS Config (AWS Backup Developer Guide, "Backup Audit Manager").
BACKUP_AUDIT_CONFIG_TYPES = (
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection",
    "AWS::Backup::BackupVault",
    "AWS::Backup::RecoveryPoint",
    "AWS::Config::ResourceCompliance",
)
# What the backup plans select: the database and bucket by ARN, the bastion (EC2) by tag.
BACKUP_SELECTED_TYPES = ("RDS", "S3", "EC2")
# Interface endpoints the network stack creates when no assembly says otherwise (constructs/private_endpoints.py).
DEFAULT_INTERFACE_SERVICES = ("ssm", "ssmmessages", "ec2messages", "kms", "secretsmanager", "logs", "monitoring")


def bootstrap(environment: Environment, required: int) -> list[Row]:
    rows = []
    for region in environment.regions:
        target = f"aws://{environment.account}/{region}"
        fix = f"npx cdk bootstrap {target}"
        cloudformation = environment.aws.client("cloudformation", region)
        try:
            status = cloudformation.describe_stacks(StackName=BOOTSTRAP_STACK)["Stacks"][0]["StackStatus"]
        except ClientError as error:
            if error_code(error) != "ValidationError":
                raise
            rows.append(Row("CMP-1", f"CDK bootstrap in {region}", "fail", f"no {BOOTSTRAP_STACK} stack", fix))
            continue
        try:
            parameter = environment.aws.client("ssm", region).get_parameter(Name=BOOTSTRAP_PARAMETER)
            version = int(parameter["Parameter"]["Value"])
        except ClientError as error:
            if error_code(error) != "ParameterNotFound":
                raise
            version = 0
        observed = f"{BOOTSTRAP_STACK} {status}, version {version} (needs {required})"
        ok = status.endswith("_COMPLETE") and "ROLLBACK" not in status and version >= required
        rows.append(judged("CMP-1", f"CDK bootstrap in {region}", ok, observed, f"{fix} (re-run to upgrade)"))
    return rows


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


def zones(environment: Environment) -> tuple[Row, list[str]]:
    region, wanted = environment.env.region, list(environment.env.availability_zones)
    found = environment.aws.client("ec2", region).describe_availability_zones(
        Filters=[{"Name": "zone-name", "Values": wanted}]
    )["AvailabilityZones"]
    ids = {z["ZoneName"]: z["ZoneId"] for z in found if z.get("State") == "available"}
    missing = [z for z in wanted if z not in ids]
    observed = ", ".join(f"{z}={ids.get(z, 'not available')}" for z in wanted)
    fix = f"choose available zones of {region} in availability_zones"
    return judged("LOC-1", "availability zones", not missing, observed, fix), [z for z in wanted if z in ids]


def _offered_zones(environment: Environment, region: str, services: list[str]) -> dict[str, set[str]]:
    """Service name -> zones it is offered in; a name the region does not know is offered nowhere."""
    ec2 = environment.aws.client("ec2", region)
    try:
        found = ec2.describe_vpc_endpoint_services(ServiceNames=services)["ServiceDetails"]
    except ClientError as error:
        if error_code(error) != "InvalidServiceName" or len(services) == 1:
            if error_code(error) == "InvalidServiceName":
                return {}
            raise
        return {k: v for service in services for k, v in _offered_zones(environment, region, [service]).items()}
    return {s["ServiceName"]: set(s.get("AvailabilityZones", [])) for s in found}


def endpoint_services(environment: Environment, assembly: EnvironmentAssembly | None, wanted: list[str]) -> list[Row]:
    region = environment.env.region
    services = (
        sorted(assembly.interface_services)
        if assembly and assembly.interface_services
        else [f"com.amazonaws.{region}.{name}" for name in DEFAULT_INTERFACE_SERVICES]
    )
    details = _offered_zones(environment, region, services)
    rows = []
    for service in services:
        missing = [z for z in wanted if z not in details.get(service, set())]
        observed = f"offered in all {len(wanted)} zones" if not missing else f"not offered in {', '.join(missing)}"
        rows.append(
            judged(
                "LOC-1",
                f"endpoint service {service.rsplit('.', 1)[-1]}",
                not missing,
                observed,
                "pick availability_zones where the service is offered",
            )
        )
    return rows


def instance_class(environment: Environment, wanted: list[str]) -> Row:
    settings, region = environment.env.database, environment.env.region
    options = environment.aws.pages(
        "rds",
        region,
        "describe_orderable_db_instance_options",
        "OrderableDBInstanceOptions",
        Engine="postgres",
        DBInstanceClass=settings.instance_class,
    )
    zones_offered: set[str] = set()
    multi_az = False
    for option in options:
        if str(option.get("EngineVersion", "")).split(".")[0] != settings.engine_version:
            continue
        zones_offered |= {z["Name"] for z in option.get("AvailabilityZones", [])}
        multi_az = multi_az or bool(option.get("MultiAZCapable"))
    missing = [z for z in wanted if z not in zones_offered]
    observed = f"{settings.instance_class} postgres {settings.engine_version}: " + (
        f"not offered in {', '.join(missing)}"
        if missing
        else f"offered in all zones, Multi-AZ {'yes' if multi_az else 'no'}"
    )
    return judged(
        "HA-1",
        "DB instance class",
        not missing and multi_az,
        observed,
        "choose a database.instance_class offered Multi-AZ in every zone",
    )


def config_recording(environment: Environment, assembly: EnvironmentAssembly | None) -> Row:
    if assembly and "AWS::Config::ConfigurationRecorder" in assembly.resource_types:
        return passed("BAK-3", "AWS Config recording", "provided by the account baseline stack")
    region = environment.env.region
    client = environment.aws.client("config", region)
    recorders = client.describe_configuration_recorders().get("ConfigurationRecorders", [])
    statuses = {
        s["name"]: s.get("recording", False)
        for s in client.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
    }
    fix = "turn on AWS Config recording (all resource types, or at least " + ", ".join(BACKUP_AUDIT_CONFIG_TYPES) + ")"
    for recorder in recorders:
        group = recorder.get("recordingGroup", {})
        recorded = set(group.get("resourceTypes", []))
        covers = group.get("allSupported", False) or recorded >= set(BACKUP_AUDIT_CONFIG_TYPES)
        if statuses.get(recorder["name"]) and covers:
            return passed(
                "BAK-3", "AWS Config recording", f"recorder {recorder['name']} on, covers the Backup audit types"
            )
    observed = "no recorder" if not recorders else f"recorders {', '.join(r['name'] for r in recorders)} off or partial"
    return Row("BAK-3", "AWS Config recording", "fail", observed, fix)


def backup_opt_in(environment: Environment) -> list[Row]:
    rows = []
    for region in environment.regions:
        settings = environment.aws.client("backup", region).describe_region_settings()
        opted = settings.get("ResourceTypeOptInPreference", {})
        missing = [t for t in BACKUP_SELECTED_TYPES if not opted.get(t)]
        observed = (
            "opted in: " + ", ".join(t for t in BACKUP_SELECTED_TYPES if opted.get(t))
            if not missing
            else f"not opted in: {', '.join(missing)}"
        )
        rows.append(
            judged(
                "BAK-1",
                f"AWS Backup opt-in in {region}",
                not missing,
                observed,
                f"AWS Backup console > Settings > Service opt-in in {region}: turn on {', '.join(missing)}",
            )
        )
    return rows


def pending_subscriptions(environment: Environment) -> Row:
    topics = environment.resources("AWS::SNS::Topic")
    if not topics:
        return Row(
            "NET-4",
            "alert e-mail subscriptions",
            "not deployed",
            "no alert topic yet",
            "check again after the first deploy",
            blocking=False,
        )
    pending, confirmed = [], 0
    for topic in topics:
        for subscription in environment.aws.pages(
            "sns", topic.region, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic.physical_id
        ):
            if subscription["SubscriptionArn"] == "PendingConfirmation":
                pending.append(f"{subscription['Endpoint']} on {topic.physical_id.rsplit(':', 1)[-1]}")
            else:
                confirmed += 1
    if pending:
        return Row(
            "NET-4",
            "alert e-mail subscriptions",
            "warn",
            f"pending confirmation: {'; '.join(pending)}",
            f"confirm the AWS Notification e-mail sent to {environment.env.alert_email}; alerts are dropped until then",
            blocking=False,
        )
    return passed("NET-4", "alert e-mail subscriptions", f"{confirmed} confirmed on {len(topics)} topics")


def run(environment: Environment, assembly: EnvironmentAssembly | None) -> list[Row]:
    required = assembly.required_bootstrap if assembly else 6
    rows = bootstrap(environment, required)
    zone_row, available = zones(environment)
    rows += [elastic_ips(environment), network_acls(environment, assembly), zone_row]
    rows += endpoint_services(environment, assembly, available)
    rows += [instance_class(environment, available), config_recording(environment, assembly)]
    rows += backup_opt_in(environment)
    rows += preflight_names.free_names(environment, assembly)
    rows.append(pending_subscriptions(environment))
    return rows
