"""The diff verdict's security-widening rules (issue 13, rule 2), each with a probe that widens and, where the rule
could over-fire, one that narrows or only reshapes: firewalls (NET-1, NET-3, ACC-3), IAM (ACC-3, ACC-8), resource
and key policies (ACC-1, ENC-1, ENC-3), public access (ACC-1), encryption (ENC-2, ENC-3) and logging (ACC-4)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from diff_verdict.assembly import read_assembly
from diff_verdict.findings import Finding
from diff_verdict.iam_widening import policy_widenings
from diff_verdict.verdict import judge
from tests.diff_probes import STACK, ProbeKnobs, edit_template, resource_of_type, synth_probe


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_probe(tmp_path_factory.mktemp("base") / "cdk.out")


def widenings(base: Path, head: Path, allow: tuple[str, ...] = ()) -> list[Finding]:
    verdict = judge(read_assembly(base), read_assembly(head), list(allow))
    assert verdict.exit_code == 0, "widening reports, it does not block without --strict"
    return [f for f in verdict.findings if f.severity == "widening"]


def widened_by(base: Path, tmp_path: Path, **knobs: Any) -> list[Finding]:
    return widenings(base, synth_probe(tmp_path / "head.out", ProbeKnobs(**knobs)))


def edited(base: Path, tmp_path: Path, change: Any) -> list[Finding]:
    return widenings(base, edit_template(Path(shutil.copytree(base, tmp_path / "head.out")), change))


def details(found: list[Finding]) -> list[str]:
    return [f"{f.logical_id}: {f.detail} {list(f.controls)}" for f in found]


# --- firewalls ------------------------------------------------------------------------------------------------------


def test_net3_acc3_ssh_opened_to_the_internet_is_widening(base: Path, tmp_path: Path) -> None:
    found = widened_by(base, tmp_path, ssh_cidrs=("0.0.0.0/0",))
    assert details(found) == [
        "Bastion2B4CEC30: ingress tcp port 22 from 0.0.0.0/0 (was 203.0.113.0/28) ['NET-3', 'ACC-3']"
    ]


def test_net3_acc3_ssh_from_a_new_network_is_widening(base: Path, tmp_path: Path) -> None:
    found = widened_by(base, tmp_path, ssh_cidrs=("203.0.113.0/28", "198.51.100.0/24"))
    assert [f.detail for f in found] == ["ingress tcp port 22 from 198.51.100.0/24 (new rule)"]


def test_net3_narrower_source_is_not_widening(base: Path, tmp_path: Path) -> None:
    assert widened_by(base, tmp_path, ssh_cidrs=("203.0.113.0/29",)) == []


def test_net3_wider_port_range_is_widening(base: Path, tmp_path: Path) -> None:
    found = widened_by(base, tmp_path, ssh_ports=(20, 25))
    assert [f.detail for f in found] == ["ingress tcp ports 20-25 from 203.0.113.0/28 (was tcp port 22)"]


def test_net1_all_outbound_is_widening(base: Path, tmp_path: Path) -> None:
    found = widened_by(base, tmp_path, allow_all_outbound=True)
    assert details(found) == ["Bastion2B4CEC30: egress all protocols all ports to 0.0.0.0/0 (new rule) ['NET-1']"]


def test_net1_acl_allow_opened_and_deny_removed_are_widening(base: Path, tmp_path: Path) -> None:
    found = widened_by(base, tmp_path, nacl_allow_cidr="0.0.0.0/0", nacl_deny_ssh=False)
    assert sorted(details(found)) == [
        "DataAclAllowHttps: allow ingress tcp port 443 from 0.0.0.0/0 (was 10.0.0.0/16) ['NET-1']",
        "DataAclDenySsh: deny ingress tcp port 22 from 0.0.0.0/0 removed or narrowed ['NET-1']",
    ]


def test_net1_security_group_rule_moved_to_its_own_resource_is_not_widening(base: Path, tmp_path: Path) -> None:
    def move(template: dict[str, Any]) -> None:
        group = template["Resources"]["Bastion2B4CEC30"]
        rule = group["Properties"].pop("SecurityGroupIngress")[0]
        template["Resources"]["BastionSsh"] = {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {**rule, "GroupId": {"Fn::GetAtt": ["Bastion2B4CEC30", "GroupId"]}},
        }

    assert edited(base, tmp_path, move) == []


# --- IAM and policies -----------------------------------------------------------------------------------------------


def test_acc3_new_iam_action_is_widening(base: Path, tmp_path: Path) -> None:
    found = widened_by(base, tmp_path, role_actions=("s3:GetObject", "s3:DeleteObject"))
    assert details(found) == [
        "OperatorDefaultPolicyA84BD3A6: PolicyDocument: Allow s3:DeleteObject on <Data666C94C7.Arn>/*; "
        "new actions s3:DeleteObject ['ACC-3']"
    ]


def test_acc3_wildcard_action_is_widening_and_a_removed_action_is_not(base: Path, tmp_path: Path) -> None:
    assert [f.detail for f in widened_by(base, tmp_path, role_actions=("s3:*",))] == [
        "PolicyDocument: Allow s3:* on <Data666C94C7.Arn>/*; new actions s3:*"
    ]
    wide = synth_probe(tmp_path / "wide.out", ProbeKnobs(role_actions=("s3:Get*", "s3:PutObject")))
    narrow = synth_probe(tmp_path / "narrow.out", ProbeKnobs(role_actions=("s3:GetObject",)))
    assert widenings(wide, narrow) == [], "s3:Get* covers s3:GetObject; dropping PutObject narrows"


def test_acc3_statements_split_differently_are_not_widening() -> None:
    def policy(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": list(statements)}}}

    merged = policy({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"})
    split = policy(
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
    )
    assert policy_widenings("S", "P", merged, split) == []
    assert policy_widenings("S", "P", split, merged) == []


def test_acc3_policy_attached_to_another_role_is_widening() -> None:
    document = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
    before = {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": document, "Roles": [{"Ref": "Ops"}]}}
    after = {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": document, "Roles": [{"Ref": "Ops"}, "Dev"]}}
    assert [f.detail for f in policy_widenings("S", "P", before, after)] == ["Roles: now also attached to Dev"]
    assert policy_widenings("S", "P", after, before) == []


def test_acc8_trust_policy_losing_its_mfa_condition_is_widening(base: Path, tmp_path: Path) -> None:
    found = widened_by(base, tmp_path, trust_requires_mfa=False)
    assert details(found) == [
        "Operator41AE602D: AssumeRolePolicyDocument: Allow sts:AssumeRole to AWS:arn:aws:iam::111122223333:root; "
        "condition removed or relaxed: Bool aws:MultiFactorAuthPresent ['ACC-8']"
    ]


def test_acc8_trust_policy_with_a_new_principal_is_widening(base: Path, tmp_path: Path) -> None:
    def trust_everyone(template: dict[str, Any]) -> None:
        role = template["Resources"]["Operator41AE602D"]
        role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {"AWS": "*"}

    assert [f.controls for f in edited(base, tmp_path, trust_everyone)] == [("ACC-8",)]


def test_acc3_managed_policy_and_acc8_new_user_are_widening(base: Path, tmp_path: Path) -> None:
    def admin_and_user(template: dict[str, Any]) -> None:
        role = template["Resources"]["Operator41AE602D"]
        role["Properties"]["ManagedPolicyArns"] = ["arn:aws:iam::aws:policy/AdministratorAccess"]
        template["Resources"]["Deployer"] = {"Type": "AWS::IAM::User", "Properties": {}}

    assert sorted(details(edited(base, tmp_path, admin_and_user))) == [
        "Deployer: new AWS::IAM::User: long-lived credentials instead of a role ['ACC-8']",
        "Operator41AE602D: managed policy attached: arn:aws:iam::aws:policy/AdministratorAccess ['ACC-3']",
    ]


def test_enc1_tls_only_bucket_policy_removed_is_widening(base: Path, tmp_path: Path) -> None:
    found = widened_by(base, tmp_path, enforce_ssl=False)
    assert [(f.resource_type, f.controls) for f in found] == [("AWS::S3::BucketPolicy", ("ENC-1",))]
    assert "Deny s3:* on <Data666C94C7.Arn>, <Data666C94C7.Arn>/* removed or narrowed" in found[0].detail


def test_enc3_key_policy_grant_to_a_new_principal_is_widening(base: Path, tmp_path: Path) -> None:
    def grant(template: dict[str, Any]) -> None:
        _, key = resource_of_type(template, "AWS::KMS::Key")
        key["Properties"]["KeyPolicy"]["Statement"].append(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        )

    found = edited(base, tmp_path, grant)
    assert [f.controls for f in found] == [("ENC-3",)]
    assert "new principals AWS:arn:aws:iam::444455556666:root" in found[0].detail


def test_acc1_bucket_policy_allowing_everyone_is_widening(base: Path, tmp_path: Path) -> None:
    def public_read(template: dict[str, Any]) -> None:
        _, policy = resource_of_type(template, "AWS::S3::BucketPolicy")
        policy["Properties"]["PolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::probe/*"}
        )

    found = edited(base, tmp_path, public_read)
    assert [f.controls for f in found] == [("ACC-1",)]


# --- public access, encryption, logging -----------------------------------------------------------------------------


def test_acc1_public_access_block_relaxed_is_widening(base: Path, tmp_path: Path) -> None:
    found = [f for f in widened_by(base, tmp_path, block_public_access=False) if f.logical_id == "Data666C94C7"]
    assert [f.controls for f in found] == [("ACC-1",)]
    assert "PublicAccessBlockConfiguration/BlockPublicAcls true -> (unset)" in found[0].detail


def test_enc2_bucket_moved_from_kms_to_s3_managed_keys_is_widening(base: Path, tmp_path: Path) -> None:
    found = [f for f in widened_by(base, tmp_path, bucket_kms=False) if f.controls == ("ENC-2",)]
    assert len(found) == 1
    assert "SSEAlgorithm aws:kms -> AES256" in found[0].detail
    assert "KMSMasterKeyID" in found[0].detail


def test_enc3_database_and_log_group_encryption_removed_is_widening(base: Path, tmp_path: Path) -> None:
    base_with_key = edit_template(
        Path(shutil.copytree(base, tmp_path / "b.out")),
        lambda t: t["Resources"]["BucketEvents18334626"]["Properties"].update(KmsKeyId="arn:aws:kms:us-east-1:1:key/x"),
    )
    unencrypted = edit_template(
        Path(shutil.copytree(base_with_key, tmp_path / "h.out")),
        lambda t: t["Resources"]["Database"]["Properties"].pop("StorageEncrypted"),
    )
    # StorageEncrypted is create-only too: the database would also be replaced (a DANGER, accepted here).
    found = widenings(base_with_key, unencrypted, allow=(f"{STACK}/Database",))
    assert details(found) == ["Database: StorageEncrypted true -> (unset) ['ENC-3']"]
    dropped_key = edited(
        base_with_key, tmp_path / "k", lambda t: t["Resources"]["BucketEvents18334626"]["Properties"].pop("KmsKeyId")
    )
    assert [f.controls for f in dropped_key] == [("ENC-3",)]


def test_acc4_access_logs_and_flow_log_removed_are_widening(base: Path, tmp_path: Path) -> None:
    found = widened_by(base, tmp_path, access_logs=False, flow_log=False)
    assert sorted((f.logical_id, f.controls) for f in found) == [("Data666C94C7", ("ACC-4",)), ("FlowLog", ("ACC-4",))]


def test_acc4_database_log_export_dropped_is_widening(base: Path, tmp_path: Path) -> None:
    exports = {"EnableCloudwatchLogsExports": ["postgresql", "upgrade"]}
    with_logs = edit_template(
        Path(shutil.copytree(base, tmp_path / "b.out")),
        lambda t: t["Resources"]["Database"]["Properties"].update(exports),
    )
    found = edited(
        with_logs,
        tmp_path,
        lambda t: t["Resources"]["Database"]["Properties"].update(EnableCloudwatchLogsExports=["upgrade"]),
    )
    assert details(found) == ["Database: EnableCloudwatchLogsExports lost postgresql ['ACC-4']"]
