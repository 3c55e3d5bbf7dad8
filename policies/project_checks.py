"""Our own rule pack, `Project`: promises the published packs do not check, read from the synthesized templates.

- Project-NET1-DataTierNoRoutes: a data-tier route table holds no route at all (only the implicit local
  route and gateway-endpoint routes), so the data tier can reach neither an internet nor a NAT gateway.
- Project-NET3-IngressByReference: application and database security groups admit traffic only from other
  security groups, never from a CIDR; no security group admits 0.0.0.0/0 or ::/0 except an edge group on 443.
- Project-BAK4-RdsPointInTimeWindow: RDS keeps at least seven days of automated backups.
- Project-ENC4-CodeBuildSourceAuthorized: no CodeBuild source URL carries sign-in information, and a GitHub, GitLab
  or Bitbucket source authenticates through OAuth, a CodeConnections connection or a Secrets Manager secret (it
  replaces the HIPAA and PCI packs' CodeBuildProjectSourceRepoUrl, policies/rule_exclusions.py says why).
- Project-NET5-LambdaRuntimeSupported, Project-ACC3-RoleNotWildcardAdmin, Project-CMP1-FunctionRoleInTemplate:
  every Lambda function and IAM role, including the CDK's own provider functions and roles that cdk-nag never
  inspects (policies/function_checks.py says why).

Tiers and roles are read from the `tier` and `sg-role` tags our constructs put on route tables, subnets and
security groups, which the templates carry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import jsii
from aws_cdk import IPolicyValidationPlugin

from config import limits
from config.limits import SG_ROLE_TAG, TIER_TAG
from policies.function_checks import deprecated_runtimes, functions_outside_scope, wildcard_admin_roles
from policies.template_rules import Location, Template, TemplateRule, TemplateRulePlugin, each_template, resource_tags


def resources(template: Template, *types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(logical id, properties) of every resource of these types."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") in types:
            yield logical_id, resource.get("Properties") or {}


def referenced(template: Template, value: Any) -> tuple[str, dict[str, Any]] | None:
    """The resource a `Ref` or `Fn::GetAtt` points at in the same template, or None (a literal, an import)."""
    if isinstance(value, Mapping) and "Ref" in value:
        logical_id = value["Ref"]
    elif isinstance(value, Mapping) and "Fn::GetAtt" in value:
        logical_id = value["Fn::GetAtt"][0]
    else:
        return None
    resource = (template.get("Resources") or {}).get(logical_id)
    return (logical_id, resource) if resource is not None else None


REFERENCE_ONLY_ROLES = frozenset({"application", "database"})
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
EDGE_OPEN_PORT = 443


def data_tier_has_no_routes(template: Template) -> Iterator[Location]:
    for logical_id, properties in resources(template, "AWS::EC2::Route"):
        table = referenced(template, properties.get("RouteTableId"))
        if table is not None and resource_tags(table[1]).get(TIER_TAG) == "data":
            yield logical_id, "Properties/RouteTableId"


def _ingress_rules(template: Template) -> Iterator[tuple[str, str | None, Mapping[str, Any], str]]:
    """(logical id, role of the group admitting, rule, location) for every ingress rule in the template."""
    for logical_id, properties in resources(template, "AWS::EC2::SecurityGroup"):
        role = resource_tags({"Properties": properties}).get(SG_ROLE_TAG)
        for index, rule in enumerate(properties.get("SecurityGroupIngress") or []):
            yield logical_id, role, rule, f"Properties/SecurityGroupIngress/{index}"
    for logical_id, properties in resources(template, "AWS::EC2::SecurityGroupIngress"):
        group = referenced(template, properties.get("GroupId"))
        role = resource_tags(group[1]).get(SG_ROLE_TAG) if group is not None else None
        yield logical_id, role, properties, "Properties"


def ingress_only_by_reference(template: Template) -> Iterator[Location]:
    for logical_id, role, rule, location in _ingress_rules(template):
        cidrs = {rule.get("CidrIp"), rule.get("CidrIpv6")} - {None}
        if not cidrs:
            continue
        edge_listener = role == "edge" and rule.get("FromPort") == rule.get("ToPort") == EDGE_OPEN_PORT
        if role in REFERENCE_ONLY_ROLES or (cidrs & OPEN_CIDRS and not edge_listener):
            yield logical_id, location


def rds_keeps_a_week_of_backups(template: Template) -> Iterator[Location]:
    for logical_id, properties in resources(template, "AWS::RDS::DBInstance"):
        retention = properties.get("BackupRetentionPeriod")
        days = int(retention) if isinstance(retention, (int, str)) and str(retention).isdigit() else None
        if days is None or days < limits.RDS_BACKUP_RETENTION_MIN:
            yield logical_id, "Properties/BackupRetentionPeriod"


REPOSITORY_SOURCES = frozenset({"GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET", "GITLAB", "GITLAB_SELF_MANAGED"})
AUTHORIZED_SOURCE_AUTH = frozenset({"OAUTH", "CODECONNECTIONS", "SECRETS_MANAGER"})


def codebuild_sources_authorized(template: Template) -> Iterator[Location]:
    """AWS Config's codebuild-project-source-repo-url-check, and an authorization for repository sources (ENC-4)."""
    for logical_id, properties in resources(template, "AWS::CodeBuild::Project"):
        sources = [("Properties/Source", properties.get("Source") or {})] + [
            (f"Properties/SecondarySources/{index}", source)
            for index, source in enumerate(properties.get("SecondarySources") or [])
        ]
        for location, source in sources:
            url = source.get("Location")
            signed_in = isinstance(url, str) and "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]
            auth = (source.get("Auth") or {}).get("Type")
            if signed_in or (source.get("Type") in REPOSITORY_SOURCES and auth not in AUTHORIZED_SOURCE_AUTH):
                yield logical_id, location


@jsii.implements(IPolicyValidationPlugin)
class ProjectChecks(TemplateRulePlugin):
    """The pack named `Project`; its findings are acknowledged as `Project::<rule>`."""

    NAME = "Project"
    VERSION = "4"
    RULES = (
        TemplateRule(
            "Project-NET1-DataTierNoRoutes",
            "NET-1: a data-tier route table has a route (to the internet, a NAT gateway or elsewhere).",
            "The data tier must be isolated: only the local route and gateway-endpoint routes are allowed.",
            each_template(data_tier_has_no_routes),
        ),
        TemplateRule(
            "Project-NET3-IngressByReference",
            "NET-3: a security group admits a CIDR where it must reference a security group, or admits the internet.",
            "Application and database groups admit only other security groups; only an edge group may admit "
            "0.0.0.0/0 or ::/0, and only on 443.",
            each_template(ingress_only_by_reference),
        ),
        TemplateRule(
            "Project-BAK4-RdsPointInTimeWindow",
            f"BAK-4: the database keeps fewer than {limits.RDS_BACKUP_RETENTION_MIN} days of automated backups.",
            "Point-in-time recovery needs automated backups with a retention of at least a week.",
            each_template(rds_keeps_a_week_of_backups),
        ),
        TemplateRule(
            "Project-ENC4-CodeBuildSourceAuthorized",
            "ENC-4: a CodeBuild source URL carries sign-in information, or a GitHub, GitLab or Bitbucket source has "
            "no OAuth, CodeConnections or Secrets Manager authorization.",
            "Remove the credentials from the URL; reach the repository through a CodeConnections connection (or the "
            "pipeline's source action) or a Secrets Manager secret.",
            each_template(codebuild_sources_authorized),
        ),
        TemplateRule(
            "Project-NET5-LambdaRuntimeSupported",
            "NET-5: a Lambda function (the CDK's own provider functions included) runs a deprecated runtime, which "
            "receives no security patches.",
            "Upgrade aws-cdk-lib (for its provider functions) or set a supported runtime.",
            each_template(deprecated_runtimes),
        ),
        TemplateRule(
            "Project-ACC3-RoleNotWildcardAdmin",
            "ACC-3: an IAM role (the CDK's own provider roles included) may do anything: Action * on Resource *, or "
            "an AWS administrator policy.",
            "Grant the actions the role's function or service calls, on the resources it touches.",
            each_template(wildcard_admin_roles),
        ),
        TemplateRule(
            "Project-CMP1-FunctionRoleInTemplate",
            "CMP-1: a Lambda function's execution role is not a role of its template trusted only by Lambda, so no "
            "rule of this project inspects what it may do.",
            "Give the function its own role in the same stack, trusted by lambda.amazonaws.com only.",
            each_template(functions_outside_scope),
        ),
    )
