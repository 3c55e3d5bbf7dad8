"""The diff verdict's stateful rules (issue 13): replacement and deletion from the CloudFormation resource schemas,
renames, stacks removed, ALLOW_REPLACE, exit status, gate changes and the reports. Each pair is a base and a head
assembly of the probe app (tests/diff_probes.py), synthesized by the real CDK, or one of its templates edited."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from diff_verdict.assembly import read_assembly
from diff_verdict.controls import CONTROLS
from diff_verdict.findings import Finding
from diff_verdict.replacement import compare_resources
from diff_verdict.report import markdown
from diff_verdict.schemas import values_at
from diff_verdict.verdict import Verdict, judge
from policies.controls import CONTROL_IDS
from tests.cli_synth import ROOT
from tests.diff_probes import SECOND_STACK, STACK, ProbeKnobs, edit_template, resource_of_type, synth_probe


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_probe(tmp_path_factory.mktemp("base") / "cdk.out")


def head_of(tmp_path: Path, **knobs: Any) -> Path:
    return synth_probe(tmp_path / "head.out", ProbeKnobs(**knobs))


def copy_of(base: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base, tmp_path / "head.out"))


def verdict_of(base: Path, head: Path, allow: tuple[str, ...] = (), strict: bool = False) -> Verdict:
    return judge(read_assembly(base), read_assembly(head), list(allow), strict=strict)


def flagged(verdict: Verdict, severity: str) -> dict[str, Finding]:
    return {f.address: f for f in verdict.findings if f.severity == severity}


def logical_id(assembly: Path, resource_type: str, stack: str = STACK) -> str:
    template = json.loads((assembly / f"{stack}.template.json").read_text(encoding="utf-8"))
    return resource_of_type(template, resource_type)[0]


def test_same_assembly_passes_with_nothing_flagged(base: Path) -> None:
    verdict = verdict_of(base, base)
    assert verdict.findings == []
    assert verdict.exit_code == 0
    assert verdict.summary.startswith("PASSED")


def test_database_identifier_change_replaces_the_database_danger_exit_2(base: Path, tmp_path: Path) -> None:
    verdict = verdict_of(base, head_of(tmp_path, db_identifier="probe-db-renamed"))
    danger = flagged(verdict, "danger")
    assert list(danger) == [f"{STACK}/Database"]
    assert "DBInstanceIdentifier probe-db -> probe-db-renamed" in danger[f"{STACK}/Database"].detail
    assert verdict.exit_code == 2


def test_database_port_change_is_an_in_place_update_not_a_replacement(base: Path, tmp_path: Path) -> None:
    """The registry schema does not make AWS::RDS::DBInstance Port create-only (its handler calls ModifyDBInstance
    with the new port; RDS restarts the instance). The firewall rule that carries the port is replaced (the CDK
    puts the port in its logical ID, and FromPort/ToPort are create-only anyway); it holds no state.
    The CDK CLI's diff, from its own older property spec, still prints "Port (requires replacement)" here."""
    head = head_of(tmp_path, db_port=5444)
    verdict = verdict_of(base, head)
    assert flagged(verdict, "danger") == {}
    assert verdict.exit_code == 0


def test_database_port_change_is_one_move_per_rule_and_a_restart_of_the_database(base: Path, tmp_path: Path) -> None:
    """A port move is not a widening: one finding per rule pair (closed the old port, opened the new one), and the
    database gets its own line: an in-place update that interrupts it (the CloudFormation reference's "Some
    interruptions"), which contradicts the "requires replacement" the raw `cdk diff` prints."""
    verdict = verdict_of(base, head_of(tmp_path, db_port=5440))
    assert flagged(verdict, "widening") == {}
    (move,) = [f for f in verdict.findings if f.severity == "moved"]
    assert move.change == "port moved"
    assert move.detail == "closed ingress tcp port 5433 from sg:Bastion2B4CEC30, opened tcp port 5440"
    old_rule = logical_id(base, "AWS::EC2::SecurityGroupIngress")
    assert f"{STACK}/{old_rule}" not in flagged(verdict, "change"), "the old rule's removal is part of the move"
    (restart,) = [f for f in verdict.findings if f.severity == "interruption"]
    assert restart.address == f"{STACK}/Database"
    assert restart.detail.startswith("Port 5433 -> 5440: in-place update, Some interruptions")
    assert "not create-only in the registry schema" in restart.detail
    assert "requires replacement" in restart.detail
    markdown_text = markdown(verdict, "base", "head")
    assert "`Database`" in markdown_text
    assert "No flagged change: `ProbeLogs`." in markdown_text
    assert verdict.exit_code == 0


def test_a_port_move_to_a_wider_range_is_still_a_widening(base: Path, tmp_path: Path) -> None:
    verdict = verdict_of(base, head_of(tmp_path, ssh_ports=(22, 2222)))
    (widening,) = flagged(verdict, "widening").values()
    assert "ports 22-2222" in widening.detail
    assert [f for f in verdict.findings if f.severity == "moved"] == []


def test_a_blocked_verdict_prints_a_ready_to_paste_allow_replace_line(base: Path, tmp_path: Path) -> None:
    head = head_of(tmp_path, db_identifier="probe-db-renamed", bucket_name="probe-moved-111122223333")
    verdict = verdict_of(base, head)
    assert verdict.exit_code == 2
    addresses = sorted(flagged(verdict, "danger"))
    line = f"ALLOW_REPLACE={','.join(addresses)}"
    assert line in markdown(verdict, "base", "head").splitlines()
    assert verdict_of(base, head, allow=tuple(addresses)).exit_code == 0, "the line accepts exactly the dangers"


def test_a_renamed_stack_is_one_new_stack_line_not_widenings_of_nothing(base: Path, tmp_path: Path) -> None:
    """A renamed tenant: the old stack's stateful resources are the dangers; the new stack is "new stack: N
    resources" with its rules listed once, never counted as widenings."""
    verdict = verdict_of(base, head_of(tmp_path, stack_name="ProbeRenamed"))
    assert flagged(verdict, "widening") == {}
    new_stack = next(s for s in verdict.stacks if s.name == "ProbeRenamed")
    (line,) = new_stack.findings
    assert line.severity == "new"
    assert line.detail.startswith("new stack: ")
    assert line.detail.split()[2].isdigit()
    assert any("ingress tcp port 22 from 203.0.113.0/28" in rule for rule in new_stack.new_rules)
    assert len(new_stack.new_rules) == len(set(new_stack.new_rules))
    assert {f.stack for f in verdict.findings if f.severity == "danger"} == {STACK}
    text = markdown(verdict, "base", "head")
    assert "new stack: " in text
    assert "ingress tcp port 22 from 203.0.113.0/28" in text
    assert verdict.summary.count("widening") == 0


def test_bucket_renamed_is_danger_and_follows_to_what_takes_its_name(base: Path, tmp_path: Path) -> None:
    verdict = verdict_of(base, head_of(tmp_path, bucket_name="probe-moved-111122223333"))
    danger = flagged(verdict, "danger")
    assert "BucketName probe-data-111122223333 -> probe-moved-111122223333" in danger[f"{STACK}/Data666C94C7"].detail
    # The log group's name is built from the bucket's name: CloudFormation replaces it too, and it holds state.
    assert "Data666C94C7 is replaced" in danger[f"{STACK}/BucketEvents18334626"].detail
    # So is the bucket policy (its Bucket is create-only), which holds none.
    assert f"{STACK}/DataPolicyB80589C3" in flagged(verdict, "change")
    assert verdict.exit_code == 2


def test_logical_id_rename_is_a_replacement(base: Path, tmp_path: Path) -> None:
    verdict = verdict_of(base, head_of(tmp_path, bucket_logical_id="DataBucketMoved"))
    danger = flagged(verdict, "danger")
    renamed = danger[f"{STACK}/Data666C94C7"]
    assert renamed.change == "renamed"
    assert "Data666C94C7 -> DataBucketMoved" in renamed.detail
    # The role's policy and the bucket policy now name DataBucketMoved: compared under the new ID, no new grant.
    assert flagged(verdict, "widening") == {}
    assert verdict.exit_code == 2


def test_stack_removed_deletes_every_stateful_resource(base: Path, tmp_path: Path) -> None:
    verdict = verdict_of(base, head_of(tmp_path, second_stack=None))
    danger = flagged(verdict, "danger")
    audit_log = logical_id(base, "AWS::Logs::LogGroup", SECOND_STACK)
    assert list(danger) == [f"{SECOND_STACK}/{audit_log}"]
    assert "stack removed" in danger[f"{SECOND_STACK}/{audit_log}"].detail
    assert next(s for s in verdict.stacks if s.name == SECOND_STACK).status == "removed"
    assert verdict.exit_code == 2


def test_stack_renamed_is_a_deletion_that_names_the_new_stack(base: Path, tmp_path: Path) -> None:
    verdict = verdict_of(base, head_of(tmp_path, second_stack="ProbeAudit"))
    danger = flagged(verdict, "danger")
    assert [f.stack for f in danger.values()] == [SECOND_STACK]
    assert "stack renamed to ProbeAudit" in next(iter(danger.values())).detail
    assert verdict.exit_code == 2


def test_tag_and_description_changes_are_not_flagged(base: Path, tmp_path: Path) -> None:
    verdict = verdict_of(base, head_of(tmp_path, tag="b", description="a new description"))
    assert verdict.findings == []
    assert verdict.exit_code == 0


def test_allow_replace_naming_the_resource_passes_and_still_reports_it(base: Path, tmp_path: Path) -> None:
    verdict = verdict_of(base, head_of(tmp_path, db_identifier="probe-db-2"), allow=(f"{STACK}/Database",))
    assert flagged(verdict, "danger") == {}
    assert list(flagged(verdict, "allowed")) == [f"{STACK}/Database"]
    assert verdict.allow_unused == []
    assert verdict.exit_code == 0


def test_allow_replace_must_name_every_stateful_resource(base: Path, tmp_path: Path) -> None:
    head = head_of(tmp_path, db_identifier="probe-db-2", second_stack=None)
    verdict = verdict_of(base, head, allow=(f"{STACK}/Database", f"{STACK}/NotThere"))
    assert list(flagged(verdict, "allowed")) == [f"{STACK}/Database"]
    assert [f.stack for f in flagged(verdict, "danger").values()] == [SECOND_STACK]
    assert verdict.allow_unused == [f"{STACK}/NotThere"]
    assert verdict.exit_code == 2


def test_retain_policy_makes_any_type_stateful(base: Path, tmp_path: Path) -> None:
    """The NACL has no state by type; a Retain policy says its author wants it kept."""

    def retain_and_replace(template: dict[str, Any]) -> None:
        acl = template["Resources"]["DataAcl"]
        acl["DeletionPolicy"] = "Retain"
        acl["Properties"]["VpcId"] = "vpc-0fedcba9876543210"  # create-only

    head = edit_template(copy_of(base, tmp_path), retain_and_replace)
    base_copy = edit_template(
        copy_of(base, tmp_path / "b"), lambda t: t["Resources"]["DataAcl"].update(DeletionPolicy="Retain")
    )
    danger = flagged(verdict_of(base_copy, head), "danger")
    assert "DeletionPolicy Retain" in danger[f"{STACK}/DataAcl"].detail


def test_stateless_replacement_is_reported_but_does_not_block(base: Path, tmp_path: Path) -> None:
    head = edit_template(
        copy_of(base, tmp_path), lambda t: t["Resources"]["DataAcl"]["Properties"].update(VpcId="vpc-0fedcba9876543210")
    )
    verdict = verdict_of(base, head)
    assert (
        "VpcId vpc-0123456789abcdef0 -> vpc-0fedcba9876543210" in flagged(verdict, "change")[f"{STACK}/DataAcl"].detail
    )
    # Every entry of the ACL takes its ID as create-only NetworkAclId: replaced with it.
    assert {f"{STACK}/DataAclAllowHttps", f"{STACK}/DataAclDenySsh"} <= flagged(verdict, "change").keys()
    assert verdict.exit_code == 0


def test_nested_create_only_path_replaces_and_a_sibling_does_not() -> None:
    """`/properties/DnsOptions/PrivateDnsPreference` of AWS::EC2::VPCEndpoint is create-only; its sibling
    DnsRecordIpType is not."""

    def endpoint(preference: str, record_type: str) -> dict[str, dict[str, Any]]:
        dns = {"PrivateDnsPreference": preference, "DnsRecordIpType": record_type}
        props = {"VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.s3", "DnsOptions": dns}
        return {"Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": props}}

    before = endpoint("VERIFIED_DOMAINS_ONLY", "ipv4")
    replaced = compare_resources(before, endpoint("ALL_DOMAINS", "ipv4"), "us-east-1").fates
    assert [(f.logical_id, f.change) for f in replaced] == [("Endpoint", "replaced")]
    assert "DnsOptions/PrivateDnsPreference VERIFIED_DOMAINS_ONLY -> ALL_DOMAINS" in replaced[0].detail
    assert compare_resources(before, endpoint("VERIFIED_DOMAINS_ONLY", "dualstack"), "us-east-1").fates == []


def test_type_change_replaces(base: Path, tmp_path: Path) -> None:
    head = edit_template(
        copy_of(base, tmp_path), lambda t: t["Resources"]["DataAcl"].update(Type="AWS::EC2::NetworkAclX")
    )
    replaced = flagged(verdict_of(base, head), "change")
    assert "type AWS::EC2::NetworkAcl -> AWS::EC2::NetworkAclX" in replaced[f"{STACK}/DataAcl"].detail


def test_wildcard_create_only_paths_compare_every_item() -> None:
    props = {"Config": {"Items": [{"Name": "a", "Size": 1}, {"Name": "b", "Size": 2}]}}
    assert values_at(props, ("Config", "Items", "*", "Name")) == ["a", "b"]
    assert values_at(props, ("Config", "Missing")) == []


def test_acknowledgements_added_removed_and_counted(base: Path, tmp_path: Path) -> None:
    """CMP-1: a reviewer sees each accepted finding that changes, with its reason, and the count."""
    suppress = {"id": "AwsSolutions-S1", "reason": "ACC-4 (not applicable): the access-log target does not log itself."}

    def with_ack(template: dict[str, Any], rule: dict[str, str]) -> None:
        bucket = template["Resources"]["AccessLogs8B620ECA"]
        bucket["Metadata"]["cdk_nag"] = {"rules_to_suppress": [rule]}

    acked = edit_template(copy_of(base, tmp_path / "a"), lambda t: with_ack(t, suppress))
    added = flagged(verdict_of(base, acked), "gate")
    assert added[f"{STACK}/AccessLogs8B620ECA"].change == "acknowledgement added"
    assert added[f"{STACK}/AccessLogs8B620ECA"].controls == ("CMP-1", "ACC-4")
    removed = verdict_of(acked, base)
    assert flagged(removed, "gate")[f"{STACK}/AccessLogs8B620ECA"].change == "acknowledgement removed"
    assert "acknowledgements 1 -> 0" in removed.summary
    reworded = edit_template(copy_of(base, tmp_path / "b"), lambda t: with_ack(t, {**suppress, "reason": "ACC-4: x"}))
    assert flagged(verdict_of(acked, reworded), "gate")[f"{STACK}/AccessLogs8B620ECA"].change == (
        "acknowledgement reason changed"
    )
    assert verdict_of(acked, reworded).exit_code == 0, "gate changes are reported, not blocking"


def test_failed_gates_in_the_head_assembly_are_named(base: Path, tmp_path: Path) -> None:
    head = copy_of(base, tmp_path)
    report = {"pluginReports": [{"pluginName": "cdk-nag", "conclusion": "failure", "violations": [{"ruleName": "X"}]}]}
    (head / "validation-report.json").write_text(json.dumps(report), encoding="utf-8")
    assert "lists 1 unacknowledged finding" in verdict_of(base, head).summary


def test_verdict_reads_assemblies_only_and_never_imports_the_app() -> None:
    """A tool package judges what would be deployed: no import of app, stacks, constructs, policies, config or CDK."""
    forbidden = {"app", "stacks", "constructs", "policies", "config", "aws_cdk", "tests", "boto3"}
    for module in sorted((ROOT / "diff_verdict").glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {name.split(".")[0] for name in imported} & forbidden, module.name


def test_every_control_the_verdict_names_is_in_the_catalog() -> None:
    """The verdict's one table of control IDs (diff_verdict/controls.py) names only catalog controls."""
    assert set(CONTROLS.values()) <= CONTROL_IDS
