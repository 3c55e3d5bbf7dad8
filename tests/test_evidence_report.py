"""The evidence report end to end: files, determinism, the summary line, STRICT, bad input, atomic output,
OSCAL validity, a self-contained printable page, proving tests and their outcomes (CMP-1)."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

import pytest
from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.catalog import Catalog as OscalCatalog
from trestle.oscal.component import ComponentDefinition

import evidence_report.output
from config.catalog import load_catalog
from evidence_report.__main__ import run
from evidence_report.assembly import load_assembly
from evidence_report.gates import pack_of
from evidence_report.proving_tests import collect, control_ids_in, with_outcomes
from policies.rule_exclusions import RULE_EXCLUSIONS
from tests.acknowledgement_findings import template_entries
from tests.conftest import Synthesized

ROOT = Path(__file__).resolve().parents[1]
PLAN_TEST = "test_bak3_one_plan_holds_exactly_the_four_tiers_with_growing_retention"
TIER_TEST = "test_bak3_tier_runs_on_its_utc_schedule_with_its_retention"
FILES = [
    "evidence.json",
    "index.html",
    "oscal/assessment-plan.json",
    "oscal/assessment-results.json",
    "oscal/catalog.json",
    "oscal/component-definition.json",
]


@pytest.fixture(scope="module")
def assembly_copy(synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's assembly, copied (manifest, templates, validation report) so tests may break it."""
    target = tmp_path_factory.mktemp("assembly")
    for path in synthesized.outdir.iterdir():
        if path.suffix == ".json":
            shutil.copy2(path, target / path.name)
    return target


@pytest.fixture(scope="module")
def report(assembly_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "evidence"
    assert (
        run(
            [
                "--out",
                str(assembly_copy),
                "--evidence",
                str(out),
                "--date",
                "2026-12-01",
                "--junit",
                str(junit_file(tmp_path_factory)),
            ]
        )
        == 0
    )
    return out


def junit_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("junit") / "results.xml"
    path.write_text(
        '<testsuites><testsuite name="pytest">'
        f'<testcase classname="tests.test_backup_stack" name="{PLAN_TEST}"/>'
        f'<testcase classname="tests.test_backup_stack" name="{TIER_TEST}[daily]"/>'
        f'<testcase classname="tests.test_backup_stack" name="{TIER_TEST}[weekly]"><failure message="x"/></testcase>'
        f'<testcase classname="tests.test_backup_stack" name="{TIER_TEST}[monthly]"/>'
        '<testcase classname="tests.test_evidence_rules" name="test_bak3_evidence_not_met_without_the_biweekly_rule">'
        '<failure message="boom"/></testcase></testsuite></testsuites>',
        encoding="utf-8",
    )
    return path


def test_cmp1_report_writes_every_file(report: Path) -> None:
    assert sorted(p.relative_to(report).as_posix() for p in report.rglob("*") if p.is_file()) == FILES


def test_cmp1_same_assembly_gives_byte_identical_output(assembly_copy: Path, report: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    document = json.loads((report / "evidence.json").read_text(encoding="utf-8"))
    assert (
        run(
            [
                "--out",
                str(assembly_copy),
                "--evidence",
                str(again),
                "--date",
                "2026-12-01",
                "--junit",
                document["test_results"],
            ]
        )
        == 0
    )
    for name in FILES:
        assert (again / name).read_bytes() == (report / name).read_bytes(), name


def test_cmp1_date_comes_from_the_assembly_never_the_clock(assembly_copy: Path, tmp_path: Path) -> None:
    manifest = assembly_copy / "manifest.json"
    os.utime(manifest, (1_700_000_000, 1_700_000_000))
    assert run(["--out", str(assembly_copy), "--evidence", str(tmp_path / "e")]) == 0
    document = json.loads((tmp_path / "e" / "evidence.json").read_text(encoding="utf-8"))
    assert document["date"] == "2023-11-14T22:13:20+00:00"
    assert document["date_source"] == "manifest.json modification time"


def test_cmp1_summary_line_counts_per_environment(
    assembly_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--out", str(assembly_copy), "--evidence", str(tmp_path / "e"), "--date", "2026-12-01"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert re.match(
        r"^evidence: acme-prod: \d+ met, .*0 not met, 3 out of scope; globex-dev: \d+ met, .*0 not met, "
        r"3 not applicable, 3 out of scope",
        lines[0],
    ), "dev: ACC-6 and ACC-7 (no edge section) and HA-1 (prod only) do not apply"


def test_cmp1_strict_exits_1_when_a_control_is_not_met(
    assembly_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(["--out", str(assembly_copy), "--evidence", str(tmp_path / "ok"), "--date", "2026-12-01", "--strict"]) == 0
    )
    broken = tmp_path / "broken"
    shutil.copytree(assembly_copy, broken)
    template_path = broken / "acme-prod-data.template.json"
    template = json.loads(template_path.read_text(encoding="utf-8"))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::RDS::DBInstance":
            resource["Properties"]["MultiAZ"] = False
    template_path.write_text(json.dumps(template), encoding="utf-8")
    assert run(["--out", str(broken), "--evidence", str(tmp_path / "e"), "--date", "2026-12-01"]) == 0, "not strict"
    assert run(["--out", str(broken), "--evidence", str(tmp_path / "e"), "--date", "2026-12-01", "--strict"]) == 1
    assert "not met: LOC-1 in acme-prod, HA-1 in acme-prod" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", r"missing/: no such folder; run `make synth` first"),
        ("empty", r"empty/: no manifest\.json, so not a cloud assembly"),
        ("foreign", r"foreign/: manifest\.json has no stack tagged 'environment', so not an assembly of this app"),
        ("garbled", r"garbled/: manifest\.json is not readable JSON"),
    ],
)
def test_cmp1_missing_or_foreign_assembly_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str
) -> None:
    folder = tmp_path / setup
    if setup != "missing":
        folder.mkdir()
    if setup == "foreign":
        (folder / "manifest.json").write_text(
            json.dumps(
                {
                    "version": "55.0.0",
                    "artifacts": {
                        "Other": {
                            "type": "aws:cloudformation:stack",
                            "environment": "aws://1/us-east-1",
                            "properties": {"templateFile": "o.json"},
                        }
                    },
                }
            ),
            encoding="utf-8",
        )
        (folder / "o.json").write_text('{"Resources": {}}', encoding="utf-8")
    if setup == "garbled":
        (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    out = tmp_path / "evidence"
    assert run(["--out", str(folder), "--evidence", str(out)]) == 2
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1
    assert re.search(message, captured.err)
    assert "Traceback" not in captured.err
    assert not out.exists()


def test_cmp1_bad_date_and_missing_junit_are_one_line(
    assembly_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--out", str(assembly_copy), "--evidence", str(tmp_path / "e"), "--date", "yesterday"]) == 2
    assert (
        run(["--out", str(assembly_copy), "--evidence", str(tmp_path / "e"), "--junit", str(tmp_path / "none.xml")])
        == 2
    )
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[0].startswith("evidence error: --date 'yesterday': not an ISO date")
    assert errors[1].startswith("evidence error: --junit ")
    assert "no such file" in errors[1]


def test_cmp1_failed_write_leaves_the_previous_report_and_no_staging(
    assembly_copy: Path, report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "evidence"
    assert run(["--out", str(assembly_copy), "--evidence", str(target), "--date", "2026-12-01"]) == 0
    before = (target / "index.html").read_bytes()

    def explode(document: object) -> dict[str, bytes]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(evidence_report.output, "oscal_documents", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        run(["--out", str(assembly_copy), "--evidence", str(target), "--date", "2026-12-02"])
    assert (target / "index.html").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence"], "no staging folder left behind"


def test_cmp1_oscal_documents_validate_and_reference_the_catalog(report: Path) -> None:
    catalog = OscalCatalog.oscal_read(report / "oscal" / "catalog.json")
    components = ComponentDefinition.oscal_read(report / "oscal" / "component-definition.json")
    results = AssessmentResults.oscal_read(report / "oscal" / "assessment-results.json")
    assert isinstance(catalog, OscalCatalog), "trestle parses and validates each file against the OSCAL model"
    assert isinstance(components, ComponentDefinition)
    assert isinstance(results, AssessmentResults)
    control_ids = {c.id for g in catalog.groups or [] for c in getattr(g, "controls", None) or []}
    assert control_ids == {c.lower() for c in load_catalog().ids}
    implemented = {
        r.control_id
        for comp in components.components or []
        for ci in comp.control_implementations or []
        for r in ci.implemented_requirements
    }
    assert implemented <= control_ids
    assert "bak-3" in implemented
    assert [r.title for r in results.results] == ["Template evidence for acme-prod", "Template evidence for globex-dev"]
    prod = results.results[0]
    objectives = {f.target.target_id: f.target.status.state.value for f in prod.findings or [] if f.target.status}
    assert objectives["bak-3_obj"] == "satisfied"
    assert objectives["acc-6_obj"] == "satisfied", "the production edge is built and met"
    assert objectives["net-5_obj"] == "satisfied", "the real account baseline is built and met"
    dev = results.results[1]
    acc6_dev = next(f for f in dev.findings or [] if f.target.target_id == "acc-6_obj")
    assert acc6_dev.target.status is not None
    assert acc6_dev.target.status.state.value == "not-satisfied"
    assert acc6_dev.target.implementation_status is not None
    assert acc6_dev.target.implementation_status.state == "not-applicable"
    assert (acc6_dev.target.status.remarks or "").startswith("No public edge configured"), "the reason travels"
    observation_ids = {o.uuid for o in prod.observations or []}
    assert all(r.observation_uuid in observation_ids for f in prod.findings or [] for r in f.related_observations or [])


def test_cmp1_assessment_results_import_a_valid_assessment_plan(report: Path) -> None:
    """OSCAL 1.x requires import-ap: it names oscal/assessment-plan.json, which trestle validates as an assessment
    plan (not ../evidence.json); the plan reviews exactly the controls the results review, and its import-ssp
    resolves to a back-matter resource naming the component definition (no system security plan is published)."""
    results = AssessmentResults.oscal_read(report / "oscal" / "assessment-results.json")
    assert isinstance(results, AssessmentResults)
    assert results.import_ap.href == "assessment-plan.json"
    plan = AssessmentPlan.oscal_read(report / "oscal" / results.import_ap.href)
    assert isinstance(plan, AssessmentPlan)

    def selected(reviewed: Any) -> set[str]:
        return {c.control_id for s in reviewed.control_selections for c in s.include_controls or []}

    assert selected(plan.reviewed_controls) == set().union(*(selected(r.reviewed_controls) for r in results.results))
    assert plan.import_ssp.href.startswith("#")
    resources = {r.uuid: r for r in (plan.back_matter.resources if plan.back_matter else None) or []}
    system = resources[plan.import_ssp.href.removeprefix("#")]
    assert [link.href for link in system.rlinks or []] == ["component-definition.json"]


def test_cmp1_identifiers_wrap_at_separators_and_word_humps_never_mid_word(report: Path) -> None:
    """The Property, Logical ID and Type columns offer line breaks after dots, colons and slashes and between the
    words of a CamelCase name (<wbr>), so a narrow column wraps `AssumeRolePolicyDocument.Statement[0].Condition`
    at a word; breaking anywhere is only CSS's last resort for a single word wider than the column."""
    html = (report / "index.html").read_text(encoding="utf-8")
    acc3 = html[html.index('id="ACC-3"') : html.index('id="ACC-4"')]
    assert "Assume<wbr>Role<wbr>Policy<wbr>Document.<wbr>Statement[0].<wbr>Condition" in acc3
    assert "AWS::<wbr>IAM::<wbr>Role" in acc3
    assert "Job<wbr>Roles<wbr>Operator<wbr>AD3458A9" in acc3
    assert "arn:<wbr>aws:<wbr>iam::<wbr>111122223333:<wbr>role/<wbr>Ops<wbr>Engineers" in acc3, "values too"
    css = html[html.index("<style>") : html.index("</style>")]
    assert "table.evidence td { overflow-wrap: anywhere; word-break: normal; }" in css


def test_cmp1_html_is_one_self_contained_printable_page(report: Path) -> None:
    html = (report / "index.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no external asset or link"
    assert "@media print" in html
    assert "<style>" in html
    assert all(f'id="{control}"' in html for control in load_catalog().ids)
    summary = html[html.index("<h3>Summary</h3>") : html.index("<h3>What the statuses mean</h3>")]
    assert "AWS&#x27;s side of the shared responsibility model" in summary, "out-of-scope rows carry their reason"
    acc6 = html[html.index('id="ACC-6"') : html.index('id="ACC-7"')]
    assert "No public edge configured" in acc6, "dev's 'not applicable' says why"
    ha1 = html[html.index('id="HA-1"') : html.index('id="CMP-1"')]
    assert "nat_gateways" in ha1


def test_cmp1_evidence_json_has_schema_version_and_the_rows(report: Path) -> None:
    document = json.loads((report / "evidence.json").read_text(encoding="utf-8"))
    assert document["schema_version"] == "1.0"
    bak3 = next(c for c in document["controls"] if c["id"] == "BAK-3")
    rows = bak3["environments"][0]["rules"][0]["evidence"]
    assert [r["value"].split(":")[0] for r in rows] == ["daily", "weekly", "biweekly", "monthly"]
    assert set(rows[0]) == {"environment", "stack", "logical_id", "resource_type", "property_path", "value", "why"}


def test_cmp1_acknowledgements_are_grouped_under_the_control_their_reason_names(report: Path) -> None:
    document = json.loads((report / "evidence.json").read_text(encoding="utf-8"))
    for control in document["controls"]:
        assert all(a["reason"].startswith(f"{control['id']} (") for a in control["acknowledgements"])
    net3 = next(c for c in document["controls"] if c["id"] == "NET-3")
    assert any(a["rule_id"].endswith("VPCNoUnrestrictedRouteToIGW") for a in net3["acknowledgements"])
    assert document["gates"]["unattributed_acknowledgements"] == [], "every reason in the templates names a control"


def test_cmp1_proving_tests_come_from_test_names_with_outcomes(report: Path) -> None:
    document = json.loads((report / "evidence.json").read_text(encoding="utf-8"))
    bak3 = next(c for c in document["controls"] if c["id"] == "BAK-3")
    outcomes = {t["name"]: t["outcome"] for t in bak3["tests"]}
    assert outcomes[PLAN_TEST] == "passed"
    assert outcomes[TIER_TEST] == "failed", "worst case wins"
    assert outcomes["test_bak3_evidence_not_met_without_the_biweekly_rule"] == "failed"
    assert set(outcomes.values()) <= {"passed", "failed", "not run"}


def test_cmp1_test_names_map_onto_catalog_ids() -> None:
    ids = load_catalog().ids
    assert control_ids_in("test_net1_net3_ingress_by_reference", ids) == ("NET-1", "NET-3")
    assert control_ids_in("test_ha1_binds_production_only", ids) == ("HA-1",)
    assert control_ids_in("test_layout_has_no_control", ids) == ()
    assert control_ids_in("test_net9_is_not_in_the_catalog", ids) == ()


def test_cmp1_proving_tests_are_found_without_importing_them(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text(
        "import does_not_exist\n\ndef test_bak3_a():\n    pass\n\ndef helper_bak3():\n    pass\n"
    )
    tests = with_outcomes(collect(tmp_path, load_catalog().ids, tmp_path), None)
    assert [(t.file, t.name, t.controls, t.outcome) for t in tests] == [("test_x.py", "test_bak3_a", ("BAK-3",), None)]


def test_cmp1_module_entry_point_prints_one_line(assembly_copy: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "evidence_report",
            "--out",
            str(assembly_copy),
            "--evidence",
            str(tmp_path / "e"),
            "--date",
            "2026-12-01",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("rule_id", "pack"),
    [
        ("AwsSolutions-IAM5[Resource::<DataBucketBD860FE1.Arn>/*]", "AwsSolutions"),
        ("NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW", "NIST.800.53.R5"),
        ("cdk-validator-cfnguard::s3_bucket_logging_enabled_check", "cdk-validator-cfnguard"),
        ("CloudFormation-Validate::W3010", "CloudFormation-Validate"),
    ],
)
def test_cmp1_acknowledged_rules_name_their_pack(rule_id: str, pack: str) -> None:
    assert pack_of(rule_id) == pack


def test_cmp1_evidence_report_reads_only_the_assembly_never_the_app_or_aws() -> None:
    """The tool never imports the app (stacks, constructs, app.py, aws_cdk) or an AWS client: no re-synthesis."""
    forbidden = ("stacks", "constructs", "app", "aws_cdk", "boto3", "botocore", "tests")
    for path in sorted((ROOT / "evidence_report").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_cmp1_acknowledgements_are_shown_once_per_cause_and_totals_per_control_match_the_templates(
    report: Path, synthesized: Synthesized
) -> None:
    document = json.loads((report / "evidence.json").read_text(encoding="utf-8"))
    templates = [(stack.name, stack.template) for stack in load_assembly(synthesized.outdir).stacks]
    in_templates = Counter(e.reason.split(" ", 1)[0] for e in template_entries(templates))
    reasons = []
    for control in document["controls"]:
        assert sum(c["entries"] for c in control["causes"]) == in_templates.get(control["id"], 0), control["id"]
        assert sum(c["entries"] for c in control["causes"]) == len(control["acknowledgements"])
        for cause in control["causes"]:
            assert cause["reason"].startswith(f"{control['id']} ({cause['basis']}): ")
            assert cause["rule_ids"]
            assert cause["resources"]
            reasons.append(cause["reason"])
    assert len(reasons) == len(set(reasons)), "each cause is listed once"
    html = (report / "index.html").read_text(encoding="utf-8")
    for control in document["controls"]:
        for cause in control["causes"]:
            row = f"<td>{escape(cause['basis'])}</td><td>{escape(cause['how'])}</td>"
            assert html.count(row) == 1, cause["reason"]


def test_cmp1_rule_exclusions_are_shown_once_with_control_and_reason(report: Path) -> None:
    document = json.loads((report / "evidence.json").read_text(encoding="utf-8"))
    assert [(e["rule_id"], e["control"]) for e in document["gates"]["exclusions"]] == sorted(
        ((e.rule_id, e.control) for e in RULE_EXCLUSIONS), key=lambda pair: (pair[1], pair[0])
    )
    html = (report / "index.html").read_text(encoding="utf-8")
    for exclusion in RULE_EXCLUSIONS:
        assert html.count(f"<td>{escape(exclusion.basis)}</td><td>{escape(exclusion.how)}</td>") == 1
    net1 = next(c for c in document["controls"] if c["id"] == "NET-1")
    assert [e["rule_id"] for e in net1["exclusions"]] == ["AwsSolutions-VPC3"]
    results = json.loads((report / "oscal" / "assessment-results.json").read_text(encoding="utf-8"))
    titles = [o["title"] for r in results["assessment-results"]["results"] for o in r.get("observations", [])]
    assert sum("excluded for the whole app" in t and "AwsSolutions-VPC3" in t for t in titles) == len(
        document["environments"]
    )
