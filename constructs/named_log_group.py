"""A log group with a fixed name (a service writes to that name, or operators look it up), encrypted, retained.

A fixed name is create-only, so a retained group left behind by a failed first create would make the retry fail
with "already exists": it is retained on update and on delete, not on a failed create (`RETAIN_ON_UPDATE_OR_DELETE`,
the rule ProjectDeployReadiness holds every fixed-name retained resource to).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from constructs import Construct


def named_log_group(
    scope: Construct, construct_id: str, *, name: str, key: kms.IKey, retention: logs.RetentionDays
) -> logs.LogGroup:
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        encryption_key=key,
        retention=retention,
        removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    )
