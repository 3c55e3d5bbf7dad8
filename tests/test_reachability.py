"""NET-1 / NET-3: every promised flow of policies/reachability.toml gets its expected verdict in the example app, and
the ProjectReachability gate catches a template that breaks one (probes on copies of the session's templates)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policies.reachability import evaluate
from policies.reachability_flows import FlowTableError, parse_flows, promised_flows
from policies.reachability_rules import RULES
from policies.template_rules import report
from tests.conftest import DEV, PROD, Synthesized

Templates = dict[str, dict[str, Any]]


def session_templates(synthesized: Synthesized) -> Templates:
    """Every template of the session's synth, keyed by path as the gate sees them."""
    return {
        str(path): json.loads(path.read_text(encoding="utf-8")) for path in synthesized.outdir.glob("*.template.json")
    }


@pytest.fixture(scope="module")
def templates(synthesized: Synthesized) -> Templates:
    return session_templates(synthesized)


def network_of(templates: Templates, environment: str) -> dict[str, Any]:
    return next(t for path, t in templates.items() if path.endswith(f"{environment}-network.template.json"))


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def gate_findings(templates: Templates) -> dict[str, list[str]]:
    """Rule -> the messages of the ProjectReachability gate's violations (the plugin's own report)."""
    result = report(list(RULES), templates)
    return {v.rule_name: [loc for r in v.violating_resources for loc in r.locations] for v in result.violations}


def verdicts(templates: Templates, environment: str) -> dict[str, Any]:
    return {v.flow.name: v for v in evaluate(templates) if v.vpc[0].endswith(f"{environment}-network.template.json")}


def public_acl_entry(template: dict[str, Any], number: int, *, egress: bool) -> str:
    return next(
        k
        for k, v in resources(template, "AWS::EC2::NetworkAclEntry").items()
        if "PublicAcl" in k
        and v["Properties"]["RuleNumber"] == number
        and v["Properties"].get("Egress", False) is egress
    )


# ------------------------------------------------------------------------------------------------ the example app


def test_net1_net3_every_promised_flow_gets_its_expected_verdict(templates: Templates) -> None:
    found = evaluate(templates)
    assert found, "no VPC was read from the templates"
    assert [(v.vpc[0], v.flow.name, v.summary) for v in found if not v.ok] == []
    assert not gate_findings(templates)


@pytest.mark.parametrize("environment", [PROD, DEV])
def test_net1_net3_flows_apply_where_their_hosts_exist(templates: Templates, environment: str) -> None:
    """acme-prod has an edge and a service: every flow but the no-edge one applies; globex-dev has neither."""
    edge_flows = {
        "the internet reaches the load balancer on HTTPS",
        "the load balancer reaches the service",
        "the service reaches the database",
        "the internet reaches the load balancer on no port but HTTPS",
    }
    no_edge = {"without an edge the public tier's ACL admits no HTTPS from the internet"}
    skipped = {name for name, v in verdicts(templates, environment).items() if v.status == "not applicable"}
    assert skipped == (no_edge if environment == PROD else edge_flows)


def test_net3_internet_reaches_the_load_balancer_on_https_and_the_replies_leave(templates: Templates) -> None:
    """ELB guide, network ACLs for an internet-facing load balancer: listener in from 0.0.0.0/0, ephemeral out."""
    verdict = verdicts(templates, PROD)["the internet reaches the load balancer on HTTPS"]
    assert verdict.status == "allowed"
    rules = [check.rule for check in verdict.path]
    assert any("entry #600 (inbound)" in rule for rule in rules)
    assert any("entry #600 (outbound)" in rule for rule in rules)


def test_net3_without_an_edge_the_public_acl_admits_no_https_from_the_internet(templates: Templates) -> None:
    verdict = verdicts(templates, DEV)["without an edge the public tier's ACL admits no HTTPS from the internet"]
    assert verdict.status == "blocked"
    assert verdict.summary.startswith("blocked by NACL FirewallPublicAcl")


def test_net3_every_security_group_of_every_template_lists_its_egress(templates: Templates) -> None:
    for path, template in templates.items():
        for logical_id, group in resources(template, "AWS::EC2::SecurityGroup").items():
            assert "SecurityGroupEgress" in group["Properties"], (path, logical_id)


def test_net3_edge_group_without_a_load_balancer_keeps_egress_closed(templates: Templates) -> None:
    """globex-dev's edge group has only a separate egress resource; its inline no-traffic rule keeps EC2's default
    allow-all egress away (AWS::EC2::SecurityGroup)."""
    groups = resources(network_of(templates, DEV), "AWS::EC2::SecurityGroup")
    edge = next(v for k, v in groups.items() if k.startswith("SecurityGroupsEdge"))
    assert edge["Properties"]["SecurityGroupEgress"] == [
        {
            "CidrIp": "255.255.255.255/32",
            "Description": "Disallow all traffic",
            "FromPort": 252,
            "IpProtocol": "icmp",
            "ToPort": 86,
        }
    ]


# ------------------------------------------------------------------------------------------------ the flow table


def test_net1_net3_flow_table_names_only_gated_controls() -> None:
    assert {flow.control for flow in promised_flows()} == {"NET-1", "NET-3"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('expect = "blocked"', "blocked_by"),
        ('expect = "allowed"\nports = "70000"', "not a port"),
        ('expect = "allowed"\nsource = { place = "internet", group = "edge" }', "wears no security group"),
    ],
)
def test_net1_probe_a_bad_flow_table_entry_is_refused_in_one_line(entry: str, message: str) -> None:
    base = {
        "name": '"probe"',
        "control": '"NET-1"',
        "source": '{ place = "internet" }',
        "target": '{ tier = "data" }',
        "ports": '"443"',
    }
    lines = entry.splitlines()
    keys = {line.split(" = ", 1)[0] for line in lines}
    text = "[[flow]]\n" + "\n".join([f"{k} = {v}" for k, v in base.items() if k not in keys] + lines)
    with pytest.raises(FlowTableError, match=message) as caught:
        parse_flows(text, "probe.toml")
    assert "\n" not in str(caught.value)


def test_net1_net3_evaluator_is_template_only_so_the_evidence_report_may_import_it() -> None:
    """evidence_report/ reads assemblies only: importing its flow evidence loads no CDK, app, stack or construct."""
    code = (
        "import sys, evidence_report.__main__, evidence_report.rules.reachability\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'aws_cdk', 'jsii', 'stacks', 'app', 'boto3'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
