"""Edge stack (issue 14): ENC-1, NET-3, NET-4, ACC-5, ACC-6, ACC-7, read from the synthesized templates, plus a
probe for every config check the edge adds and for the NET-3 guard that keeps port 80 closed."""

from __future__ import annotations

import copy
import re
import tomllib
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from config import DEFAULT_CONFIG_PATH, ConfigError, parse_config
from config.limits import SG_ROLE_TAG
from config.model import EdgeSettings
from constructs.edge_load_balancer import TLS_POLICY
from constructs.web_firewall import MANAGED_RULE_GROUPS, RATE_RULE, WAF_LOG_GROUP_PREFIX
from stacks.edge import EdgeStack
from stacks.network import NetworkStack
from tests.conftest import DEV, PROD, Synthesized
from tests.probes import nag_findings, project_findings, tiny_stack
from tests.template_resources import of_type, only

EDGE = f"{PROD}-edge"
NETWORK = f"{PROD}-network"


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template_json(EDGE)


@pytest.fixture(scope="module")
def network(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template_json(NETWORK)


@pytest.fixture(scope="module")
def settings(synthesized: Synthesized) -> EdgeSettings:
    edge = synthesized.environments[PROD].edge
    assert edge is not None
    return edge.env_config.edge  # type: ignore[return-value]


def attributes(load_balancer: dict[str, Any]) -> dict[str, Any]:
    return {item["Key"]: item["Value"] for item in load_balancer["LoadBalancerAttributes"]}


def edge_group(network: dict[str, Any]) -> dict[str, Any]:
    for resource in of_type(network, "AWS::EC2::SecurityGroup").values():
        tags = {tag["Key"]: tag["Value"] for tag in resource["Properties"].get("Tags", [])}
        if tags.get(SG_ROLE_TAG) == "edge":
            return resource["Properties"]
    raise AssertionError("no edge security group")


def example_edge(**changes: Any) -> dict[str, Any]:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    edge = copy.deepcopy(data["environments"][0]["edge"])
    edge.update(changes)
    data["environments"][0]["edge"] = edge
    return data


def refused(**changes: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(example_edge(**changes))
    return str(caught.value)


# --- the stack exists only where configured ---------------------------------------------------------------------


def test_acc6_only_an_environment_with_an_edge_section_gets_an_edge_stack(synthesized: Synthesized) -> None:
    names = synthesized.stack_names()
    assert EDGE in names
    assert f"{DEV}-edge" not in names
    assert synthesized.environments[DEV].edge is None


# --- ENC-1: certificate and TLS ---------------------------------------------------------------------------------


def test_enc1_certificate_is_rsa_2048_dns_validated_in_the_configured_zone(
    template: dict[str, Any], settings: EdgeSettings
) -> None:
    _, certificate = only(template, "AWS::CertificateManager::Certificate")
    assert certificate["KeyAlgorithm"] == "RSA_2048"
    assert certificate["DomainName"] == settings.domain
    assert certificate["ValidationMethod"] == "DNS"
    # CloudFormation writes the validation record into this zone, and ACM renews while it stays (managed renewal).
    assert certificate["DomainValidationOptions"] == [
        {"DomainName": settings.domain, "HostedZoneId": settings.hosted_zone_id}
    ]


def test_enc1_the_only_listener_is_https_443_with_the_newest_tls13_policy(template: dict[str, Any]) -> None:
    certificate_id, _ = only(template, "AWS::CertificateManager::Certificate")
    _, listener = only(template, "AWS::ElasticLoadBalancingV2::Listener")
    assert (listener["Port"], listener["Protocol"]) == (443, "HTTPS")
    assert listener["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    assert listener["Certificates"] == [{"CertificateArn": {"Ref": certificate_id}}]


def test_enc1_chosen_policy_is_of_the_newest_tls13_family_with_restricted_ciphers() -> None:
    """aws-cdk-lib 2.275's newest TLS 1.3 policies are the 2025-09 post-quantum ones (`*_PQ`); of those, the
    restricted TLS 1.2 + 1.3 policy (GCM ciphers only) is chosen over TLS 1.3 only, which older clients lack."""
    newest = {policy for policy in elbv2.SslPolicy if policy.name.startswith("TLS13") and policy.name.endswith("_PQ")}
    assert TLS_POLICY in newest
    assert TLS_POLICY.name == "TLS13_12_RES_PQ"


def test_enc1_load_balancer_reencrypts_to_its_targets(template: dict[str, Any]) -> None:
    _, target_group = only(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert (target_group["Port"], target_group["Protocol"], target_group["HealthCheckProtocol"]) == (
        443,
        "HTTPS",
        "HTTPS",
    )


@pytest.mark.parametrize(
    ("algorithm", "message"),
    [
        ("RSA_1024", "RSA of 1024 bits, too weak"),
        ("EC_prime256v1", "is an ECDSA key; ENC-1 requires RSA"),
        ("EC_secp384r1", "is an ECDSA key; ENC-1 requires RSA"),
        ("RSA_4096", "for imported certificates only"),
        ("DSA_2048", "not an ACM key algorithm"),
    ],
)
def test_enc1_probe_weak_or_unissuable_key_algorithm_is_refused(algorithm: str, message: str) -> None:
    problem = refused(certificate_key_algorithm=algorithm)
    assert problem.startswith(
        f"config error: environments[0] (acme-prod).edge.certificate_key_algorithm = '{algorithm}': "
    )
    assert message in problem
    assert "\n" not in problem


def test_enc1_probe_domain_outside_the_hosted_zone_is_refused() -> None:
    problem = refused(domain="app.other.example.org")
    expected = "(acme-prod).edge.domain = 'app.other.example.org': must be acme.example.com or a name under it"
    assert expected in problem


# --- NET-3: load balancer, security groups, firewall ------------------------------------------------------------


def test_net3_load_balancer_is_internet_facing_in_the_public_subnets(template: dict[str, Any]) -> None:
    _, load_balancer = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert load_balancer["Scheme"] == "internet-facing"
    subnets = [subnet["Fn::ImportValue"] for subnet in load_balancer["Subnets"]]
    assert len(subnets) == 3
    assert all("PublicSubnet" in name for name in subnets)
    assert [group["Fn::ImportValue"] for group in load_balancer["SecurityGroups"]] == [
        "acme-prod-network:ExportsOutputFnGetAttSecurityGroupsEdge123D8B35GroupId43E82295"
    ]


def test_net3_load_balancer_drops_invalid_headers_and_is_deletion_protected_in_prod(template: dict[str, Any]) -> None:
    _, load_balancer = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    settings = attributes(load_balancer)
    assert settings["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert settings["routing.http.desync_mitigation_mode"] == "strictest"
    assert settings["deletion_protection.enabled"] == "true"


def test_net3_access_logs_go_to_a_private_sse_s3_bucket_that_only_elb_may_write(template: dict[str, Any]) -> None:
    _, load_balancer = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    settings = attributes(load_balancer)
    assert settings["access_logs.s3.enabled"] == "true"
    bucket_id = settings["access_logs.s3.bucket"]["Ref"]
    bucket = template["Resources"][bucket_id]["Properties"]
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert encryption == {"SSEAlgorithm": "AES256"}  # ALB log delivery supports SSE-S3 only
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    policy = next(
        r["Properties"]["PolicyDocument"]
        for r in of_type(template, "AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": bucket_id}
    )
    allowed = [statement for statement in policy["Statement"] if statement["Effect"] == "Allow"]
    # Only the us-east-1 Elastic Load Balancing account (ELB user guide), only under this account's prefix.
    assert [(s["Principal"], s["Action"]) for s in allowed] == [
        ({"AWS": "arn:aws:iam::127311923021:root"}, "s3:PutObject")
    ]
    assert allowed[0]["Resource"]["Fn::Join"][1][-1] == "/alb/AWSLogs/111122223333/*"


def test_net3_edge_group_admits_only_https_from_the_internet(network: dict[str, Any]) -> None:
    group = edge_group(network)
    assert [(rule["CidrIp"], rule["FromPort"], rule["ToPort"]) for rule in group["SecurityGroupIngress"]] == [
        ("0.0.0.0/0", 443, 443)
    ]
    separate = [
        r["Properties"]
        for r in of_type(network, "AWS::EC2::SecurityGroupIngress").values()
        if "Edge" in str(r["Properties"]["GroupId"])
    ]
    assert separate == []


def test_net3_application_tier_admits_only_the_edge_group_by_reference(network: dict[str, Any]) -> None:
    into_application = [
        r["Properties"]
        for r in of_type(network, "AWS::EC2::SecurityGroupIngress").values()
        if "SecurityGroupsApplication" in str(r["Properties"]["GroupId"])
    ]
    assert [(rule["SourceSecurityGroupId"]["Fn::GetAtt"][0], rule["FromPort"]) for rule in into_application] == [
        ("SecurityGroupsEdge123D8B35", 443)
    ]
    assert all("CidrIp" not in rule for rule in into_application)


def test_net3_probe_an_edge_group_open_to_the_internet_on_port_80_fails_the_project_gate() -> None:
    """Why there is no redirect listener on 80: the Project pack allows an edge group the internet on 443 only."""
    stack = tiny_stack()
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])
    group = ec2.SecurityGroup(stack, "Edge", vpc=vpc, allow_all_outbound=False)
    cdk.Tags.of(group).add(SG_ROLE_TAG, "edge")
    group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "https")
    group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(80), "http redirect")
    assert project_findings(stack)["Project-NET3-IngressByReference"] == ["Edge7038544F"]


def test_net3_web_acl_is_regional_with_the_four_managed_rule_groups_and_guards_the_load_balancer(
    template: dict[str, Any],
) -> None:
    acl_id, acl = only(template, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    managed = [
        rule["Statement"]["ManagedRuleGroupStatement"]
        for rule in acl["Rules"]
        if "ManagedRuleGroupStatement" in rule["Statement"]
    ]
    assert [(group["VendorName"], group["Name"]) for group in managed] == [
        ("AWS", name) for name in MANAGED_RULE_GROUPS
    ]
    assert set(MANAGED_RULE_GROUPS) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesSQLiRuleSet",
    }
    assert all(rule["OverrideAction"] == {"None": {}} for rule in acl["Rules"] if "OverrideAction" in rule)
    load_balancer_id, _ = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    _, association = only(template, "AWS::WAFv2::WebACLAssociation")
    assert association == {
        "ResourceArn": {"Ref": load_balancer_id},
        "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]},
    }


# --- NET-4: rate limit, logging, alarm --------------------------------------------------------------------------


def test_net4_rate_based_rule_blocks_a_client_ip_above_the_configured_limit(
    template: dict[str, Any], settings: EdgeSettings
) -> None:
    _, acl = only(template, "AWS::WAFv2::WebACL")
    (rule,) = [rule for rule in acl["Rules"] if rule["Name"] == RATE_RULE]
    assert rule["Action"] == {"Block": {}}
    assert rule["Priority"] == 0  # evaluated before the managed groups
    assert rule["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": settings.rate_limit_per_5_min,
        "EvaluationWindowSec": 300,
    }


def test_net4_every_verdict_is_logged_to_an_encrypted_aws_waf_logs_group(template: dict[str, Any]) -> None:
    acl_id, _ = only(template, "AWS::WAFv2::WebACL")
    groups = {k: v["Properties"] for k, v in of_type(template, "AWS::Logs::LogGroup").items()}
    waf_groups = {k: v for k, v in groups.items() if v["LogGroupName"].startswith(WAF_LOG_GROUP_PREFIX)}
    assert len(waf_groups) == 1
    (group_id, group), *_ = waf_groups.items()
    assert template["Resources"][group["KmsKeyId"]["Fn::GetAtt"][0]]["Type"] == "AWS::KMS::Key"
    _, logging = only(template, "AWS::WAFv2::LoggingConfiguration")
    assert logging["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (destination,) = logging["LogDestinationConfigs"]
    assert destination["Fn::Join"][1][-1] == {"Ref": group_id}  # the ARN without CDK's trailing ':*'


def test_net4_blocked_request_spikes_alarm_the_encrypted_alert_topic(
    template: dict[str, Any], settings: EdgeSettings
) -> None:
    topic_id, topic = only(template, "AWS::SNS::Topic")
    assert template["Resources"][topic["KmsMasterKeyId"]["Fn::GetAtt"][0]]["Type"] == "AWS::KMS::Key"
    _, alarm = only(template, "AWS::CloudWatch::Alarm")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"], alarm["Period"]) == (
        "AWS/WAFV2",
        "BlockedRequests",
        "Sum",
        300,
    )
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
        "WebACL": f"{PROD}-edge",
        "Region": "us-east-1",
        "Rule": "ALL",
    }
    assert alarm["Threshold"] == settings.blocked_requests_alarm_threshold
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]


@pytest.mark.parametrize("limit", [9, 0, 2_000_000_001])
def test_net4_probe_rate_limit_outside_wafs_range_is_refused(limit: int) -> None:
    problem = refused(rate_limit_per_5_min=limit)
    assert problem.startswith(f"config error: environments[0] (acme-prod).edge.rate_limit_per_5_min = {limit}: ")
    assert re.search(r"greater than or equal to 10|less than or equal to 2000000000", problem)


# --- ACC-5: passwords, MFA, threat protection, session timeouts -------------------------------------------------


def test_acc5_password_policy_is_14_characters_with_all_classes(template: dict[str, Any]) -> None:
    _, pool = only(template, "AWS::Cognito::UserPool")
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 14
    assert all(policy[f"Require{kind}"] for kind in ("Lowercase", "Uppercase", "Numbers", "Symbols"))


def test_acc5_mfa_is_required_and_totp_only(template: dict[str, Any]) -> None:
    _, pool = only(template, "AWS::Cognito::UserPool")
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_acc5_threat_protection_is_enforced_on_the_plus_plan_and_blocks_compromised_credentials(
    template: dict[str, Any],
) -> None:
    pool_id, pool = only(template, "AWS::Cognito::UserPool")
    assert pool["UserPoolTier"] == "PLUS"  # full-function threat protection needs the Plus plan
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    _, risk = only(template, "AWS::Cognito::UserPoolRiskConfigurationAttachment")
    assert (risk["UserPoolId"], risk["ClientId"]) == ({"Ref": pool_id}, "ALL")
    assert risk["CompromisedCredentialsRiskConfiguration"]["Actions"] == {"EventAction": "BLOCK"}
    assert risk["AccountTakeoverRiskConfiguration"]["Actions"]["HighAction"]["EventAction"] == "BLOCK"


def test_acc5_pool_hides_user_existence_ignores_username_case_and_is_protected(template: dict[str, Any]) -> None:
    _, pool = only(template, "AWS::Cognito::UserPool")
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert pool["DeletionProtection"] == "ACTIVE"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # no self sign-up by default
    _, client = only(template, "AWS::Cognito::UserPoolClient")
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_acc5_token_lifetimes_and_the_session_cookie_come_from_config(
    template: dict[str, Any], settings: EdgeSettings
) -> None:
    _, client = only(template, "AWS::Cognito::UserPoolClient")
    assert client["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"}
    assert client["AccessTokenValidity"] == settings.access_token_minutes
    assert client["IdTokenValidity"] == settings.id_token_minutes
    assert client["RefreshTokenValidity"] == settings.refresh_token_days * 24 * 60
    assert client["EnableTokenRevocation"] is True
    _, listener = only(template, "AWS::ElasticLoadBalancingV2::Listener")
    authenticate = listener["DefaultActions"][0]["AuthenticateCognitoConfig"]
    assert authenticate["SessionTimeout"] == str(settings.session_timeout_minutes * 60)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("access_token_minutes", 4, "greater than or equal to 5"),
        ("id_token_minutes", 1441, "less than or equal to 1440"),
        ("refresh_token_days", 3651, "less than or equal to 3650"),
        ("session_timeout_minutes", 10081, "less than or equal to 10080"),
    ],
)
def test_acc5_probe_session_timeouts_outside_the_service_limits_are_refused(
    field: str, value: int, message: str
) -> None:
    problem = refused(**{field: value})
    assert problem.startswith(f"config error: environments[0] (acme-prod).edge.{field} = {value}: ")
    assert message in problem


# --- ACC-6: only with a valid token -----------------------------------------------------------------------------


def test_acc6_listener_authenticates_through_the_user_pool_before_forwarding(template: dict[str, Any]) -> None:
    pool_id, _ = only(template, "AWS::Cognito::UserPool")
    client_id, _ = only(template, "AWS::Cognito::UserPoolClient")
    domain_id, _ = only(template, "AWS::Cognito::UserPoolDomain")
    target_id, _ = only(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    _, listener = only(template, "AWS::ElasticLoadBalancingV2::Listener")
    authenticate, forward = sorted(listener["DefaultActions"], key=lambda action: action["Order"])
    assert authenticate["Type"] == "authenticate-cognito"
    assert authenticate["AuthenticateCognitoConfig"] | {"SessionTimeout": None} == {
        "OnUnauthenticatedRequest": "authenticate",
        "SessionTimeout": None,
        "UserPoolArn": {"Fn::GetAtt": [pool_id, "Arn"]},
        "UserPoolClientId": {"Ref": client_id},
        "UserPoolDomain": {"Ref": domain_id},
    }
    assert forward == {"Order": 2, "TargetGroupArn": {"Ref": target_id}, "Type": "forward"}


def test_acc6_app_client_uses_only_the_authorization_code_grant_with_a_secret(
    template: dict[str, Any], settings: EdgeSettings
) -> None:
    _, client = only(template, "AWS::Cognito::UserPoolClient")
    assert client["AllowedOAuthFlows"] == ["code"]  # no implicit grant, no client credentials
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["GenerateSecret"] is True  # ALB's authenticate-cognito action is a confidential client
    assert client["AllowedOAuthScopes"] == settings.oauth_scopes
    assert client["SupportedIdentityProviders"] == ["COGNITO"]


def test_acc6_probe_scopes_without_openid_are_refused() -> None:
    assert "must include 'openid'" in refused(oauth_scopes=["email"])


def test_acc6_application_runs_privately_in_the_application_tier(
    template: dict[str, Any], network: dict[str, Any]
) -> None:
    _, service = only(template, "AWS::ECS::Service")
    vpc = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert vpc["AssignPublicIp"] == "DISABLED"
    assert [s["Fn::ImportValue"] for s in vpc["SecurityGroups"]] == [
        "acme-prod-network:ExportsOutputFnGetAttSecurityGroupsApplicationDD598498GroupId298592A0"
    ]
    subnets = [s["Fn::ImportValue"] for s in vpc["Subnets"]]
    assert len(subnets) == 3
    assert all("ApplicationSubnet" in name for name in subnets)
    assert service["PlatformVersion"] == "LATEST"


def test_acc6_application_has_its_own_task_role_non_root_read_only_and_logs_under_a_key(
    template: dict[str, Any],
) -> None:
    _, task = only(template, "AWS::ECS::TaskDefinition")
    assert task["TaskRoleArn"] != task["ExecutionRoleArn"]
    task_role = template["Resources"][task["TaskRoleArn"]["Fn::GetAtt"][0]]["Properties"]
    assert "Policies" not in task_role
    assert "ManagedPolicyArns" not in task_role
    (container,) = task["ContainerDefinitions"]
    assert container["User"] == "1000"
    assert container["ReadonlyRootFilesystem"] is True
    assert container["PortMappings"] == [{"ContainerPort": 443, "Protocol": "tcp"}]
    log_group = template["Resources"][container["LogConfiguration"]["Options"]["awslogs-group"]["Ref"]]
    assert template["Resources"][log_group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]]["Type"] == "AWS::KMS::Key"
    assert of_type(template, "AWS::IAM::Policy") == {}  # no inline policies anywhere in the stack


# --- ACC-7: circle of trust -------------------------------------------------------------------------------------


def test_acc7_callback_and_logout_urls_are_the_exact_allow_list(
    template: dict[str, Any], settings: EdgeSettings
) -> None:
    _, client = only(template, "AWS::Cognito::UserPoolClient")
    assert client["CallbackURLs"] == [
        f"https://{settings.domain}/oauth2/idpresponse",
        *settings.callback_urls,
    ]
    assert client["LogoutURLs"] == [f"https://{settings.domain}/", *settings.logout_urls]
    for url in [*client["CallbackURLs"], *client["LogoutURLs"]]:
        assert url.startswith("https://")
        assert "*" not in url


@pytest.mark.parametrize(
    ("field", "url", "message"),
    [
        ("callback_urls", "https://*.acme.example.com/cb", "wildcards are refused"),
        ("callback_urls", "http://app.acme.example.com/cb", "must use https"),
        ("logout_urls", "https://evil.example.net/bye", "neither the edge domain nor in trusted_hosts"),
        ("callback_urls", "https://app.acme.example.com/cb#frag", "no user info or fragment"),
        ("callback_urls", "https://user@app.acme.example.com/cb", "no user info or fragment"),
    ],
)
def test_acc7_probe_urls_outside_the_circle_of_trust_are_refused(field: str, url: str, message: str) -> None:
    problem = refused(**{field: [url]})
    assert problem.startswith(f"config error: environments[0] (acme-prod).edge.{field}[0] = '{url}': ")
    assert message in problem
    assert "\n" not in problem


def test_acc7_a_trusted_host_may_receive_sign_in_redirects() -> None:
    config = parse_config(
        example_edge(
            trusted_hosts=["portal.partner.example.net"], callback_urls=["https://portal.partner.example.net/"]
        )
    )
    edge = config.environments[0].edge
    assert edge is not None
    assert "https://portal.partner.example.net/" in edge.allowed_callback_urls


def test_acc6_probe_reserved_word_in_the_sign_in_domain_prefix_is_refused() -> None:
    assert "must not contain 'cognito'" in refused(sign_in_domain_prefix="acme-cognito")


def test_net3_below_prod_the_edge_has_no_deletion_protection_and_that_alone_is_acknowledged() -> None:
    """A non-prod edge (not in the example config): no deletion protection, and the packs report nothing else."""
    data = example_edge(app_image=None)
    dev_edge = data["environments"][0].pop("edge")
    dev_edge.update(
        domain="app.globex.example.com",
        hosted_zone_name="globex.example.com",
        sign_in_domain_prefix="globex-dev-sign-in",
        callback_urls=[],
        logout_urls=[],
    )
    data["environments"][1]["edge"] = dev_edge
    env_config = parse_config(data).environments[1]
    stack = tiny_stack()
    app = stack.node.root
    assert isinstance(app, cdk.App)
    network = NetworkStack(app, env_config=env_config)
    edge = EdgeStack(app, env_config=env_config, settings=env_config.edge, network=network)  # type: ignore[arg-type]
    load_balancer = edge.load_balancer.load_balancer.node.default_child
    assert isinstance(load_balancer, elbv2.CfnLoadBalancer)
    assert {"key": "deletion_protection.enabled", "value": "false"} in edge.resolve(
        load_balancer.load_balancer_attributes
    )
    for pack in ("NIST.800.53.R5", "HIPAA.Security"):
        findings = {rule: paths for rule, paths in nag_findings(stack, pack).items() if "-edge/" in str(paths)}
        assert findings == {}, pack


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hosted_zone_id", "example.com", "must be a Route 53 hosted zone ID"),
        ("domain", "App.Acme.Example.Com", "must be a lowercase DNS name"),
        ("blocked_requests_alarm_threshold", 0, "greater than or equal to 1"),
        ("app_image", "acme-portal", "with a tag or a digest"),  # neither a tag nor a digest: not reproducible
        ("sign_in_domain_prefix", "-acme", "not starting or ending with '-'"),
    ],
)
def test_acc6_probe_malformed_edge_values_are_refused(field: str, value: Any, message: str) -> None:
    problem = refused(**{field: value})
    assert problem.startswith(f"config error: environments[0] (acme-prod).edge.{field} = ")
    assert message in problem
