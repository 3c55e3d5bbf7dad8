"""A service principal carrying the trust conditions AWS documents for it (ACC-3), from policies/service_trust.py."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs import IConstruct
from policies.service_trust import trust_conditions


def trusted_service(scope: IConstruct, service: str, *, name: str = "*") -> iam.ServicePrincipal:
    """`service` as a role's trusted principal, bound to this stack's account (and source ARN where documented).

    `name` narrows a documented source ARN to one resource (e.g. the monitored DB instance).
    """
    stack = cdk.Stack.of(scope)
    conditions = trust_conditions(
        service, partition=stack.partition, region=stack.region, account=stack.account, name=name
    )
    return iam.ServicePrincipal(service, conditions=conditions)
