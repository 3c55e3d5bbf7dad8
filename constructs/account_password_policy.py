"""The IAM account password policy (ACC-5), CIS level: 14+ characters, every character class, 24 remembered.

Decision: passwords do not expire (no `MaxPasswordAge`). NIST SP 800-63B (rev. 4, section 3.1.1.2) says verifiers
SHALL NOT require periodic password changes and SHALL force a change on evidence of compromise; the CIS AWS
Foundations Benchmark removed its 90-day expiry recommendation (1.11 in v1.2.0) from v1.4.0 on, and Security Hub
IAM.7 leaves the maximum age optional. Forced rotation pushes people to predictable variants, and here console access
is through roles (ACC-8), so few IAM user passwords exist at all. A compromised password is changed when GuardDuty or
the credential report says so, not on a calendar. Scanners that still test a 90-day expiry (e.g. Prowler's
iam_password_policy_expires_passwords_within_90_days_or_less) report this decision, recorded in
docs/baseline-decisions.md.

CloudFormation has no resource for it; an `AwsCustomResource` calls UpdateAccountPasswordPolicy on create and
update, and is allowed exactly that action. Deleting the stack keeps the policy, as it keeps EBS encryption by default
and the account's public access block: removing the baseline must not drop the account to IAM's defaults
(docs/baseline-decisions.md).
"""

from __future__ import annotations

from typing import Final

from aws_cdk import aws_iam as iam

from constructs import Construct
from constructs.account_sdk_call import AccountSdkCalls

# CIS AWS Foundations 1.8 and 1.9 (Security Hub IAM.15, IAM.16) and IAM.7's character classes; no MaxPasswordAge:
# no forced expiry (the decision above: NIST SP 800-63B forbids periodic changes, CIS dropped its 90 days).
PASSWORD_POLICY: Final = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "PasswordReusePrevention": 24,
}
ACTIONS: Final = ("iam:UpdateAccountPasswordPolicy",)


class AccountPasswordPolicy(Construct):
    """Exposes `resource` (the custom resource)."""

    def __init__(self, scope: Construct, construct_id: str, *, calls: AccountSdkCalls) -> None:
        super().__init__(scope, construct_id)
        self.resource = calls.call(
            self,
            "Resource",
            service="IAM",
            action="updateAccountPasswordPolicy",
            parameters=PASSWORD_POLICY,
            physical_id="account-password-policy",
            # IAM's password-policy action takes no resource ARN: "*" is the only resource they accept.
            statements=[iam.PolicyStatement(actions=list(ACTIONS), resources=["*"])],
        )
