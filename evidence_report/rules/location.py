"""Evidence rules for location and availability (LOC-1, HA-1): region, zones, Multi-AZ, a NAT per zone."""

from __future__ import annotations

from config.limits import ALLOWED_DR_REGIONS, ALLOWED_REGIONS, AZ_COUNT, TIER_TAG
from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.registry import evidence_rule

SUBNET = "AWS::EC2::Subnet"
DB = "AWS::RDS::DBInstance"


def _zones(env: EnvironmentView) -> set[str]:
    return {str(s.get("AvailabilityZone")) for s in env.resources(SUBNET) if s.tags.get(TIER_TAG)}


@evidence_rule("LOC-1", looks_for=(SUBNET,))
def loc1_runs_in_us_east_1_over_three_zones(env: EnvironmentView, out: Evidence) -> None:
    """Primary stacks are in us-east-1, DR stacks in an allowed US DR region; subnets span three zones."""
    for stack in env.stacks:
        if stack.environment is None:
            continue  # account-level stacks may cover every region
        is_dr = stack.name.endswith("-dr")
        allowed = ALLOWED_DR_REGIONS if is_dr else ALLOWED_REGIONS
        if stack.region not in allowed:
            out.problem(f"stack {stack.name} is in {stack.region}; allowed: {', '.join(allowed)}")
        else:
            out.stack_row(
                stack,
                "environment (region)",
                stack.region,
                "disaster-recovery copies" if is_dr else "production region",
            )
    zones = _zones(env)
    if len(zones) < AZ_COUNT or any(not z.startswith(ALLOWED_REGIONS) for z in zones):
        out.problem(f"subnets span {sorted(zones)}; {AZ_COUNT} zones of {', '.join(ALLOWED_REGIONS)} needed")
    for subnet in env.resources(SUBNET):
        if subnet.tags.get(TIER_TAG):
            out.row(subnet, "AvailabilityZone", subnet.get("AvailabilityZone"), f"{subnet.tags[TIER_TAG]} tier")
    for db in env.resources(DB):
        if db.get("MultiAZ") is True:
            out.row(db, "MultiAZ", True, "a standby in a second zone")
        else:
            out.problem(f"database {db.logical_id} is not Multi-AZ")


@evidence_rule("HA-1", looks_for=(SUBNET, DB))
def ha1_no_single_zone_dependency(env: EnvironmentView, out: Evidence) -> None:
    """The database is Multi-AZ and every zone with application subnets has its own NAT gateway."""
    for db in env.resources(DB):
        if db.get("MultiAZ") is True:
            out.row(db, "MultiAZ", True, "fails over to the standby in another zone")
        else:
            out.problem(f"database {db.logical_id} is not Multi-AZ")
    nat_zones = set()
    for nat in env.resources("AWS::EC2::NatGateway"):
        subnet = env.target(nat, nat.get("SubnetId"))
        if subnet is not None:
            nat_zones.add(str(subnet.get("AvailabilityZone")))
            out.row(nat, "SubnetId", subnet.get("AvailabilityZone"), "a NAT gateway in this zone")
    app_zones = {str(s.get("AvailabilityZone")) for s in env.resources(SUBNET) if s.tags.get(TIER_TAG) == "application"}
    if app_zones - nat_zones:
        out.problem(f"zones {sorted(app_zones - nat_zones)} have no NAT gateway of their own")
