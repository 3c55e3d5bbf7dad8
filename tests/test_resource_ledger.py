"""CMP-1, every resource type is reviewed: each CloudFormation type the synthesized assembly deploys has a ledger
entry (policies/resource_ledger.toml) naming the AWS pages read for it and the rules or tests that encode them."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk

from policies.packs import policy_gates
from policies.resource_ledger import resource_ledger, unreviewed_types
from tests.conftest import Synthesized

ROOT = Path(__file__).resolve().parents[1]
READ_WHEN = ("issue 22", "cited by the code")
CFN_REFERENCE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-"


def known_guards() -> set[str]:
    """Gate names, their rule names (bare and `<gate>::<rule>`), and the test files."""
    names: set[str] = set()
    for gate in policy_gates(cdk.App()):
        names.add(gate.name)
        for rule in getattr(gate, "rule_ids", None) or []:
            names.update({rule, f"{gate.name}::{rule}"})
    names.update(str(path.relative_to(ROOT)) for path in (ROOT / "tests").glob("test_*.py"))
    return names


def test_cmp1_every_deployed_resource_type_has_a_ledger_entry(synthesized: Synthesized) -> None:
    templates = {name: synthesized.template_json(name) for name in synthesized.stack_names()}
    assert unreviewed_types(templates) == {}


def test_cmp1_probe_a_template_with_an_unlisted_type_is_caught() -> None:
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}, "Key": {"Type": "AWS::KMS::Key"}}}
    assert unreviewed_types({"probe-stack": template}) == {"AWS::SQS::Queue": ["probe-stack"]}


def test_cmp1_every_ledger_entry_names_its_pages_and_guards_that_exist() -> None:
    guards = known_guards()
    for kind, entry in resource_ledger().items():
        assert entry.docs, kind
        assert all(page.startswith("https://docs.aws.amazon.com/") for page in entry.docs), kind
        if kind.startswith("AWS::"):
            assert entry.docs[0].startswith(CFN_REFERENCE), f"{kind}: the CloudFormation reference page comes first"
        assert entry.read in READ_WHEN, kind
        assert entry.guards, kind
        assert set(entry.guards) <= guards, f"{kind}: unknown guards {sorted(set(entry.guards) - guards)}"
