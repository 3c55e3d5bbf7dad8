"""Acknowledgement targets (CMP-1): few causes, each on the resources its rule inspects, every reason naming a control;
the rule-to-type table agrees with the rule sources it was read from; `make acks` fails when a target is missed."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from cdk_nag import _jsii as nag_jsii

from config.catalog import load_catalog
from evidence_report.acknowledgement_targets import Targets, fleet_stacks, summarize
from evidence_report.assembly import Stack, load_assembly
from policies.cache_folder import cache_dir
from policies.guard_rules import control_tower_rules
from policies.rule_exclusions import RULE_EXCLUSIONS
from policies.rule_targets import INSPECTED_TYPES
from scripts.acks import main as acks_main
from tests.conftest import Synthesized

CONTROL_IDS = frozenset(load_catalog().ids)
ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "acknowledgements.md"


def stacks_of(outdir: Path) -> list[Stack]:
    return list(load_assembly(outdir).stacks)


def test_cmp1_example_keeps_the_acknowledgement_targets(synthesized: Synthesized) -> None:
    """Every stack counts, the cell pipeline's included (issue 26 added it after the targets were set)."""
    stacks = stacks_of(synthesized.outdir)
    assert fleet_stacks(stacks), "the example has a cell pipeline: the targets must hold with it"
    assert summarize(stacks, CONTROL_IDS).misses(Targets()) == []


def test_cmp1_probe_a_stray_entry_misses_the_target() -> None:
    """An S3 rule's entry copied onto a bucket policy (what acknowledging a construct used to do) is counted."""
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Metadata": {
                    "cdk_nag": {
                        "rules_to_suppress": [
                            {"id": "PCI.DSS.321-S3BucketReplicationEnabled", "reason": "BAK-5 (not applicable): x"}
                        ]
                    }
                },
            }
        }
    }
    stack = Stack(name="probe", account="111122223333", region="us-east-1", tags={}, template=template)
    missed = summarize([stack], CONTROL_IDS).misses(Targets())
    assert missed == ["1 entries on resources their rule does not inspect, target 0"]


def test_cmp1_probe_too_many_causes_or_entries_miss_the_target(synthesized: Synthesized) -> None:
    summary = summarize(stacks_of(synthesized.outdir), CONTROL_IDS)
    missed = summary.misses(Targets(max_reasons=summary.reasons - 1, max_entries=summary.entries - 1))
    assert [line.split(",")[0].split(" ", 1)[1] for line in missed] == ["distinct reasons", "entries"]


def test_cmp1_probe_a_reason_without_a_control_misses_the_target() -> None:
    template = {
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Metadata": {"cdk_nag": {"rules_to_suppress": [{"id": "AwsSolutions-S1", "reason": "it is fine"}]}},
            }
        }
    }
    stack = Stack(name="probe", account="111122223333", region="us-east-1", tags={}, template=template)
    summary = summarize([stack], CONTROL_IDS)
    assert summary.misses(Targets())[-1] == "1 entries whose reason names no control ID, target 0"


def test_cmp1_make_acks_fails_on_a_stray_entry(synthesized: Synthesized, tmp_path: Path, capsys: Any) -> None:
    assert acks_main([str(synthesized.outdir)]) == 0
    for path in synthesized.outdir.iterdir():
        if path.suffix == ".json":
            shutil.copy2(path, tmp_path / path.name)
    network = tmp_path / "acme-prod-network.template.json"
    template = json.loads(network.read_text(encoding="utf-8"))
    subnet = next(r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::Subnet")
    route = next(r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::Route" and "Metadata" in r)
    subnet["Metadata"]["cdk_nag"] = copy.deepcopy(route["Metadata"]["cdk_nag"])
    network.write_text(json.dumps(template), encoding="utf-8")
    capsys.readouterr()
    assert acks_main([str(tmp_path)]) == 1
    assert "target missed: 3 entries on resources their rule does not inspect" in capsys.readouterr().err


def _nag_rule_sources() -> dict[str, str]:
    """cdk-nag 3's rule sources from its jsii tarball, keyed by rule function name."""
    tarball = next(Path(nag_jsii.__file__).parent.glob("cdk-nag@*.jsii.tgz"))
    sources = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if member.name.startswith("package/lib/rules/") and member.name.endswith(".js"):
                file = archive.extractfile(member)
                if file is not None and not member.name.endswith("index.js"):
                    sources[Path(member.name).stem] = file.read().decode()
        pack = archive.extractfile("package/lib/packs/aws-solutions.js")
        assert pack is not None
        aws_solutions = pack.read().decode()
    # AwsSolutions names its checks by suffix: ruleSuffixOverride: 'IAM5' ... rule: iam_1.IAMNoWildcardPermissions
    for suffix, function in re.findall(r"ruleSuffixOverride: '(\w+)',[^}]*?rule: \w+\.(\w+)", aws_solutions, re.S):
        sources.setdefault(suffix, sources.get(function, ""))
    return sources


_CFN_CLASS_TYPES = {
    "aws_ec2_1.CfnInstance": "AWS::EC2::Instance",
    "aws_ec2_1.CfnRoute": "AWS::EC2::Route",
    "aws_ec2_1.CfnSecurityGroup": "AWS::EC2::SecurityGroup",
    "aws_ec2_1.CfnSecurityGroupIngress": "AWS::EC2::SecurityGroupIngress",
    "aws_ec2_1.CfnNetworkAcl": "AWS::EC2::NetworkAcl",
    "aws_ec2_1.CfnNetworkAclEntry": "AWS::EC2::NetworkAclEntry",
    "aws_iam_1.CfnGroup": "AWS::IAM::Group",
    "aws_iam_1.CfnManagedPolicy": "AWS::IAM::ManagedPolicy",
    "aws_iam_1.CfnPolicy": "AWS::IAM::Policy",
    "aws_iam_1.CfnRole": "AWS::IAM::Role",
    "aws_iam_1.CfnUser": "AWS::IAM::User",
    "aws_lambda_1.CfnFunction": "AWS::Lambda::Function",
    "aws_rds_1.CfnDBInstance": "AWS::RDS::DBInstance",
    "aws_s3_1.CfnBucket": "AWS::S3::Bucket",
    "aws_elasticloadbalancingv2_1.CfnLoadBalancer": "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "aws_codebuild_1.CfnProject": "AWS::CodeBuild::Project",
}


@pytest.mark.parametrize("check", sorted(c for c in INSPECTED_TYPES if "::" not in c))
def test_cmp1_rule_types_are_the_cdk_nag_rule_sources_instanceof_tests(check: str) -> None:
    source = _nag_rule_sources()[check]
    tested = {_CFN_CLASS_TYPES.get(name, name) for name in re.findall(r"instanceof (\w+\.Cfn\w+)", source)}
    tested -= {"aws_backup_1.CfnBackupSelection"}  # RDSInBackupPlan reads the plans to judge an instance
    assert set(INSPECTED_TYPES[check]) == tested


@pytest.mark.parametrize("check", sorted(c for c in INSPECTED_TYPES if c.startswith("cdk-validator-cfnguard::")))
def test_cmp1_rule_types_are_what_the_control_tower_rule_file_selects(check: str) -> None:
    name = check.split("::", 1)[1]
    files = control_tower_rules(cache_dir()).files
    matching = [r for r in files if re.search(rf"^rule {name}\b", r.path.read_text(encoding="utf-8"), re.M)]
    assert matching, f"no Control Tower rule file defines {name}"
    assert INSPECTED_TYPES[check] <= matching[0].resource_types


def test_cmp1_docs_list_every_rule_exclusion() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for exclusion in RULE_EXCLUSIONS:
        assert f"`{exclusion.rule_id}` | {exclusion.plugin} | {exclusion.control} ({exclusion.basis})" in text


def test_cmp1_make_acks_prints_the_summary_of_an_assembly(synthesized: Synthesized) -> None:
    """The command docs/acknowledgements.md shows, as a user runs it."""
    done = subprocess.run(
        ["make", "--no-print-directory", "acks", f"OUT={synthesized.outdir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.match(r"acknowledgements: \d+ entries on \d+ resources", done.stdout)
    assert "excluded for the whole app: AwsSolutions-VPC3" in done.stdout
