"""Our own cdk-nag 3 rule pack: promises the published packs do not check.

- Project-NET1-DataTierNoRoutes: a data-tier route table holds no route at all (only the implicit local
  route and gateway-endpoint routes), so the data tier can reach neither an internet nor a NAT gateway.
- Project-NET3-IngressByReference: application and database security groups admit traffic only from other
  security groups, never from a CIDR; no security group admits 0.0.0.0/0 or ::/0 except an edge group on 443.
- Project-BAK4-RdsPointInTimeWindow: RDS keeps at least seven days of automated backups.

Tiers and roles are read from the `tier` and `sg-role` tags our constructs put on subnets and security groups.
Tags are applied by an aspect during synthesis, so these rules see them at synth (where the gates run), not in a
bare `validate_scope` of an unsynthesized tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance

from config import limits
from config.limits import SG_ROLE_TAG, TIER_TAG
from constructs import IConstruct

REFERENCE_ONLY_ROLES = frozenset({"application", "database"})
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
EDGE_OPEN_PORT = 443

RuleFunction = Callable[[cdk.CfnResource], NagRuleCompliance]


@jsii.implements(IApplyRule)
class _Rule:
    """cdk-nag 3's IApplyRule: jsii reads these members as properties, so they must be properties."""

    def __init__(self, node: cdk.CfnResource, suffix: str, check: RuleFunction, info: str, explanation: str) -> None:
        self._node, self._suffix, self._check = node, suffix, check
        self._info, self._explanation = info, explanation

    @property
    def node(self) -> cdk.CfnResource:
        return self._node

    @property
    def rule_suffix_override(self) -> str:
        return self._suffix

    @property
    def info(self) -> str:
        return self._info

    @property
    def explanation(self) -> str:
        return self._explanation

    @property
    def level(self) -> NagMessageLevel:
        return NagMessageLevel.ERROR

    def rule(self, node: cdk.CfnResource) -> NagRuleCompliance:
        return self._check(node)


def _cfn_keys(value: dict[str, Any]) -> dict[str, Any]:
    """Resolved L1 properties come back camelCase (`cidrIp`); CloudFormation spells them PascalCase (`CidrIp`)."""
    return {key[:1].upper() + key[1:]: item for key, item in value.items()}


def _tags(resource: IConstruct) -> dict[str, str]:
    if not isinstance(resource, cdk.CfnResource) or not cdk.TagManager.is_taggable(resource):
        return {}
    rendered = cdk.Stack.of(resource).resolve(resource.tags.render_tags()) or []  # type: ignore[attr-defined]
    tags = [_cfn_keys(tag) for tag in rendered]
    return {tag["Key"]: tag["Value"] for tag in tags if isinstance(tag.get("Value"), str)}


def _referenced(node: cdk.CfnResource, reference: Any) -> IConstruct | None:
    """The resource a `Ref` or `Fn::GetAtt` in `node`'s properties points at, in the same stack."""
    resolved = cdk.Stack.of(node).resolve(reference)
    if isinstance(resolved, dict) and "Ref" in resolved:
        logical_id = resolved["Ref"]
    elif isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
        logical_id = resolved["Fn::GetAtt"][0]
    else:
        return None
    stack = cdk.Stack.of(node)
    for candidate in stack.node.find_all():
        if isinstance(candidate, cdk.CfnElement) and stack.resolve(candidate.logical_id) == logical_id:
            return candidate
    return None


def data_tier_has_no_routes(node: cdk.CfnResource) -> NagRuleCompliance:
    if not isinstance(node, ec2.CfnRoute):
        return NagRuleCompliance.NOT_APPLICABLE
    table = _referenced(node, node.route_table_id)
    if table is not None and _tags(table).get(TIER_TAG) == "data":
        return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


def _ingress_rules(node: cdk.CfnResource) -> tuple[IConstruct | None, list[dict[str, Any]]]:
    stack = cdk.Stack.of(node)
    if isinstance(node, ec2.CfnSecurityGroup):
        return node, [_cfn_keys(rule) for rule in stack.resolve(node.security_group_ingress) or []]
    if isinstance(node, ec2.CfnSecurityGroupIngress):
        rule = {
            "CidrIp": stack.resolve(node.cidr_ip),
            "CidrIpv6": stack.resolve(node.cidr_ipv6),
            "FromPort": stack.resolve(node.from_port),
            "ToPort": stack.resolve(node.to_port),
        }
        return _referenced(node, node.group_id), [rule]
    return None, []


def ingress_only_by_reference(node: cdk.CfnResource) -> NagRuleCompliance:
    if not isinstance(node, (ec2.CfnSecurityGroup, ec2.CfnSecurityGroupIngress)):
        return NagRuleCompliance.NOT_APPLICABLE
    group, rules = _ingress_rules(node)
    role = _tags(group).get(SG_ROLE_TAG) if group is not None else None
    for rule in rules:
        cidrs = {rule.get("CidrIp"), rule.get("CidrIpv6")} - {None}
        if not cidrs:
            continue
        if role in REFERENCE_ONLY_ROLES:
            return NagRuleCompliance.NON_COMPLIANT
        edge_listener = role == "edge" and rule.get("FromPort") == rule.get("ToPort") == EDGE_OPEN_PORT
        if cidrs & OPEN_CIDRS and not edge_listener:
            return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


def rds_keeps_a_week_of_backups(node: cdk.CfnResource) -> NagRuleCompliance:
    if not isinstance(node, rds.CfnDBInstance):
        return NagRuleCompliance.NOT_APPLICABLE
    retention = cdk.Stack.of(node).resolve(node.backup_retention_period)
    if not isinstance(retention, int) or retention < limits.RDS_BACKUP_RETENTION_MIN:
        return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


# Each rule with the resource types it can find non-compliant. The pack applies a rule only to those types:
# every rule application is a round trip between Python and the JavaScript engine (about 3 ms), and applying
# all rules to every resource cost 3.5 s per synth of the example app for no finding (cdk-nag records
# nothing for a resource a rule does not apply to).
RULES: tuple[tuple[str, tuple[type[cdk.CfnResource], ...], RuleFunction, str, str], ...] = (
    (
        "NET1-DataTierNoRoutes",
        (ec2.CfnRoute,),
        data_tier_has_no_routes,
        "NET-1: a data-tier route table has a route (to the internet, a NAT gateway or elsewhere).",
        "The data tier must be isolated: only the local route and gateway-endpoint routes are allowed.",
    ),
    (
        "NET3-IngressByReference",
        (ec2.CfnSecurityGroup, ec2.CfnSecurityGroupIngress),
        ingress_only_by_reference,
        "NET-3: a security group admits a CIDR where it must reference a security group, or admits the internet.",
        "Application and database groups admit only other security groups; only an edge group may admit "
        "0.0.0.0/0 or ::/0, and only on 443.",
    ),
    (
        "BAK4-RdsPointInTimeWindow",
        (rds.CfnDBInstance,),
        rds_keeps_a_week_of_backups,
        f"BAK-4: the database keeps fewer than {limits.RDS_BACKUP_RETENTION_MIN} days of automated backups.",
        "Point-in-time recovery needs automated backups with a retention of at least a week.",
    ),
)


class ProjectChecks(NagPack):
    """The pack named `Project`; its findings are acknowledged like any other pack's."""

    def __init__(self, scope: IConstruct | None = None, *, write_suppressions_to_cloud_formation: bool = False) -> None:
        super().__init__(scope, write_suppressions_to_cloud_formation=write_suppressions_to_cloud_formation)
        self._pack_name = "Project"

    @property
    def name(self) -> str:
        return "Project"

    def _check_resource(self, node: cdk.CfnResource) -> None:
        for suffix, resource_types, check, info, explanation in RULES:
            if not isinstance(node, resource_types):
                continue
            # _Rule satisfies IApplyRule at run time (jsii reads properties); mypy wants settable attributes.
            self._apply_rule(cast(IApplyRule, _Rule(node, suffix, check, info, explanation)))
