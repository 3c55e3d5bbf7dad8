"""`preflight`: will a first deploy of this environment succeed in this account? Read-only; one row per check.

Causes of a failed first deploy that live in the account, not in the templates: no or an old CDK bootstrap in
the home or DR region (`cdk deploy` refuses), too few Elastic IPs for a NAT gateway per AZ and the bastion (HA-1),
more NACL entries than the per-ACL quota (NET-1), an AZ that lacks an interface endpoint service or the database
instance class (LOC-1), AWS Config not recording what the Backup audit framework evaluates or AWS Backup not opted
in for a selected resource type (BAK-1..6), and a name the stacks create that is already taken. After a deploy it
also reports alert e-mail subscriptions still pending confirmation (every alert is dropped until then).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from botocore.exceptions import ClientError

from ops import preflight_names, preflight_quotas
from ops.assembly import EnvironmentAssembly
from ops.aws import error_code
from ops.environment import Environment
from ops.errors import guarded
from ops.names import BOOTSTRAP_PARAMETER, BOOTSTRAP_STACK
from ops.report import Row, judged, passed

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


def bootstrap(environment: Environment, region: str, required: int) -> Row:
    target = f"aws://{environment.account}/{region}"
    fix = f"npx cdk bootstrap {target}"
    cloudformation = environment.aws.client("cloudformation", region)
    try:
        status = cloudformation.describe_stacks(StackName=BOOTSTRAP_STACK)["Stacks"][0]["StackStatus"]
    except ClientError as error:
        if error_code(error) != "ValidationError":
            raise
        return Row("CMP-1", f"CDK bootstrap in {region}", "fail", f"no {BOOTSTRAP_STACK} stack", fix)
    try:
        parameter = environment.aws.client("ssm", region).get_parameter(Name=BOOTSTRAP_PARAMETER)
        version = int(parameter["Parameter"]["Value"])
    except ClientError as error:
        if error_code(error) != "ParameterNotFound":
            raise
        version = 0
    observed = f"{BOOTSTRAP_STACK} {status}, version {version} (needs {required})"
    ok = status.endswith("_COMPLETE") and "ROLLBACK" not in status and version >= required
    return judged("CMP-1", f"CDK bootstrap in {region}", ok, observed, f"{fix} (re-run to upgrade)")


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


def backup_opt_in(environment: Environment, region: str) -> Row:
    settings = environment.aws.client("backup", region).describe_region_settings()
    opted = settings.get("ResourceTypeOptInPreference", {})
    missing = [t for t in BACKUP_SELECTED_TYPES if not opted.get(t)]
    observed = (
        "opted in: " + ", ".join(t for t in BACKUP_SELECTED_TYPES if opted.get(t))
        if not missing
        else f"not opted in: {', '.join(missing)}"
    )
    return judged(
        "BAK-1",
        f"AWS Backup opt-in in {region}",
        not missing,
        observed,
        f"AWS Backup console > Settings > Service opt-in in {region}: turn on {', '.join(missing)}",
    )


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
    """Every check, each on its own: one that cannot run (access denied, an API the endpoint lacks) is an `error`
    row with its one-line reason, and the others still run."""
    required = assembly.required_bootstrap if assembly else 6

    def check(control: str, name: str, produce: Callable[[], Row | list[Row]]) -> list[Row]:
        return guarded(control, name, "preflight", produce)

    rows: list[Row] = []
    for region in environment.regions:
        rows += check("CMP-1", f"CDK bootstrap in {region}", partial(bootstrap, environment, region, required))
    available = list(environment.env.availability_zones)  # what the zone check cannot confirm is still asked for

    def zone_row() -> Row:
        nonlocal available
        row, available = zones(environment)
        return row

    rows += check("HA-1", "Elastic IP quota", partial(preflight_quotas.elastic_ips, environment))
    rows += check("NET-1", "NACL entries per ACL", partial(preflight_quotas.network_acls, environment, assembly))
    rows += check("LOC-1", "availability zones", zone_row)
    rows += check("LOC-1", "endpoint services", lambda: endpoint_services(environment, assembly, available))
    rows += check("HA-1", "DB instance class", lambda: instance_class(environment, available))
    rows += check("BAK-3", "AWS Config recording", partial(config_recording, environment, assembly))
    for region in environment.regions:
        rows += check("BAK-1", f"AWS Backup opt-in in {region}", partial(backup_opt_in, environment, region))
    rows += preflight_names.free_names(environment, assembly)
    rows += check("NET-4", "alert e-mail subscriptions", partial(pending_subscriptions, environment))
    return rows
