"""Helpers for probe tests: tiny apps with deliberately bad resources, checked by one pack without a full synth."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms

from app import new_app
from constructs.tiered_vpc import TieredVpc
from policies import control_tower
from policies.packs import nag_packs
from policies.project_checks import ProjectChecks


def tiny_stack(name: str = "Probe", outdir: Path | None = None) -> cdk.Stack:
    app = new_app(outdir=str(outdir or tempfile.mkdtemp(prefix="probe-")), context={"aws:cdk:bundling-stacks": []})
    return cdk.Stack(app, name, env=cdk.Environment(account="111122223333", region="us-east-1"))


def probe_vpc(stack: cdk.Stack) -> TieredVpc:
    """The project's three-tier VPC in 10.0.0.0/16 over three zones, one NAT gateway (network probes)."""
    return TieredVpc(
        stack,
        "Network",
        cidr="10.0.0.0/16",
        availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"],
        subnet_prefix=20,
        flow_log_key=kms.Key(stack, "Key"),
        nat_gateways=1,
    )


def nag_findings(scope: cdk.Stack, pack: str) -> dict[str, list[str]]:
    """Rule id -> construct paths that pack reports for the app holding `scope` (acknowledgements respected)."""
    app = scope.node.root
    report = nag_packs(app)[pack].validate_scope(app)
    return {
        violation.rule_name: [resource.construct_path or "" for resource in violation.violating_resources]
        for violation in report.violations
    }


def project_findings(scope: cdk.Stack) -> dict[str, list[str]]:
    """Our own pack reads the synthesized templates (tier and role tags included): rule -> logical ids."""
    cdk.Validations.of(scope.node.root).add_plugins(ProjectChecks())
    return synth_report(scope)


def synth_report(scope: cdk.Stack) -> dict[str, list[str]]:
    """Synthesize the tiny app with the plugins attached to it; rule name -> the logical id of each violating
    resource as the report gives it, or its construct path where the plugin reports only that (cdk-nag)."""
    app = scope.node.root
    assert isinstance(app, cdk.App)
    with contextlib.suppress(RuntimeError):  # ValidationFailed: the report below says why
        app.synth()
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text(encoding="utf-8"))
    findings: dict[str, list[str]] = {}
    for plugin in report["pluginReports"]:
        for violation in plugin["violations"]:
            findings.setdefault(violation["ruleName"], []).extend(
                (construct.get("cloudFormationResource") or {}).get("logicalId") or construct["constructPath"]
                for construct in violation["violatingConstructs"]
            )
    return findings


def count_control_tower_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, each Control Tower plugin run appends how many checks it ran (policies/control_tower.py)."""
    runs: list[int] = []
    run_plugin = control_tower._run_plugin

    def counted(plugin: Path, plugin_runs: Any) -> dict[str, list[dict[str, Any]]]:
        runs.extend(len(checks) for _, checks in plugin_runs)
        return run_plugin(plugin, plugin_runs)

    monkeypatch.setattr(control_tower, "_run_plugin", counted)
    return runs
