"""The two README commands' real paths: the pinned CDK CLI, no credentials, no partial output, deterministic
templates, an offline diff; and cfn-lint as an independent checker of every template (issue 2)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from policies.cache_folder import content_key
from policies.gate_cache import GateCache
from tests.cli_synth import ROOT, cdk_diff, clean_env, printed
from tests.cli_synth import make_synth as cli_synth_run
from tests.conftest import PROD, Synthesized

# cfn-lint findings we accept, each with its reason (the same standard as a policy acknowledgement).
CFN_LINT_ACCEPTED = {
    "W3010": "LOC-1: availability zones are pinned on purpose from validated config, so synth needs no lookup",
    "W3691": "BAK-4: EngineVersion is the major version only, as RDS documents for AutoMinorVersionUpgrade; "
    "cfn-lint's data lists bare majors as deprecated, RDS picks the default minor at create",
    "W3005": "in aws-cdk-lib's own default-security-group provider (NET-3), not in our code",
}


def make_synth(tmp_path: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    return cli_synth_run(tmp_path / "out", config)


def test_bad_config_stops_make_synth_with_a_clear_error_and_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = (ROOT / "config" / "environments.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace('"203.0.113.0/28"', '"0.0.0.0/0"', 1), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous-good-synth.txt").write_text("kept", encoding="utf-8")

    result = make_synth(tmp_path, bad)

    assert result.returncode != 0
    assert "config error: environments[0] (acme-prod).admin_cidrs[0] = '0.0.0.0/0': must not be open" in result.stderr
    assert [p.name for p in out.iterdir()] == ["previous-good-synth.txt"], "the last good output must be untouched"
    assert not (tmp_path / "out.staging").exists(), "no half-written output may be left behind"
    assert "synth [" not in result.stderr, "the config is checked before the CDK starts"
    assert result.stdout == "", "make echoes no recipe"


def test_make_synth_prints_its_steps_not_its_recipe_or_the_clis_noise(cli_synth: Path) -> None:
    stdout, stderr = printed(cli_synth)
    assert stdout == f"synthesized into {cli_synth}/\n"
    for noise in ("rm -rf", "if node_modules", "Successfully synthesized", "Supply a stack id", "feature flags"):
        assert noise not in stdout + stderr, noise
    assert "before acknowledgements" not in stderr
    gates = [line.split("] ", 1)[1] for line in stderr.splitlines() if "] gate " in line]
    assert any(
        re.fullmatch(r"gate CloudFormation Validate: (\d+) findings, \1 acknowledged, 0 open, [\d.]+s", g)
        for g in gates
    )
    assert any(re.fullmatch(r"gate AwsSolutions: 0 open, [\d.]+s", g) for g in gates), gates


def test_lint_and_typecheck_print_nothing_when_clean_so_make_test_output_stays_legible() -> None:
    """`make test` runs them beside pytest; a "Success" line used to land inside pytest's progress dots."""
    lint = subprocess.run(
        ["make", "--no-print-directory", "lint"], cwd=ROOT, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")
    recipe = subprocess.run(
        ["make", "--no-print-directory", "-n", "typecheck", "test"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert "mypy --no-error-summary" in recipe.stdout


def test_make_synth_writes_every_stack_of_every_environment(cli_synth: Path, synthesized: Synthesized) -> None:
    written = sorted(p.name.removesuffix(".template.json") for p in cli_synth.glob("*.template.json"))
    fleet = ["fleet-tenant-bootstrap", "pipeline-main", "pipeline-main-support-us-west-2"]
    assert synthesized.fleet_stack_names() == fleet  # the delivery stacks of the [pipeline] section
    written = [name for name in written if name not in fleet]
    assert written == synthesized.stack_names()
    assert len(written) == 17  # six per environment, the production edge, two per account baseline


def test_two_synths_give_byte_identical_templates(cli_synth: Path, synthesized: Synthesized) -> None:
    """The CLI synth and the suite's in-process synth are two independent runs of the same config."""
    for name in synthesized.stack_names():
        cli = (cli_synth / f"{name}.template.json").read_bytes()
        in_process = (synthesized.outdir / f"{name}.template.json").read_bytes()
        assert cli == in_process, name


def test_offline_diff_reports_no_change_against_itself(synthesized: Synthesized) -> None:
    stack = f"{PROD}-network"
    result = cdk_diff(synthesized.outdir, synthesized.outdir / f"{stack}.template.json", stack)
    assert result.returncode == 0, result.stderr[-2000:]


def test_offline_diff_shows_a_changed_firewall_rule(synthesized: Synthesized, tmp_path: Path) -> None:
    """What CI does: synthesize the base revision elsewhere, then diff with no AWS call."""
    stack = f"{PROD}-network"
    base: dict[str, Any] = synthesized.template_json(stack)
    entry = next(r for r in base["Resources"].values() if r["Type"] == "AWS::EC2::NetworkAclEntry")
    entry["Properties"]["RuleAction"] = "deny"
    base_file = tmp_path / f"{stack}.template.json"
    base_file.write_text(json.dumps(base), encoding="utf-8")
    result = cdk_diff(synthesized.outdir, base_file, stack)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "RuleAction" in result.stdout + result.stderr


def cfn_lint_findings(templates: list[Path]) -> list[dict[str, Any]]:
    """cfn-lint's findings for each template, cached by content (cfn-lint's version and the template bytes), so an
    unchanged template is linted once; a changed one is linted again (policies/gate_cache.py)."""
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    assert cfn_lint, "cfn-lint is a dev requirement"
    cache = GateCache("cfn-lint")
    keys = {path: content_key(f"cfn-lint {version('cfn-lint')}", path.read_bytes()) for path in templates}
    found = {path: cache.get(key) for path, key in keys.items()}
    if unlinted := [path for path, findings in found.items() if findings is None]:
        result = subprocess.run(
            [cfn_lint, "--format", "json", *map(str, unlinted)], capture_output=True, text=True, check=False
        )
        assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr[-2000:]  # bit flags of what it found
        every = json.loads(result.stdout or "[]")
        for path in unlinted:
            found[path] = [finding for finding in every if Path(finding["Filename"]).name == path.name]
            cache.put(keys[path], found[path])
    return [finding for findings in found.values() for finding in findings or []]


def test_cfn_lint_finds_no_error_and_only_accepted_warnings(synthesized: Synthesized) -> None:
    templates = [synthesized.outdir / f"{name}.template.json" for name in synthesized.stack_names()]
    findings = cfn_lint_findings(templates)
    unexpected = [(f["Rule"]["Id"], f["Message"][:120]) for f in findings if f["Rule"]["Id"] not in CFN_LINT_ACCEPTED]
    assert unexpected == []
