"""ACC-4 / NET-5: an alert that listens for CloudTrail or GuardDuty events needs a trail or a detector behind it.

EventBridge receives `AWS API Call via CloudTrail` events only where a trail records them, and `GuardDuty Finding`
events only where a detector runs: without them the rule is a promise with nothing behind it (the bastion's
key-pair, Instance Connect and brute-force alerts were exactly that). This plugin reads the synthesized templates
and the assembly manifest: each such rule's account must have, in some template of the same account, an
`AWS::CloudTrail::Trail` (a multi-region trail covers every region) or a detector in the rule's region, or a
baseline whose Metadata says the organization provides the service (`organization_managed`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import aws_cdk as cdk
import jsii

from policies.template_rules import Finding, TemplateRule, TemplateRulePlugin, Templates

BASELINE_METADATA: Final = "AccountBaseline"
ORGANIZATION_SERVICES: Final = ("CloudTrail", "GuardDuty", "SecurityHub", "Config")
CLOUDTRAIL_RULE: Final = "Project-ACC4-CloudTrailRuleNeedsATrail"
GUARDDUTY_RULE: Final = "Project-NET5-GuardDutyRuleNeedsADetector"
CLOUDTRAIL_EVENTS: Final = "AWS API Call via CloudTrail"
GUARDDUTY_EVENTS: Final = "GuardDuty Finding"


def _environments(template_paths: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Template path -> (account, region) from the assembly manifest next to it; unknown when there is none."""
    found: dict[str, tuple[str, str]] = {}
    for manifest in {Path(path).with_name("manifest.json") for path in template_paths}:  # one per assembly folder
        if not manifest.is_file():
            continue
        for artifact in json.loads(manifest.read_text(encoding="utf-8")).get("artifacts", {}).values():
            template = (artifact.get("properties") or {}).get("templateFile")
            environment = artifact.get("environment", "aws://unknown-account/unknown-region")
            if template:
                account, region = environment.removeprefix("aws://").split("/", 1)
                found[str(manifest.with_name(template))] = (account, region)
    return found


def _listens_for(resource: dict[str, Any]) -> set[str]:
    if resource.get("Type") != "AWS::Events::Rule":
        return set()
    detail_types = (resource.get("Properties", {}).get("EventPattern") or {}).get("detail-type") or []
    return {kind for kind in (CLOUDTRAIL_EVENTS, GUARDDUTY_EVENTS) if kind in detail_types}


def unbacked_rules(
    templates: Mapping[str, dict[str, Any]], environments: dict[str, tuple[str, str]]
) -> Iterator[tuple[str, str, str]]:
    """Yield (rule name, template path, logical id) for each CloudTrail or GuardDuty rule with nothing behind it."""
    trails: set[str] = set()  # accounts
    detectors: set[tuple[str, str]] = set()  # (account, region)
    for path, template in templates.items():
        account, region = environments.get(path, ("unknown-account", "unknown-region"))
        provided = ((template.get("Metadata") or {}).get(BASELINE_METADATA) or {}).get("ProvidedByOrganization", [])
        types = {resource.get("Type") for resource in (template.get("Resources") or {}).values()}
        if "AWS::CloudTrail::Trail" in types or "CloudTrail" in provided:
            trails.add(account)
        if "AWS::GuardDuty::Detector" in types or "GuardDuty" in provided:
            detectors.add((account, region))
    for path, template in templates.items():
        account, region = environments.get(path, ("unknown-account", "unknown-region"))
        for logical_id, resource in (template.get("Resources") or {}).items():
            kinds = _listens_for(resource)
            if CLOUDTRAIL_EVENTS in kinds and account not in trails:
                yield CLOUDTRAIL_RULE, path, logical_id
            if GUARDDUTY_EVENTS in kinds and (account, region) not in detectors:
                yield GUARDDUTY_RULE, path, logical_id


DESCRIPTIONS: Final = {
    CLOUDTRAIL_RULE: (
        "ACC-4: a rule listens for CloudTrail API-call events, but no trail records this account's events.",
        "Deploy the account baseline (its multi-region trail) with this app, or mark the account organization-managed.",
    ),
    GUARDDUTY_RULE: (
        "NET-5: a rule listens for GuardDuty findings, but no GuardDuty detector runs in its account and region.",
        "Deploy the account baseline in this region (its detector), or mark the account organization-managed.",
    ),
}


def _backing(rule: str) -> Callable[[Templates], list[Finding]]:
    """The `rule` findings of `unbacked_rules`, each an EventBridge rule whose source has no backing service."""
    return lambda templates: [
        Finding(template_path=path, logical_id=logical_id, message="EventPattern")
        for found, path, logical_id in unbacked_rules(templates, _environments(templates))
        if found == rule
    ]


@jsii.implements(cdk.IPolicyValidationPlugin)
class BaselineRules(TemplateRulePlugin):
    """A policy-validation plugin, registered with the other gates (policies/packs.py)."""

    NAME = "ProjectBaselineRules"
    VERSION = "1.0.0"
    RULES = tuple(
        TemplateRule(rule, description, fix, _backing(rule)) for rule, (description, fix) in DESCRIPTIONS.items()
    )
