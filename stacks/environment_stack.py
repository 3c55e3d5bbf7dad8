"""The base of every stack of one environment: where it runs, how it is tagged, how it is protected."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_logs as logs

from config import EnvironmentConfig
from config.limits import ENVIRONMENT_TAG, LOG_RETENTION_DAYS
from constructs import Construct

# jsii's Python enum has names for values; CloudWatch's allowed day counts map onto it in order.
_RETENTION_BY_DAYS = dict(zip(LOG_RETENTION_DAYS, list(logs.RetentionDays)[: len(LOG_RETENTION_DAYS)], strict=True))


def log_retention(days: int) -> logs.RetentionDays:
    """The CDK retention for a validated number of days (config allows only CloudWatch's values)."""
    return _RETENTION_BY_DAYS[days]


def environment_tags(env_config: EnvironmentConfig) -> dict[str, str]:
    """Tags on every resource, so cost, ownership and data classification are visible in any account view."""
    return {
        "tenant": env_config.tenant,
        "stage": env_config.stage,
        ENVIRONMENT_TAG: env_config.name,
        "owner": env_config.owner,
        "data-classification": env_config.data_classification,
        "managed-by": "cdk",
    }


class EnvironmentStack(cdk.Stack):
    """A stack of one environment, named `<tenant>-<stage>-<purpose>`.

    Availability zones come from config, never from a lookup, so `cdk synth` needs no AWS credentials (LOC-1).
    Production stacks have termination protection.
    """

    def __init__(
        self,
        scope: Construct,
        purpose: str,
        *,
        env_config: EnvironmentConfig,
        description: str,
        region: str | None = None,
        **kwargs: Any,
    ) -> None:
        region = region or env_config.region
        super().__init__(
            scope,
            f"{env_config.name}-{purpose}",
            # Explicit, so the name stays `<tenant>-<stage>-<purpose>` inside a pipeline's cdk.Stage too (which
            # would otherwise prefix the stage's name).
            stack_name=f"{env_config.name}-{purpose}",
            env=cdk.Environment(account=env_config.account, region=region),
            description=f"{env_config.name}: {description}",
            termination_protection=env_config.is_production,
            analytics_reporting=False,
            **kwargs,
        )
        self.env_config = env_config
        self._zones = (
            list(env_config.availability_zones)
            if region == env_config.region
            else [f"{region}{letter}" for letter in "abc"]
        )
        for key, value in environment_tags(env_config).items():
            cdk.Tags.of(self).add(key, value)

    @property
    def availability_zones(self) -> list[str]:
        """Pinned zones: overriding this property is what keeps the VPC from looking them up."""
        return list(self._zones)
