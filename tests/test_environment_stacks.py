"""Every environment's stacks (issue 2): names that sort and read well, tags on every resource, no lookups."""

from __future__ import annotations

import json

from tests.conftest import DEV, PROD, Synthesized

PURPOSES = ("backup", "backup-dr", "bastion", "data", "data-dr", "network")
TAG_KEYS = {"tenant", "stage", "environment", "owner", "data-classification", "managed-by"}


def test_acc1_each_environment_has_its_own_named_stacks(synthesized: Synthesized) -> None:
    assert synthesized.stack_names() == sorted(f"{env}-{purpose}" for env in (PROD, DEV) for purpose in PURPOSES)


def test_acc1_every_taggable_resource_carries_the_environment_tags(synthesized: Synthesized) -> None:
    checked = 0
    for name in synthesized.stack_names():
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
