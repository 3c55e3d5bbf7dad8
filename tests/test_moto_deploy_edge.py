"""The acme-prod public edge of the session's moto deployment, read back through the service APIs (ENC-1, NET-3,
NET-4, ACC-5, ACC-6, ACC-7).

moto's CloudFormation builds the load balancer, its HTTPS listener, target group and the ECS service; it has no model
for ACM, Cognito or WAFv2, which the deployment creates from their own template properties through the service APIs
(tests/moto_skipped_security.py) before (certificate, user pool) or after (web ACL) the stack. moto has no Cognito
risk-configuration API: the threat responses stay proven on the template (tests/test_edge_stack.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from config import AppConfig
from config.model import EdgeSettings
from tests.conftest import PROD
from tests.moto_deploy import MotoDeployment, in_account

ACCOUNT = "111122223333"
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")


@pytest.fixture
def edge(moto_deployment: MotoDeployment) -> Iterator[MotoDeployment]:
    assert moto_deployment.statuses[f"{PROD}-edge"] == "CREATE_COMPLETE"
    with in_account(ACCOUNT):
        yield moto_deployment


@pytest.fixture
def settings(example_config: AppConfig) -> EdgeSettings:
    edge_settings = next(e for e in example_config.environments if e.name == PROD).edge
    assert edge_settings is not None
    return edge_settings


def load_balancer() -> dict[str, Any]:
    (found,) = boto3.client("elbv2", region_name="us-east-1").describe_load_balancers()["LoadBalancers"]
    return dict(found)


def user_pool() -> tuple[Any, str]:
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    (pool,) = cognito.list_user_pools(MaxResults=10)["UserPools"]
    return cognito, str(pool["Id"])


def test_enc1_the_alb_listens_only_on_https_with_the_rsa2048_acm_certificate_and_a_tls13_policy(edge: None) -> None:
    elbv2 = boto3.client("elbv2", region_name="us-east-1")
    balancer = load_balancer()
    assert balancer["Scheme"] == "internet-facing"
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTPS", 443)
    assert listener["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
    (certificate,) = listener["Certificates"]
    described = boto3.client("acm", region_name="us-east-1").describe_certificate(
        CertificateArn=certificate["CertificateArn"]
    )["Certificate"]
    assert (described["KeyAlgorithm"], described["Type"]) == ("RSA_2048", "AMAZON_ISSUED")  # ACM renews it
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=balancer["LoadBalancerArn"])["Attributes"]
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"


def test_acc5_acc6_every_request_signs_in_through_the_user_pool_before_it_is_forwarded(edge: None) -> None:
    elbv2 = boto3.client("elbv2", region_name="us-east-1")
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=load_balancer()["LoadBalancerArn"])["Listeners"]
    actions = sorted(listener["DefaultActions"], key=lambda a: a.get("Order", 99))
    assert [a["Type"] for a in actions] == ["authenticate-cognito", "forward"]
    cognito, pool_id = user_pool()
    sign_in = actions[0]["AuthenticateCognitoConfig"]
    assert sign_in["UserPoolArn"] == cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
    assert sign_in["OnUnauthenticatedRequest"] == "authenticate"


def test_acc5_the_user_pool_enforces_its_password_policy_and_totp_mfa(edge: None) -> None:
    cognito, pool_id = user_pool()
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    password = pool["Policies"]["PasswordPolicy"]
    assert password["MinimumLength"] >= 14
    assert all(password[f"Require{kind}"] for kind in ("Uppercase", "Lowercase", "Numbers", "Symbols"))
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["UserPoolAddOns"]["AdvancedSecurityMode"] == "ENFORCED"
    mfa = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)
    assert mfa["MfaConfiguration"] == "ON"
    assert mfa["SoftwareTokenMfaConfiguration"]["Enabled"] is True


def test_acc6_acc7_the_app_client_uses_the_code_flow_and_only_the_allow_listed_urls(
    edge: None, settings: EdgeSettings
) -> None:
    cognito, pool_id = user_pool()
    (summary,) = cognito.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=summary["ClientId"])["UserPoolClient"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthScopes"] == list(settings.oauth_scopes)
    assert client["CallbackURLs"] == settings.allowed_callback_urls
    assert client["LogoutURLs"] == settings.allowed_logout_urls
    assert client["AccessTokenValidity"] <= 60
    assert client["TokenValidityUnits"]["AccessToken"] == "minutes"


def test_net3_net4_the_web_acl_guards_the_alb_with_a_per_ip_rate_limit_and_logs(
    edge: None, settings: EdgeSettings
) -> None:
    waf = boto3.client("wafv2", region_name="us-east-1")
    attached = waf.get_web_acl_for_resource(ResourceArn=load_balancer()["LoadBalancerArn"])["WebACL"]
    rules = {rule["Name"]: rule for rule in attached["Rules"]}
    rate = rules["RateLimitPerClientIp"]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == settings.rate_limit_per_5_min
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert "AWSManagedRulesCommonRuleSet" in rules
    logging = waf.get_logging_configuration(ResourceArn=attached["ARN"])["LoggingConfiguration"]
    (destination,) = logging["LogDestinationConfigs"]
    assert ":log-group:aws-waf-logs-" in destination
