"""Every environment's stacks (issue 2): names that sort and read well, tags on every resource, no lookups."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from tests.conftest import DEV, PROD, Synthesized
from tests.probes import tiny_stack

PURPOSES = ("backup", "backup-dr", "bastion", "data", "data-dr", "network")
BASELINES = (
    "account-111122223333-baseline",
    "account-111122223333-baseline-dr",
    "deploying-account-baseline",
    "deploying-account-baseline-dr",
)
TAG_KEYS = {"tenant", "stage", "environment", "owner", "data-classification", "managed-by"}


def test_acc1_each_environment_has_its_own_named_stacks(synthesized: Synthesized) -> None:
    environment_stacks = [f"{env}-{purpose}" for env in (PROD, DEV) for purpose in PURPOSES]
    assert synthesized.stack_names() == sorted([*environment_stacks, f"{PROD}-edge", *BASELINES])  # prod has an edge


def test_acc1_every_taggable_resource_carries_the_environment_tags(synthesized: Synthesized) -> None:
    checked = 0
    for name in synthesized.stack_names():
        if name in BASELINES:
            continue  # account-wide, not an environment's: tests/test_baseline_stack.py checks their tags
        environment = name.rsplit("-", 2)[0] if name.endswith("-dr") else name.rsplit("-", 1)[0]
        for logical_id, resource in synthesized.template_json(name)["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if not isinstance(tags, list) or not tags or "Key" not in tags[0]:
                continue  # not taggable, or a map-style tag property
            values = {tag["Key"]: tag["Value"] for tag in tags}
            assert values.keys() >= TAG_KEYS, f"{name}/{logical_id}"
            assert values["environment"] == environment, f"{name}/{logical_id}"
            checked += 1
    assert checked > 100, "the check must have looked at the app's taggable resources"


def test_loc1_synth_made_no_context_lookups(synthesized: Synthesized) -> None:
    """A lookup would need AWS credentials at synth; pinned zones and SSM-at-deploy images need none."""
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text(encoding="utf-8"))
    assert "missing" not in manifest
    assert not (synthesized.outdir.parent / "cdk.context.json").exists()


USE_ACTIONS = ("kms:*", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey")


def keys_usable_outside_their_services(template: Mapping[str, Any]) -> list[str]:
    """Keys whose policy lets an account principal use the key other than through a named AWS service."""
    loose = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::KMS::Key":
            continue
        for statement in resource["Properties"]["KeyPolicy"]["Statement"]:
            if statement["Effect"] != "Allow" or "AWS" not in statement.get("Principal", {}):
                continue
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            uses = [action for action in actions if action.startswith(USE_ACTIONS)]
            if uses and "kms:ViaService" not in statement.get("Condition", {}).get("StringEquals", {}):
                loose.append(logical_id)
    return loose


def test_enc3_every_key_is_used_only_through_the_services_of_its_purpose(synthesized: Synthesized) -> None:
    keys = 0
    for name in synthesized.stack_names():
        template = synthesized.template_json(name)
        keys += sum(r["Type"] == "AWS::KMS::Key" for r in template["Resources"].values())
        assert keys_usable_outside_their_services(template) == [], name
    assert keys >= 20


def test_enc3_probe_cdks_default_key_policy_is_caught() -> None:
    """CDK's default policy gives the account root kms:*, which delegates every use to IAM."""
    stack = tiny_stack()
    kms.Key(stack, "DefaultPolicy")
    assert keys_usable_outside_their_services(Template.from_stack(stack).to_json()) == ["DefaultPolicyBB6BAB25"]
