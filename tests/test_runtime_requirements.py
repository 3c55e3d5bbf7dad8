"""Every command installs what it imports (issue 21): the runtime-import proof, its probes, and how CI runs the
README's commands (the main job first, on a clean checkout, so a missing install step fails there)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli_synth import ROOT
from tests.runtime_imports import (
    COMMAND_SOURCES,
    command_requirement_files,
    missing_requirements,
    pinned_distributions,
    third_party_imports,
)

REQUIREMENT_FILES = sorted(ROOT.glob("requirements*.txt"))


def test_every_commands_imports_are_pinned_in_the_group_its_make_target_installs() -> None:
    assert missing_requirements(ROOT, COMMAND_SOURCES) == []


def test_each_command_installs_its_own_group_and_evidence_and_ops_get_no_test_toolchain() -> None:
    groups = {command: path.name for command, path in command_requirement_files(ROOT / "Makefile").items()}
    assert {command: groups[command] for command in COMMAND_SOURCES} == {
        "synth": "requirements.txt",
        "diff": "requirements.txt",
        "evidence": "requirements-evidence.txt",
        "acks": "requirements-evidence.txt",
        "preflight": "requirements-ops.txt",
        "verify": "requirements-ops.txt",
        "keys": "requirements-ops.txt",
        "restore-drill": "requirements-ops.txt",
        "check-config": "requirements-config.txt",
    }
    test_tools = {"pytest", "pytest-xdist", "moto", "mypy", "ruff"}
    for group in ("requirements.txt", "requirements-evidence.txt", "requirements-ops.txt"):
        assert not pinned_distributions(ROOT / group) & test_tools, group
    assert pinned_distributions(ROOT / "requirements-dev.txt") >= test_tools


def test_the_scan_sees_imports_inside_functions_and_through_the_projects_modules() -> None:
    """cfn-lint is imported inside a function of a policies module, which app.py reaches only through policies.packs."""
    imports = third_party_imports(ROOT, ("app.py",))
    assert imports["cfnlint"].startswith("policies/")
    assert {"aws_cdk", "cdk_nag", "pydantic", "cryptography"} <= set(imports)
    assert "constructs" in imports, "`from constructs import Construct` is the library"
    assert "tests" not in imports
    assert "config" not in imports


@pytest.mark.parametrize("requirement_file", REQUIREMENT_FILES, ids=lambda path: path.name)
def test_requirement_groups_pin_exact_versions(requirement_file: Path) -> None:
    assert pinned_distributions(requirement_file)


# --- probes: the proof fails on the mistakes it exists for ----------------------------------------------------------


def project_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(".*", "node_modules", "cdk.out*", "tests", "*.out"))
    return root


def test_probe_a_gate_importing_a_dev_only_package_inside_a_function_fails(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    (root / "policies" / "probe_gate.py").write_text(
        "def check() -> None:\n    import moto  # noqa: F401\n", encoding="utf-8"
    )
    (root / "policies" / "packs.py").write_text(
        (root / "policies" / "packs.py").read_text(encoding="utf-8") + "\nfrom policies import probe_gate  # noqa\n",
        encoding="utf-8",
    )
    missing = missing_requirements(root, {"synth": COMMAND_SOURCES["synth"]})
    assert [(m.module, m.distribution, m.requirement_file, m.imported_by) for m in missing] == [
        ("moto", "moto", "requirements.txt", "policies/probe_gate.py")
    ]


def test_probe_the_evidence_report_importing_pytest_fails(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    (root / "evidence_report" / "probe.py").write_text("import pytest  # noqa: F401\n", encoding="utf-8")
    missing = missing_requirements(root, {"evidence": COMMAND_SOURCES["evidence"]})
    assert [str(m) for m in missing] == [
        "make evidence: evidence_report/probe.py imports pytest (distribution pytest), "
        "which requirements-evidence.txt does not pin"
    ]


def test_probe_synth_installing_only_the_config_group_fails(tmp_path: Path) -> None:
    """The original mistake's shape: the synth target installs a group that lacks what a gate imports."""
    root = project_copy(tmp_path)
    makefile = root / "Makefile"
    makefile.write_text(
        makefile.read_text(encoding="utf-8").replace(
            "$(call install,-r requirements.txt -c constraints.txt)",
            "$(call install,-r requirements-config.txt -c constraints.txt)",
        ),
        encoding="utf-8",
    )
    modules = {m.module for m in missing_requirements(root, {"synth": COMMAND_SOURCES["synth"]})}
    assert {"aws_cdk", "cdk_nag", "cfnlint"} <= modules


# --- CI runs the README's commands as a user does -------------------------------------------------------------------


def test_ci_runs_make_synth_first_then_evidence_and_diff_without_the_test_toolchain_then_make_test() -> None:
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    steps = [line.removeprefix("step ").strip() for line in lines if line.startswith("step ")]
    assert steps == [
        "make synth",
        "make evidence",
        "make diff BASE=HEAD",
        "make test",
        "make evidence STRICT=1 JUNIT=test-results.xml",
    ]
    assert not any(line.strip().startswith(("make ", "pip ", "uv ")) for line in lines), "every make runs via step"


def test_cmp1_aws_cdk_lib_owns_its_cloud_assembly_schema_module() -> None:
    """aws-cdk-lib and aws-cdk.cloud-assembly-schema both install aws_cdk/cloud_assembly_schema/__init__.py; the
    Makefile reinstalls aws-cdk-lib last so its copy is the one in place (with the other, aws-cdk-lib's bindings pass
    structs of a type its JavaScript refuses). This checks the installed module, and that both groups that install
    aws-cdk-lib run the step."""
    import aws_cdk.cloud_assembly_schema as schema  # noqa: PLC0415 - the module under test

    assert schema.LoadManifestOptions.__jsii_type__.startswith("aws-cdk-lib."), schema.__file__  # type: ignore[attr-defined]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("$(VENV)/.runtime-installed:", "$(VENV)/.dev-installed:"):
        recipe = makefile.split(target, 1)[1].split("\n\n", 1)[0]
        assert "$(own_schema_module)" in recipe, target
