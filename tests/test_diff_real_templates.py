"""The diff verdict on the example app's own gated synth (the session's, no extra synth): nothing flagged against
itself, and JSON edits of its real templates caught as a reviewer needs them (issue 13)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from diff_verdict.assembly import read_assembly
from diff_verdict.verdict import Verdict, judge
from tests.conftest import PROD, Synthesized


def edited_copy(synthesized: Synthesized, tmp_path: Path, stack: str, change: Any) -> Path:
    # Not the read locks (`read.<pid>.<n>.lock`) a concurrent `cdk diff` of the shared assembly holds and removes.
    head = Path(shutil.copytree(synthesized.outdir, tmp_path / "head.out", ignore=shutil.ignore_patterns("*.lock")))
    path = head / f"{stack}.template.json"
    template = json.loads(path.read_text(encoding="utf-8"))
    change(template["Resources"])
    path.write_text(json.dumps(template), encoding="utf-8")
    return head


def verdict(base: Path, head: Path, allow: tuple[str, ...] = ()) -> Verdict:
    return judge(read_assembly(base), read_assembly(head), list(allow))


def test_example_app_against_itself_flags_nothing(synthesized: Synthesized) -> None:
    result = verdict(synthesized.outdir, synthesized.outdir)
    assert result.findings == []
    assert result.exit_code == 0
    assert len(result.stacks) == len(synthesized.stack_names()) + len(synthesized.fleet_stack_names())
    acknowledged = sum(s.acknowledgements[1] for s in result.stacks)
    assert acknowledged > 0, "the acknowledgements in the templates' Metadata are read"
    assert f"acknowledgements {acknowledged} -> {acknowledged}" in result.summary


def test_production_database_identifier_change_is_danger_unless_named(synthesized: Synthesized, tmp_path: Path) -> None:
    stack = f"{PROD}-data"

    def rename(resources: dict[str, Any]) -> None:
        (database,) = [r for r in resources.values() if r["Type"] == "AWS::RDS::DBInstance"]
        database["Properties"]["DBInstanceIdentifier"] = "acme-prod-postgres-2"

    head = edited_copy(synthesized, tmp_path, stack, rename)
    blocked = verdict(synthesized.outdir, head)
    dangers = [f for f in blocked.findings if f.severity == "danger"]
    assert [(f.stack, f.resource_type) for f in dangers] == [(stack, "AWS::RDS::DBInstance")]
    assert "DBInstanceIdentifier acme-prod-postgres -> acme-prod-postgres-2" in dangers[0].detail
    assert blocked.exit_code == 2
    assert verdict(synthesized.outdir, head, allow=(dangers[0].address,)).exit_code == 0


def test_acc3_net3_bastion_ssh_opened_to_the_internet_is_widening(synthesized: Synthesized, tmp_path: Path) -> None:
    stack = f"{PROD}-network"

    def open_ssh(resources: dict[str, Any]) -> None:
        bastion = next(r for r in resources.values() if r["Properties"].get("GroupDescription") == "SSH bastion")
        bastion["Properties"]["SecurityGroupIngress"][0]["CidrIp"] = "0.0.0.0/0"

    result = verdict(synthesized.outdir, edited_copy(synthesized, tmp_path, stack, open_ssh))
    widened = [f for f in result.findings if f.severity == "widening"]
    assert [(f.stack, f.controls) for f in widened] == [(stack, ("NET-3", "ACC-3"))]
    assert "ingress tcp port 22 from 0.0.0.0/0 (was 203.0.113.0/28)" in widened[0].detail
    assert result.exit_code == 0


def test_net1_production_database_port_change_is_moves_and_a_restart_not_widenings(
    synthesized: Synthesized, tmp_path: Path
) -> None:
    """The reported case (`port = 5440` for acme-prod), as JSON edits of the real templates: the database's Port and
    every firewall rule that carries 5433. One "moved" finding per rule pair, no widening, and the database gets its
    own line (an in-place update with some interruption), instead of 16 widenings and "no flagged change"."""

    def move_port(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (5440 if k in ("FromPort", "ToPort", "From", "To") and v == 5433 else move_port(v))
                for k, v in value.items()
            }
        return [move_port(v) for v in value] if isinstance(value, list) else value

    head = Path(shutil.copytree(synthesized.outdir, tmp_path / "head.out", ignore=shutil.ignore_patterns("*.lock")))
    for stack in (f"{PROD}-network", f"{PROD}-data"):
        path = head / f"{stack}.template.json"
        template = move_port(json.loads(path.read_text(encoding="utf-8")))
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::RDS::DBInstance":
                resource["Properties"]["Port"] = "5440"
        path.write_text(json.dumps(template), encoding="utf-8")
    result = verdict(synthesized.outdir, head)
    assert [f for f in result.findings if f.severity == "widening"] == []
    moves = [f for f in result.findings if f.severity == "moved"]
    assert len(moves) >= 2
    assert all("port 5433" in f.detail and f.detail.endswith("opened tcp port 5440") for f in moves)
    (restart,) = [f for f in result.findings if f.severity == "interruption"]
    assert (restart.stack, restart.resource_type) == (f"{PROD}-data", "AWS::RDS::DBInstance")
    assert "Port 5433 -> 5440" in restart.detail
    assert result.exit_code == 0
