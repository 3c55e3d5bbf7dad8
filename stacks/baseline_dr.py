"""BaselineDrStack: the account baseline in the DR region (NET-4, NET-5, NET-6, ACC-8, ENC-3, CMP-1).

A GuardDuty detector, Security Hub, an AWS Config recorder without global types (the home region records them
once), Inspector, Access Analyzer and EBS encryption by default, with their own alert topic: SNS topics are
regional, and EventBridge rules target only topics of their region. It deploys after the home-region baseline,
which owns the Config service-linked role and the Config bucket this region's Config delivers to.
"""

from __future__ import annotations

from typing import Any

from config import AccountSettings
from constructs import Construct
from constructs.purpose_keys import PurposeKeys, logs_service_use
from stacks.baseline import BaselineStack
from stacks.baseline_base import AccountBaselineStack


class BaselineDrStack(AccountBaselineStack):
    def __init__(self, scope: Construct, *, settings: AccountSettings, home: BaselineStack, **kwargs: Any) -> None:
        super().__init__(
            scope,
            f"{home.stack_name}-dr",
            settings=settings,
            region=settings.dr_region,
            description="account security baseline, DR region",
            **kwargs,
        )
        self.add_stack_dependency(home, "the Config service-linked role and the Config bucket live in the home region")
        self.keys = PurposeKeys(
            self,
            "Keys",
            alias_prefix="baseline",
            purposes={"logs": [], "alerts": ["sns"]},
            service_users={"logs": [logs_service_use(self)]},  # the alert topic admits its publishers (ENC-3)
        )
        self.add_regional_services(keys=self.keys)
