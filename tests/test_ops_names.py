"""The names ops derives from config (ops/names.py) are the names the synthesized templates set, so the tool finds
what the stacks create without importing them; and the assembly reader sees every name, endpoint and NACL entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import AppConfig
from ops.assembly import read_assembly
from ops.errors import OpsError
from ops.names import EnvironmentNames
from tests.conftest import PROD, Synthesized

ACCOUNT = "111122223333"


def test_every_config_derived_name_is_set_by_its_stack_in_the_templates(
    synthesized: Synthesized, example_config: AppConfig
) -> None:
    env = next(e for e in example_config.environments if e.name == PROD)
    assembly = read_assembly(synthesized.outdir, PROD, ACCOUNT)
    from_templates = {(n.kind, n.name, n.region, n.stack) for n in assembly.names}
    derived = EnvironmentNames(env).planned(ACCOUNT)
    exact = {(n.kind, n.name, n.region, n.stack) for n in derived if n.kind != "key pair"}
    assert exact - from_templates == set()
    # Key-pair names start with <env>-<operator> (a suffix such as a fingerprint may follow).
    template_pairs = [n.name for n in assembly.names if n.kind == "key pair"]
    for pair in (n for n in derived if n.kind == "key pair"):
        assert [name for name in template_pairs if name.startswith(pair.name)], pair.name


def test_the_assembly_reader_finds_interface_endpoints_nacl_entries_and_the_bootstrap_version(
    synthesized: Synthesized,
) -> None:
    assembly = read_assembly(synthesized.outdir, PROD, ACCOUNT)
    assert "com.amazonaws.us-east-1.ssm" in assembly.interface_services
    assert assembly.acl_entries
    assert max(assembly.acl_entries.values()) <= 20
    assert assembly.required_bootstrap >= 6
    assert "AWS::RDS::DBInstance" in assembly.resource_types


def test_the_assembly_reader_refuses_an_unknown_environment_and_a_missing_assembly(
    synthesized: Synthesized, tmp_path: Path
) -> None:
    with pytest.raises(OpsError, match="no stack tagged environment=initech-prod"):
        read_assembly(synthesized.outdir, "initech-prod", ACCOUNT)
    with pytest.raises(OpsError, match=r"no manifest\.json there"):
        read_assembly(synthesized.outdir / "nothing-here", PROD, ACCOUNT)


def test_ops_never_imports_the_stacks_the_constructs_or_the_app() -> None:
    for source in Path("ops").glob("*.py"):
        text = source.read_text(encoding="utf-8")
        for forbidden in (
            "import stacks",
            "from stacks",
            "from constructs",
            "import constructs",
            "from app ",
            "import app",
        ):
            assert forbidden not in text, f"{source}: {forbidden}"
