"""Evidence for NET-1 and NET-3 from the promised flows (policies/reachability.toml): each flow's verdict in the
environment, computed by the same evaluator as the ProjectReachability gate (policies/reachability.py), with the
security-group rule, network ACL entry or route that decides it. One question, one evaluator."""

from __future__ import annotations

from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.registry import evidence_rule
from policies.network_model import Ref
from policies.reachability import NOT_APPLICABLE, Verdict, evaluate
from policies.reachability_flows import FlowTableError, promised_flows

VPC = "AWS::EC2::VPC"


def _verdicts(env: EnvironmentView, control: str, out: Evidence) -> list[Verdict]:
    try:
        flows = [flow for flow in promised_flows() if flow.control == control]
    except FlowTableError as error:
        out.problem(str(error))
        return []
    return evaluate({stack.name: stack.template for stack in env.stacks}, flows)


def _show(env: EnvironmentView, control: str, out: Evidence) -> None:
    """One row per applicable flow: where its verdict is decided, the verdict, and the path it took."""
    stacks = {stack.name: stack for stack in env.stacks}
    for verdict in _verdicts(env, control, out):
        flow = verdict.flow
        if not verdict.ok:
            out.problem(f"{flow.name}: expected {flow.expect}, but {verdict.summary}")
            continue
        if verdict.status == NOT_APPLICABLE:
            continue
        where: Ref = verdict.owner or verdict.vpc
        resource = stacks[where[0]].resource(where[1]) or stacks[verdict.vpc[0]].resource(verdict.vpc[1])
        assert resource is not None
        out.row(
            resource,
            f"Flow: {flow.source} -> {flow.target} {flow.protocol} {verdict.port_text}",
            verdict.summary,
            f"{flow.name} (expected {flow.expect})",
        )


@evidence_rule("NET-1", looks_for=(VPC,))
def net1_flows_between_tiers_pass_only_where_promised(env: EnvironmentView, out: Evidence) -> None:
    """The flows between tiers that policies/reachability.toml promises pass every security group, network ACL and
    route (replies included); those it forbids (the data tier to the internet) are stopped by each layer it names."""
    _show(env, "NET-1", out)


@evidence_rule("NET-3", looks_for=(VPC,))
def net3_flows_from_outside_pass_only_where_promised(env: EnvironmentView, out: Evidence) -> None:
    """From the internet only the edge's HTTPS listener (and its replies) and from the admin networks only SSH to
    the bastion get in; the internet reaches no application or data host, on any port, at any layer named."""
    _show(env, "NET-3", out)
