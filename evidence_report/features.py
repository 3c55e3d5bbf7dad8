"""Which optional features (config/catalog.toml `features`) an environment builds, read from its templates.

The public edge is optional per environment (config `edge` section). Where it is built, its promises (ACC-6, ACC-7
and the edge parts of ACC-5, ENC-1, NET-3, NET-4) bind and a broken edge is "not met"; where it is not, they are
"not applicable", with the catalog's reason. Any trace of an edge counts as built, so deleting part of an edge never
turns "not met" into "not applicable".
"""

from __future__ import annotations

from collections.abc import Callable

from evidence_report.assembly import Resource
from evidence_report.evidence import EnvironmentView

EDGE_TYPES = (
    "AWS::CertificateManager::Certificate",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
)


def _public(resource: Resource) -> bool:
    if resource.type in EDGE_TYPES:
        return True
    return (
        resource.type == "AWS::ElasticLoadBalancingV2::LoadBalancer"
        and resource.get("Scheme", "internet-facing") == "internet-facing"
    )


def has_public_edge(env: EnvironmentView) -> bool:
    """An `<environment>-edge` stack, or any internet-facing load balancer, certificate, web ACL or user pool."""
    own = [stack for stack in env.stacks if stack.environment == env.name]
    return any(stack.name == f"{env.name}-edge" for stack in own) or any(
        _public(resource) for stack in own for resource in stack.resources()
    )


DETECTORS: dict[str, Callable[[EnvironmentView], bool]] = {"edge": has_public_edge}


def built_features(env: EnvironmentView) -> frozenset[str]:
    return frozenset(name for name, detect in DETECTORS.items() if detect(env))
