"""What every region of an account's security baseline holds (NET-4, NET-5, NET-6, ACC-8, ENC-3, CMP-1).

These services are account-and-region singletons, so there is one baseline per account (config `accounts`), never
one per environment: a second GuardDuty detector, Security Hub or Config recorder in a region would fail to
deploy. The home-region stack (stacks/baseline.py) adds the account-wide parts; the DR-region stack
(stacks/baseline_dr.py) only this.

With `organization_managed`, the organization provides CloudTrail, GuardDuty, Security Hub and AWS Config: the
stack creates none of them and says so in its description, an output and its template Metadata
(`AccountBaseline.ProvidedByOrganization`), which the ACC-4 / NET-5 app check (policies/baseline_rules.py) reads.
"""

from __future__ import annotations

from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_accessanalyzer as accessanalyzer

from config import AccountSettings
from constructs import Construct
from constructs.account_hardening import EbsEncryptionByDefault
from constructs.account_sdk_call import AccountSdkCalls
from constructs.finding_alerts import FindingAlerts
from constructs.posture_standards import ConfigRecorder, SecurityHubStandards
from constructs.purpose_keys import PurposeKeys
from constructs.threat_detection import GuardDutyDetector, InspectorScanning
from policies.baseline_rules import BASELINE_METADATA, ORGANIZATION_SERVICES
from stacks.environment_stack import log_retention

BASELINE_TAG: Final = "account-baseline"


def baseline_name(settings: AccountSettings) -> str:
    """CloudFormation stack names start with a letter, so the account id cannot lead."""
    return f"account-{settings.account}-baseline" if settings.account else "deploying-account-baseline"


def audit_bucket_name(settings: AccountSettings, account: str) -> str:
    """The trail's Object Lock bucket (ACC-4)."""
    return f"baseline-audit-{account}-{settings.home_region}"


def config_bucket_name(settings: AccountSettings, account: str) -> str:
    """Deterministic, so the DR region's Config delivery channel names it without a cross-region reference."""
    return f"baseline-config-{account}-{settings.home_region}"


class AccountBaselineStack(cdk.Stack):
    """A baseline stack of one account in one region; `alert_keys` and `alerts` (FindingAlerts) are set here."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AccountSettings,
        region: str,
        description: str,
        **kwargs: Any,
    ) -> None:
        provider = "the organization provides CloudTrail, GuardDuty, Security Hub and AWS Config (none created here)"
        super().__init__(
            scope,
            construct_id,
            stack_name=construct_id,  # the same name standalone and inside a pipeline's cdk.Stage
            env=cdk.Environment(account=settings.account, region=region),
            description=f"{construct_id}: {description}; "
            + (provider if settings.organization_managed else "creates its own trail, detector, hub and recorder"),
            termination_protection=True,
            analytics_reporting=False,
            **kwargs,
        )
        self.settings = settings
        self.is_home = region == settings.home_region
        provided = list(ORGANIZATION_SERVICES) if settings.organization_managed else []
        self.add_metadata(BASELINE_METADATA, {"ProvidedByOrganization": provided})
        cdk.CfnOutput(
            self,
            "SecurityServicesProvider",
            description="Who provides CloudTrail, GuardDuty, Security Hub and AWS Config here (ACC-4, NET-5, CMP-1)",
            value="organization" if settings.organization_managed else "this stack",
        )
        for key, value in {"managed-by": "cdk", BASELINE_TAG: construct_id}.items():
            cdk.Tags.of(self).add(key, value)

    def add_regional_services(self, *, keys: PurposeKeys) -> None:
        """Alerts, detection and posture of this region; `keys.keys['alerts']` encrypts the topic, `['logs']` logs."""
        settings = self.settings
        self.sdk_calls = AccountSdkCalls(
            self,
            "AccountSettingsCalls",
            logs_key=keys.keys["logs"],
            log_retention=log_retention(settings.log_retention_days),
        )
        self.alerts = FindingAlerts(
            self,
            "FindingAlerts",
            display_name=f"{self.stack_name} security findings",
            key=keys.keys["alerts"],
            email=str(settings.alert_email),
        )
        if not settings.organization_managed:
            self.detector: GuardDutyDetector | None = GuardDutyDetector(self, "GuardDuty")
            self.security_hub: SecurityHubStandards | None = SecurityHubStandards(self, "SecurityHub")
            self.config_recorder: ConfigRecorder | None = ConfigRecorder(
                self,
                "Config",
                bucket_name=config_bucket_name(settings, self.account),
                include_global_resource_types=self.is_home,
            )
            for standard in self.security_hub.standards.values():
                standard.node.add_dependency(self.config_recorder.recorder)
        else:
            self.detector = self.security_hub = self.config_recorder = None
        InspectorScanning(self, "Inspector", calls=self.sdk_calls)
        accessanalyzer.CfnAnalyzer(self, "AccessAnalyzer", type="ACCOUNT")
        EbsEncryptionByDefault(self, "EbsEncryptionByDefault", calls=self.sdk_calls)
