"""Evidence rules for the public edge on the REAL edge template of the session synth (`acme-prod-edge`): met in
production, "not applicable" (with the reason) where an environment's config has no `edge` section (globex-dev),
and "not met" once an edge that exists is broken, never "not applicable" (ACC-5, ACC-6, ACC-7, ENC-1, NET-3, NET-4).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from evidence_report.assembly import Assembly
from tests.conftest import Synthesized
from tests.test_evidence_support import (
    DEV,
    PROD,
    Template,
    changed,
    delete,
    environment_result,
    logical_id,
    one,
    real_assembly,
    rows,
    rule_status,
    status,
)

EDGE = f"{PROD}-edge"
NO_EDGE = "No public edge configured"
EDGE_RULES = {
    "ACC-5": "acc5_user_pool_passwords_and_tokens_are_bounded",
    "ACC-6": "acc6_app_clients_use_oauth_code_flow_with_scopes",
    "ACC-7": "acc7_sign_in_redirects_only_to_listed_https_urls",
    "ENC-1": "enc1_edge_serves_managed_rsa_certificates_over_modern_tls",
    "NET-3": "net3_public_edge_sits_behind_a_web_acl",
    "NET-4": "net4_web_acl_limits_request_rates",
}
CLIENT = "AWS::Cognito::UserPoolClient"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
WEB_ACL = "AWS::WAFv2::WebACL"
ASSOCIATION = "AWS::WAFv2::WebACLAssociation"


@pytest.fixture(scope="module")
def assembly(synthesized: Synthesized) -> Assembly:
    assert EDGE in synthesized.stack_names(), "the example config builds the production edge"
    return real_assembly(synthesized)


def edit(assembly: Assembly, resource_type: str, contains: str, path: str, value: Any) -> Assembly:
    """A copy with one property of one real resource set (`value` None deletes it); `path` is dotted."""

    def apply(t: Template) -> None:
        *parents, last = path.split(".")
        node: Any = one(t, resource_type, contains)["Properties"]
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value

    return changed(assembly, EDGE, apply)


@pytest.mark.parametrize("control", sorted(EDGE_RULES))
def test_acc5_acc6_acc7_enc1_net3_net4_edge_rules_met_on_the_real_production_edge(
    assembly: Assembly, control: str
) -> None:
    assert rule_status(assembly, control, EDGE_RULES[control]) == "met"


def test_acc5_acc6_acc7_enc1_net3_net4_met_in_production_with_the_real_edge_and_baseline(assembly: Assembly) -> None:
    for control in ("ACC-5", "ACC-6", "ACC-7", "ENC-1", "NET-3", "NET-4"):
        assert status(assembly, control) == "met", control


@pytest.mark.parametrize("control", ["ACC-6", "ACC-7"])
def test_acc6_acc7_not_applicable_in_dev_without_an_edge_section(assembly: Assembly, control: str) -> None:
    result = environment_result(assembly, control, DEV)
    assert result.status == "not applicable"
    assert result.reason is not None
    assert result.reason.startswith(NO_EDGE)


@pytest.mark.parametrize("control", ["ACC-5", "ENC-1", "NET-3", "NET-4"])
def test_acc5_enc1_net3_net4_edge_parts_not_applicable_in_dev_the_rest_still_binds(
    assembly: Assembly, control: str
) -> None:
    result = environment_result(assembly, control, DEV)
    edge_rule = next(r for r in result.rules if r.rule == EDGE_RULES[control])
    assert edge_rule.status == "not applicable"
    assert edge_rule.reason is not None
    assert edge_rule.reason.startswith(NO_EDGE)
    others = [r.status for r in result.rules if r.rule != EDGE_RULES[control]]
    assert others
    assert "not applicable" not in others, "the non-edge rules bind dev"
    assert result.status == "met", "the rest (bastion, account baseline) is met in dev"


def test_acc6_production_without_its_edge_stack_reads_like_a_config_without_edge(assembly: Assembly) -> None:
    without = dataclasses.replace(assembly, stacks=tuple(s for s in assembly.stacks if s.name != EDGE))
    assert status(without, "ACC-6") == "not applicable"
    assert rule_status(without, "NET-3", EDGE_RULES["NET-3"]) == "not applicable"


@pytest.mark.parametrize(
    "case",
    [
        ("ACC-5", CLIENT, "", "RefreshTokenValidity", None),
        ("ACC-5", "AWS::Cognito::UserPool", "", "Policies.PasswordPolicy.MinimumLength", 6),
        ("ACC-6", CLIENT, "", "AllowedOAuthFlows", ["implicit", "code"]),
        ("ACC-6", CLIENT, "", "AllowedOAuthScopes", []),
        ("ACC-6", CLIENT, "", "AllowedOAuthFlowsUserPoolClient", False),
        ("ACC-7", CLIENT, "", "CallbackURLs", ["http://app.acme.example.com/signed-in"]),
        ("ACC-7", CLIENT, "", "LogoutURLs", ["https://*.acme.example.com/"]),
        ("NET-3", ASSOCIATION, "", "ResourceArn", "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/other"),
        ("NET-4", WEB_ACL, "", "Rules", []),
        ("NET-4", "AWS::CloudWatch::Alarm", "BlockedRequests", "AlarmActions", None),
        ("ENC-1", "AWS::CertificateManager::Certificate", "", "KeyAlgorithm", "RSA_1024"),
        ("ENC-1", "AWS::CertificateManager::Certificate", "", "ValidationMethod", "EMAIL"),
        ("ENC-1", LISTENER, "", "SslPolicy", "ELBSecurityPolicy-2016-08"),
        ("ENC-1", LISTENER, "", "Protocol", "HTTP"),
    ],
)
def test_acc5_acc6_acc7_net3_net4_enc1_real_edge_broken_is_not_met(
    assembly: Assembly, case: tuple[str, str, str, str, Any]
) -> None:
    control, resource_type, contains, path, value = case
    assert status(edit(assembly, resource_type, contains, path, value), control) == "not met"


@pytest.mark.parametrize(
    ("resource_type", "controls"),
    [
        (WEB_ACL, ("NET-3", "NET-4")),
        (ASSOCIATION, ("NET-3",)),
        (LISTENER, ("ENC-1",)),
        (CLIENT, ("ACC-6", "ACC-7")),
    ],
)
def test_acc5_acc6_acc7_enc1_net3_net4_edge_missing_a_part_is_not_met_never_not_applicable(
    assembly: Assembly, resource_type: str, controls: tuple[str, ...]
) -> None:
    def remove(t: Template) -> None:
        assert delete(t, resource_type) == 1

    broken = changed(assembly, EDGE, remove)
    for control in controls:
        assert status(broken, control) == "not met", control


def test_net3_internet_may_enter_only_on_https_into_the_filtered_load_balancer(assembly: Assembly) -> None:
    rule = "net3_inbound_rules_admit_only_references_and_listed_networks"
    edge_rows = [
        r
        for r in rows(assembly, "NET-3")
        if "SecurityGroupsEdge" in r.logical_id and r.property_path.startswith("SecurityGroupIngress")
    ]
    assert len(edge_rows) == 1
    assert edge_rows[0].value == "0.0.0.0/0 port 443"
    assert "through web ACL FirewallWebAcl" in edge_rows[0].why

    def plain_http(t: Template) -> None:
        ingress = one(t, "AWS::EC2::SecurityGroup", "SecurityGroupsEdge")["Properties"]["SecurityGroupIngress"]
        ingress.append({"CidrIp": "0.0.0.0/0", "FromPort": 80, "ToPort": 80, "IpProtocol": "tcp"})

    assert rule_status(changed(assembly, f"{PROD}-network", plain_http), "NET-3", rule) == "not met"

    def no_firewall(t: Template) -> None:
        assert delete(t, ASSOCIATION) == 1

    assert rule_status(changed(assembly, EDGE, no_firewall), "NET-3", rule) == "not met", "open 443 needs the web ACL"


def test_enc1_plain_http_listener_must_only_redirect(assembly: Assembly) -> None:
    def http_listener(action: dict[str, Any]) -> Any:
        def add(t: Template) -> None:
            balancer = logical_id(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
            t["Resources"]["Http"] = {
                "Type": LISTENER,
                "Properties": {"Protocol": "HTTP", "Port": 80, "LoadBalancerArn": {"Ref": balancer}},
            }
            t["Resources"]["Http"]["Properties"]["DefaultActions"] = [action]

        return add

    redirect = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443"}}
    assert status(changed(assembly, EDGE, http_listener(redirect)), "ENC-1") == "met"
    assert status(changed(assembly, EDGE, http_listener({"Type": "forward"})), "ENC-1") == "not met"


def test_net3_acc6_probe_a_public_load_balancer_in_dev_is_an_edge_and_binds(assembly: Assembly) -> None:
    """Detection is by what the templates build, not only the stack name: an unfiltered public balancer is caught."""

    def public_balancer(t: Template) -> None:
        t["Resources"]["Public"] = {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {"Scheme": "internet-facing", "Type": "application"},
        }

    broken = changed(assembly, f"{DEV}-network", public_balancer)
    assert status(broken, "NET-3", DEV) == "not met"
    assert status(broken, "ACC-6", DEV) == "not met", "an edge without an OAuth client"
    assert status(broken, "ENC-1", DEV) == "not met", "an edge without an HTTPS listener"
