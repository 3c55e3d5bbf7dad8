"""Sign-in for the edge (ACC-5, ACC-6, ACC-7): a Cognito user pool, its domain and one OAuth 2.0 app client.

User pool (ACC-5): passwords of at least 14 characters with all four character classes and no reuse of the last
  12; MFA required, TOTP only (no SMS, no e-mail codes); threat protection enforced in full-function mode, which
  needs the Plus feature plan (aws-cdk-lib 2.275 `standard_threat_protection_mode`: "only functions if your
  FeaturePlan is set to FeaturePlan.PLUS"), with compromised credentials blocked and high-risk sign-ins blocked;
  case-insensitive usernames; self sign-up off unless configured; deletion protection; retained on delete.
App client (ACC-6, ACC-7): the authorization code grant only (no implicit grant, no client credentials), a client
  secret (the load balancer is a confidential client and ALB's authenticate-cognito action requires one), the
  configured scopes, exact https callback and logout URLs (config refuses anything else), token lifetimes from
  config, token revocation on, and no user-existence disclosure.
PKCE: Cognito accepts a `code_challenge` on any authorization request but has no app-client setting that makes PKCE
  mandatory (no such property in the UserPoolClient API or CloudFormation schema). This client is confidential:
  the code can be redeemed only with the client secret, held by the load balancer, which is what PKCE protects for a
  public client. A public client added later should send PKCE itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito

from config.limits import COGNITO_PASSWORD_MIN_LENGTH
from constructs import Construct

PASSWORD_HISTORY = 12


class SignIn(Construct):
    """Exposes `user_pool`, `client`, `domain` and `risk_configuration`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment_name: str,
        domain_prefix: str,
        scopes: Sequence[str],
        callback_urls: Sequence[str],
        logout_urls: Sequence[str],
        access_token_validity: cdk.Duration,
        id_token_validity: cdk.Duration,
        refresh_token_validity: cdk.Duration,
        self_sign_up: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=f"{environment_name}-users",
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            password_policy=cognito.PasswordPolicy(
                min_length=COGNITO_PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                password_history_size=PASSWORD_HISTORY,
                temp_password_validity=cdk.Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False, email=False),
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            sign_in_case_sensitive=False,
            self_sign_up_enabled=self_sign_up,
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=domain_prefix)
        )
        self.client = self.user_pool.add_client(
            "LoadBalancer",
            user_pool_client_name=f"{environment_name}-edge",
            generate_secret=True,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(
                    authorization_code_grant=True, implicit_code_grant=False, client_credentials=False
                ),
                scopes=[cognito.OAuthScope.custom(name) for name in scopes],
                callback_urls=list(callback_urls),
                logout_urls=list(logout_urls),
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            auth_flows=cognito.AuthFlow(user_srp=True),
            access_token_validity=access_token_validity,
            id_token_validity=id_token_validity,
            refresh_token_validity=refresh_token_validity,
            enable_token_revocation=True,
            prevent_user_existence_errors=True,
        )
        # ACC-5 / NET-4: what threat protection does on its own, for every app client of the pool.
        self.risk_configuration = cognito.CfnUserPoolRiskConfigurationAttachment(
            self,
            "ThreatResponses",
            user_pool_id=self.user_pool.user_pool_id,
            client_id="ALL",
            compromised_credentials_risk_configuration=cognito.CfnUserPoolRiskConfigurationAttachment.CompromisedCredentialsRiskConfigurationTypeProperty(
                actions=cognito.CfnUserPoolRiskConfigurationAttachment.CompromisedCredentialsActionsTypeProperty(
                    event_action="BLOCK"
                ),
                event_filter=["SIGN_IN", "PASSWORD_CHANGE", "SIGN_UP"],
            ),
            account_takeover_risk_configuration=cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverRiskConfigurationTypeProperty(
                actions=cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverActionsTypeProperty(
                    low_action=_takeover_action("MFA_IF_CONFIGURED"),
                    medium_action=_takeover_action("MFA_REQUIRED"),
                    high_action=_takeover_action("BLOCK"),
                )
            ),
        )


def _takeover_action(action: str) -> cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverActionTypeProperty:
    return cognito.CfnUserPoolRiskConfigurationAttachment.AccountTakeoverActionTypeProperty(
        event_action=action, notify=False
    )
