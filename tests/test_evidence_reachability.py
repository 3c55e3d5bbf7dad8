"""NET-1 / NET-3 evidence rows come from the reachability evaluator (policies/reachability.py), the same one the
ProjectReachability gate runs: each promised flow, its verdict and the rule that decides it; a broken flow is "not
met" with the layer named."""

from __future__ import annotations

import pytest

from evidence_report.assembly import Assembly
from policies.reachability_flows import promised_flows
from tests.conftest import Synthesized
from tests.test_evidence_support import DEV, PROD, Template, changed, environment_result, real_assembly, rows

NETWORK = f"{PROD}-network"
FLOW_RULES = {
    "NET-1": "net1_flows_between_tiers_pass_only_where_promised",
    "NET-3": "net3_flows_from_outside_pass_only_where_promised",
}


@pytest.fixture(scope="module")
def assembly(synthesized: Synthesized) -> Assembly:
    return real_assembly(synthesized)


def flow_rows(assembly: Assembly, control: str, environment: str = PROD) -> dict[str, str]:
    """Flow name (the row's why, without the expectation) -> the verdict the row shows."""
    return {
        row.why.rsplit(" (expected", 1)[0]: row.value
        for row in rows(assembly, control, environment)
        if row.property_path.startswith("Flow: ")
    }


def problems(assembly: Assembly, control: str, environment: str = PROD) -> list[str]:
    result = environment_result(assembly, control, environment)
    return [p for rule in result.rules if rule.rule == FLOW_RULES[control] for p in rule.problems]


@pytest.mark.parametrize("control", ["NET-1", "NET-3"])
def test_net1_net3_evidence_shows_every_applicable_flow_with_its_verdict(assembly: Assembly, control: str) -> None:
    """acme-prod has an edge: every flow of the control applies there except the one for environments without."""
    expected = {f.name: f.expect for f in promised_flows() if f.control == control and f.applies != "without-edge"}
    shown = flow_rows(assembly, control)
    assert set(shown) == set(expected)
    for name, verdict in shown.items():
        assert verdict.startswith(expected[name]), (name, verdict)


def test_net3_evidence_names_the_edge_listener_entry_and_in_dev_the_closed_public_acl(assembly: Assembly) -> None:
    prod = flow_rows(assembly, "NET-3")
    assert "entry #600 (inbound)" in prod["the internet reaches the load balancer on HTTPS"]
    dev = flow_rows(assembly, "NET-3", DEV)
    assert "the internet reaches the load balancer on HTTPS" not in dev, "no edge in globex-dev: not applicable"
    assert dev["without an edge the public tier's ACL admits no HTTPS from the internet"].startswith(
        "blocked by NACL FirewallPublicAcl"
    )


def test_net3_evidence_not_met_when_the_public_acl_drops_https(assembly: Assembly) -> None:
    def no_listener_entry(t: Template) -> None:
        (doomed,) = [
            lid
            for lid, body in t["Resources"].items()
            if body["Type"] == "AWS::EC2::NetworkAclEntry"
            and "PublicAcl" in lid
            and body["Properties"]["RuleNumber"] == 600
            and not body["Properties"].get("Egress")
        ]
        del t["Resources"][doomed]

    broken = changed(assembly, NETWORK, no_listener_entry)
    (problem,) = problems(broken, "NET-3")
    assert problem.startswith("the internet reaches the load balancer on HTTPS: expected allowed, but blocked by NACL")
    assert problems(broken, "NET-3", DEV) == [], "the other environment is untouched"


def test_net1_evidence_not_met_when_the_application_group_stops_reaching_the_database(assembly: Assembly) -> None:
    def no_database_egress(t: Template) -> None:
        doomed = [
            lid
            for lid, body in t["Resources"].items()
            if body["Type"] == "AWS::EC2::SecurityGroupEgress"
            and lid.startswith("SecurityGroupsApplicationto")
            and "Database" in lid
        ]
        assert len(doomed) == 1
        del t["Resources"][doomed[0]]

    (problem,) = problems(changed(assembly, NETWORK, no_database_egress), "NET-1")
    assert problem.startswith("the service reaches the database: expected allowed, but blocked by egress of service")
