"""In-place updates that interrupt a stateful resource (issue 24): the data (diff_verdict/update_interruptions.toml)
agrees with the registry schemas cfn-lint ships, and the verdict gives such a change its own line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from diff_verdict.assembly import read_assembly
from diff_verdict.interruptions import interrupting
from diff_verdict.schemas import _schema, create_only_paths
from diff_verdict.stateful import STATEFUL_TYPES
from diff_verdict.verdict import judge
from tests.diff_probes import STACK, edit_template, synth_probe


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_probe(tmp_path_factory.mktemp("base") / "cdk.out")


def test_every_interrupting_property_exists_and_is_not_create_only_in_the_registry_schema() -> None:
    assert interrupting(), "the data file lists at least the database"
    for resource_type, entry in interrupting().items():
        assert resource_type in STATEFUL_TYPES, f"{resource_type}: only stateful resources get the line"
        assert entry.page.startswith("https://docs.aws.amazon.com/AWSCloudFormation/")
        schema = _schema("us-east-1", resource_type)
        assert schema is not None
        create_only = {path[0] for path in create_only_paths(resource_type, "us-east-1")}
        for name in entry.properties:
            assert name in schema["properties"], f"{resource_type}.{name} is not in the registry schema"
            assert name not in create_only, f"{resource_type}.{name} is create-only: a replacement, not an interruption"
        assert entry.cli_says_replacement <= set(entry.properties)


def test_rds_port_is_in_place_with_some_interruptions_as_the_brief_and_the_schema_say() -> None:
    entry = interrupting()["AWS::RDS::DBInstance"]
    assert "Port" in entry.properties
    assert "Port" in entry.cli_says_replacement


def test_instance_class_change_is_an_interruption_and_a_stateless_change_is_not(base: Path, tmp_path: Path) -> None:
    def bigger_database(template: dict[str, Any]) -> None:
        template["Resources"]["Database"]["Properties"]["DBInstanceClass"] = "db.t4g.small"

    head = edit_template(Path(shutil.copytree(base, tmp_path / "head.out")), bigger_database)
    verdict = judge(read_assembly(base), read_assembly(head), [])
    (line,) = [f for f in verdict.findings if f.severity == "interruption"]
    assert (line.address, line.change) == (f"{STACK}/Database", "restarts")
    assert line.detail.startswith("DBInstanceClass db.t4g.micro -> db.t4g.small: in-place update, Some interruptions")
    assert "requires replacement" not in line.detail
    assert verdict.exit_code == 0
    assert "1 in-place update interrupting a stateful resource" in verdict.summary
