"""`ProjectReachability`: the network paths of every environment, checked at every synth (NET-1, NET-3).

- NET1-PromisedFlows / NET3-PromisedFlows: every flow of policies/reachability.toml gets the verdict the table
  expects, in every VPC of the app (policies/reachability.py evaluates it through security groups, network ACLs and
  routes, across stacks); a finding names the flow and the layer and rule that block it or admit it.
- NET3-GroupsListTheirEgress: every AWS::EC2::SecurityGroup lists its egress rules. AWS::EC2::SecurityGroup: when the
  resource specifies none, EC2 keeps its default rule that allows all outbound traffic, and a separate
  AWS::EC2::SecurityGroupEgress only adds a rule beside it.

Acknowledge a finding with `ProjectReachability::<rule>`.
"""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
import jsii

from policies.reachability import evaluate
from policies.reachability_flows import FlowTableError, promised_flows
from policies.template_rules import Finding, TemplateRule, TemplateRulePlugin, Templates, resources_of

PLUGIN_NAME = "ProjectReachability"


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
)


@jsii.implements(cdk.IPolicyValidationPlugin)
class ReachabilityRules(TemplateRulePlugin):
    """A policy-validation plugin, registered with the other gates (policies/packs.py)."""

    NAME = PLUGIN_NAME
    VERSION = "1.0.0"
    RULES = RULES
