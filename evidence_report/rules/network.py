"""Evidence rules for network defence in depth (NET-1..6): tiers, firewalls, authentication, detection."""

from __future__ import annotations

from collections import defaultdict

from config.limits import SG_ROLE_TAG, TIER_TAG, TIERS
from evidence_report.assembly import Resource
from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.registry import evidence_rule
from evidence_report.rules.reading import (
    audit_log_buckets,
    data_buckets,
    is_open,
    pattern_text,
    text_of,
)

SUBNET = "AWS::EC2::Subnet"
NACL_ASSOCIATION = "AWS::EC2::SubnetNetworkAclAssociation"
SG = "AWS::EC2::SecurityGroup"
SG_INGRESS = "AWS::EC2::SecurityGroupIngress"
DB = "AWS::RDS::DBInstance"
WEB_ACL = "AWS::WAFv2::WebACL"


@evidence_rule("NET-1", looks_for=(SUBNET, "AWS::EC2::NetworkAcl"))
def net1_each_tier_has_its_own_acl(env: EnvironmentView, out: Evidence) -> None:
    """Each tier's subnets share one network ACL of their own (what the ACLs admit, and that the data tier has no
    route out, is the flows' evidence: evidence_report/rules/reachability.py)."""
    subnets = [s for s in env.resources(SUBNET) if s.tags.get(TIER_TAG) in TIERS]
    acl_tiers: dict[str, set[str]] = defaultdict(set)
    for tier in TIERS:
        tier_subnets = [s for s in subnets if s.tags[TIER_TAG] == tier]
        if not tier_subnets:
            out.problem(f"no subnet tagged {TIER_TAG}={tier}")
        for subnet in tier_subnets:
            acls = [a for a in env.resources(NACL_ASSOCIATION) if env.refers_to(a, a.get("SubnetId"), subnet)]
            if not acls:
                out.problem(f"{tier} subnet {subnet.logical_id} has no network ACL of its tier")
                continue
            acl = env.target(acls[0], acls[0].get("NetworkAclId"))
            acl_id = acl.logical_id if acl else str(acls[0].get("NetworkAclId"))
            acl_tiers[acl_id].add(tier)
            out.row(
                acls[0],
                "NetworkAclId",
                acl_id,
                f"{tier} subnet {subnet.get('CidrBlock')} ({subnet.get('AvailabilityZone')})",
            )
    for acl_id, tiers in sorted(acl_tiers.items()):
        if len(tiers) > 1:
            out.problem(f"network ACL {acl_id} is shared by tiers {sorted(tiers)}")


HTTPS_PORT = 443
BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"


def _internet_facing(env: EnvironmentView) -> list[Resource]:
    return [lb for lb in env.resources(BALANCER) if lb.get("Scheme", "internet-facing") == "internet-facing"]


def _web_acl_of(env: EnvironmentView, balancer: Resource) -> Resource | None:
    """The WAFv2 web ACL associated with this load balancer, if any."""
    for association in env.resources("AWS::WAFv2::WebACLAssociation"):
        if env.refers_to(association, association.get("ResourceArn"), balancer):
            acl = env.target(association, association.get("WebACLArn"))
            if acl is not None and acl.type == WEB_ACL:
                return acl
    return None


def _filtered_edge(env: EnvironmentView, group: Resource) -> tuple[Resource, Resource] | None:
    """(load balancer, web ACL) when `group` is the security group of an internet-facing load balancer behind a
    web ACL: the one place the internet may enter, and only through that firewall."""
    for balancer in _internet_facing(env):
        if any(env.refers_to(balancer, ref, group) for ref in balancer.get("SecurityGroups", [])):
            acl = _web_acl_of(env, balancer)
            if acl is not None:
                return balancer, acl
    return None


@evidence_rule("NET-3", looks_for=(SG,))
def net3_inbound_rules_admit_only_references_and_listed_networks(env: EnvironmentView, out: Evidence) -> None:
    """No security group admits the whole internet, except HTTPS into a public load balancer behind a web ACL;
    tier-to-tier ingress is by security-group reference."""
    for group in env.resources(SG):
        role = group.tags.get(SG_ROLE_TAG, "?")
        for index, rule in enumerate(group.get("SecurityGroupIngress", [])):
            source = rule.get("CidrIp") or rule.get("CidrIpv6")
            if not is_open(source):
                out.row(
                    group,
                    f"SecurityGroupIngress[{index}]",
                    f"{source} port {rule.get('FromPort')}",
                    f"{role}: listed network only",
                )
                continue
            edge = _filtered_edge(env, group)
            https_only = rule.get("IpProtocol") == "tcp" and rule.get("FromPort") == rule.get("ToPort") == HTTPS_PORT
            if edge is None or not https_only:
                out.problem(f"security group {group.logical_id} ({role}) admits {source} on {rule.get('FromPort')}")
                continue
            balancer, acl = edge
            out.row(
                group,
                f"SecurityGroupIngress[{index}]",
                f"{source} port {HTTPS_PORT}",
                f"{role}: the internet reaches only load balancer {balancer.logical_id} ({balancer.stack.name}), "
                f"on HTTPS, through web ACL {acl.logical_id}",
            )
    for ingress in env.resources(SG_INGRESS):
        source = ingress.get("CidrIp") or ingress.get("CidrIpv6")
        if is_open(source):
            out.problem(f"ingress {ingress.logical_id} admits {source}")
        elif "SourceSecurityGroupId" in ingress.properties:
            source_group = env.target(ingress, ingress.get("SourceSecurityGroupId"))
            target_group = env.target(ingress, ingress.get("GroupId"))
            out.row(
                ingress,
                "SourceSecurityGroupId",
                source_group.logical_id if source_group else ingress.get("SourceSecurityGroupId"),
                f"into {target_group.tags.get(SG_ROLE_TAG) if target_group else '?'} only from "
                f"{source_group.tags.get(SG_ROLE_TAG) if source_group else '?'} on port {ingress.get('FromPort')}",
            )


@evidence_rule("NET-3", looks_for=(WEB_ACL,), feature="edge")
def net3_public_edge_sits_behind_a_web_acl(env: EnvironmentView, out: Evidence) -> None:
    """Every internet-facing load balancer is associated with a WAFv2 web ACL."""
    balancers = _internet_facing(env)
    if not balancers:
        out.problem("the public edge has no internet-facing load balancer with a web ACL")
    for lb in balancers:
        acl = _web_acl_of(env, lb)
        if acl is None:
            out.problem(f"load balancer {lb.logical_id} has no web ACL association")
            continue
        out.row(acl, "Name", acl.get("Name"), f"filters every request to {lb.logical_id} ({lb.stack.name})")


@evidence_rule("NET-2", looks_for=(DB,))
def net2_database_authenticates_with_iam_a_managed_secret_and_tls(env: EnvironmentView, out: Evidence) -> None:
    """The database requires IAM authentication or its RDS-managed secret, over TLS only."""
    for db in env.resources(DB):
        checks = {
            "EnableIAMDatabaseAuthentication": "IAM database authentication",
            "ManageMasterUserPassword": "the master password is generated and rotated by RDS in Secrets Manager",
        }
        for key, why in checks.items():
            if db.get(key) is True:
                out.row(db, key, True, why)
            else:
                out.problem(f"{db.logical_id}: {key} is not true")
        group = env.target(db, db.get("DBParameterGroupName"))
        if group is None or str((group.get("Parameters") or {}).get("rds.force_ssl")) != "1":
            out.problem(f"{db.logical_id}: parameter group does not set rds.force_ssl=1")
        else:
            out.row(group, "Parameters.rds.force_ssl", "1", "connections without TLS are refused")


@evidence_rule("NET-4", looks_for=("AWS::CloudWatch::Alarm", "AWS::Events::Rule"))
def net4_failed_logins_and_brute_force_raise_alarms(env: EnvironmentView, out: Evidence) -> None:
    """Failed SSH logins on the servers raise an alarm, and GuardDuty's brute-force findings reach the alert topic."""
    trail_groups = {
        (g.stack.name, g.logical_id)
        for t in env.resources("AWS::CloudTrail::Trail")
        if (g := env.target(t, t.get("CloudWatchLogsLogGroupArn")))
    }
    filters = [
        f
        for f in env.resources("AWS::Logs::MetricFilter")
        if "Failed" in str(f.get("FilterPattern", ""))
        and (g := env.target(f, f.get("LogGroupName"))) is not None
        and (g.stack.name, g.logical_id) not in trail_groups  # console sign-ins: baseline.py
    ]
    alarms = list(env.resources("AWS::CloudWatch::Alarm"))
    found_alarm = False
    for metric_filter in filters:
        for transformation in metric_filter.get("MetricTransformations", []):
            for alarm in alarms:
                if (alarm.get("MetricName"), alarm.get("Namespace")) == (
                    transformation.get("MetricName"),
                    transformation.get("MetricNamespace"),
                ) and alarm.get("AlarmActions"):
                    found_alarm = True
                    out.row(metric_filter, "FilterPattern", metric_filter.get("FilterPattern"), "counts failed logins")
                    out.row(alarm, "Threshold", alarm.get("Threshold"), f"alarms within {alarm.get('Period')} s")
    if not found_alarm:
        out.problem("no alarm with an action on a failed SSH login metric")
    brute = [
        r
        for r in env.resources("AWS::Events::Rule")
        if "BruteForce" in pattern_text(r) and r.get("State") == "ENABLED" and r.get("Targets")
    ]
    if not brute:
        out.problem("no enabled event rule forwards GuardDuty brute-force findings")
    for rule in brute:
        out.row(rule, "EventPattern.detail.type", rule.get("EventPattern.detail.type"), "brute-force findings alert")


@evidence_rule("NET-4", looks_for=(WEB_ACL,), feature="edge")
def net4_web_acl_limits_request_rates(env: EnvironmentView, out: Evidence) -> None:
    """A WAFv2 web ACL has a rate-based rule that blocks floods (denial of service, credential stuffing), and an
    alarm with an action fires on the requests it blocks."""
    limited = []
    for acl in env.resources(WEB_ACL):
        for index, rule in enumerate(acl.get("Rules", [])):
            rate = (rule.get("Statement") or {}).get("RateBasedStatement")
            if rate and "Block" in (rule.get("Action") or {}):
                limited.append(acl)
                out.row(
                    acl,
                    f"Rules[{index}].Statement.RateBasedStatement.Limit",
                    rate.get("Limit"),
                    f"blocks a client above {rate.get('Limit')} requests per {rate.get('EvaluationWindowSec', 300)} s",
                )
    if not limited:
        out.problem("no web ACL with a blocking rate-based rule")
    for acl in {(a.stack.name, a.logical_id): a for a in limited}.values():
        alarms = [
            a
            for a in env.resources("AWS::CloudWatch::Alarm")
            if a.get("Namespace") == "AWS/WAFV2"
            and a.get("MetricName") == "BlockedRequests"
            and a.get("AlarmActions")
            and any(d.get("Name") == "WebACL" and d.get("Value") == acl.get("Name") for d in a.get("Dimensions", []))
        ]
        if not alarms:
            out.problem(f"web ACL {acl.logical_id}: no alarm with an action on its BlockedRequests")
        for alarm in alarms:
            out.row(
                alarm,
                "MetricName / Threshold",
                f"BlockedRequests >= {alarm.get('Threshold')} in {alarm.get('Period')} s",
                "blocked floods are detected and alert the edge topic",
            )


@evidence_rule("NET-6", looks_for=("AWS::GuardDuty::MalwareProtectionPlan",))
def net6_malware_protection_plan_covers_each_data_bucket(env: EnvironmentView, out: Evidence) -> None:
    """A GuardDuty Malware Protection for S3 plan covers each data bucket where objects are written (replicas are
    copies of scanned objects; the account's audit-log bucket receives only CloudTrail and AWS Config deliveries)."""
    audit = audit_log_buckets(env)
    plans: list[Resource] = list(env.resources("AWS::GuardDuty::MalwareProtectionPlan"))
    replicas = {
        text_of(r.get("Destination", {}).get("Bucket")).removeprefix("arn:aws:s3:::")
        for b in env.resources("AWS::S3::Bucket")
        for r in b.get("ReplicationConfiguration.Rules", [])
    }
    for bucket in data_buckets(env):
        if text_of(bucket.get("BucketName")) in replicas:
            continue
        receives = audit.get((bucket.stack.name, bucket.logical_id))
        if receives is not None:
            out.row(bucket, "BucketName", text_of(bucket.get("BucketName")), receives)
            continue
        covering = [p for p in plans if env.refers_to(p, p.get("ProtectedResource.S3Bucket.BucketName"), bucket)]
        if covering:
            out.row(covering[0], "ProtectedResource.S3Bucket.BucketName", bucket.logical_id, "new objects are scanned")
        else:
            out.problem(f"data bucket {bucket.logical_id} has no GuardDuty malware protection plan")
