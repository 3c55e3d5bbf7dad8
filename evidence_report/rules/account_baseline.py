"""Readers of the account baseline (stacks `account-<id>-baseline[-dr]`, `deploying-account-baseline[-dr]`):
which regions an environment uses, what each region of its account holds, and what the organization provides.

An organization-managed baseline creates no trail, detector, hub or recorder and says so in its template Metadata
(`AccountBaseline.ProvidedByOrganization`, written by stacks/baseline_base.py; the key is policies/baseline_rules.py's
BASELINE_METADATA, kept equal by a test). Only account-level stacks of the environment's own account count.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from evidence_report.assembly import Resource, Stack
from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.rules.reading import is_custom_resource, text_of

BASELINE_METADATA: Final = "AccountBaseline"
SDK_CALL_PHASES: Final = ("Create", "Update")


def environment_regions(env: EnvironmentView) -> list[str]:
    """The regions the environment's own stacks deploy to (home and DR)."""
    return sorted({stack.region for stack in env.stacks if stack.environment == env.name})


def in_region(env: EnvironmentView, region: str, *types: str) -> list[Resource]:
    return [r for stack in env.stacks if stack.region == region for r in stack.resources(*types)]


def organization_provider(env: EnvironmentView, service: str, region: str | None = None) -> Stack | None:
    """The account-level stack of this account (and region, if given) whose Metadata says the organization provides
    `service` (CloudTrail, GuardDuty, SecurityHub, Config), if any."""
    for stack in env.stacks:
        if stack.environment is not None or (region is not None and stack.region != region):
            continue
        baseline = (stack.template.get("Metadata") or {}).get(BASELINE_METADATA) or {}
        if service in (baseline.get("ProvidedByOrganization") or []):
            return stack
    return None


def per_region(
    env: EnvironmentView, out: Evidence, *, service: str | None, what: str, find: Callable[[str], list[Resource]]
) -> dict[str, list[Resource]]:
    """Region -> what `find` returns there, for each region of the environment. A region where it finds nothing is
    provided by the organization (when `service` is one the baseline's Metadata names) or a problem."""
    found: dict[str, list[Resource]] = {}
    for region in environment_regions(env):
        resources = find(region)
        if resources:
            found[region] = resources
            continue
        provider = organization_provider(env, service, region) if service else None
        if provider is not None and service is not None:
            out.provided_by_organization(provider, service, f"{what} in {region}")
        else:
            out.problem(f"no {what} in {region}, a region of the environment, in its account")
    return found


def sdk_calls(resource: Resource) -> dict[str, dict[str, Any]]:
    """Phase (Create, Update) -> the parsed SDK call of an `AwsCustomResource` (`Custom::AWS`); token references read
    as `${Name}`. Empty for other resources."""
    if not is_custom_resource(resource):
        return {}
    calls = {}
    for phase in SDK_CALL_PHASES:
        raw = resource.properties.get(phase)
        if raw is None:
            continue
        try:
            call = json.loads(text_of(raw))
        except json.JSONDecodeError:
            continue
        if isinstance(call, dict):
            calls[phase] = call
    return calls


def enabled_features(detector: Resource) -> dict[str, set[str]]:
    """GuardDuty feature name -> its additional configurations, for the features with Status ENABLED."""
    features: dict[str, set[str]] = {}
    for feature in detector.get("Features", []):
        if isinstance(feature, dict) and feature.get("Status") == "ENABLED":
            features[str(feature.get("Name"))] = {
                str(extra.get("Name"))
                for extra in feature.get("AdditionalConfiguration", [])
                if isinstance(extra, dict) and extra.get("Status") == "ENABLED"
            }
    if detector.get("DataSources.MalwareProtection.ScanEc2InstanceWithFindings.EbsVolumes") is True:
        features.setdefault("EBS_MALWARE_PROTECTION", set())
    return features
