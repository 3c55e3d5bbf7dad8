"""Bastion promises that hold only once deployed (issue 16): what the host, sshd, IAM and CloudWatch will apply.

ACC-2 rotation and Instance Connect, ACC-5 idle shells, ACC-4 log silence and boot retries, ACC-8 trust, with the
config refusals that go with them. Read from the session synth and from tiny probe apps.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_iam as iam

from config import DEFAULT_CONFIG_PATH, ConfigError, EnvironmentConfig, parse_config
from config.model import bastion_user_data_bytes
from constructs.bastion_host import key_pair_name
from constructs.bastion_user_data import (
    IDLE_SHELL_PROFILE,
    INSTALL_ATTEMPTS,
    INSTANCE_CONNECT_PACKAGES,
    OperatorKey,
    SshdPolicy,
    render_idle_shell_profile,
    render_user_data,
)
from constructs.job_roles import mfa_principals
from constructs.ssh_access_alerts import INCOMING_LOG_EVENTS
from tests.bastion_probes import SSHD, tiny_bastion
from tests.conftest import PROD, Synthesized
from tests.probes import tiny_stack

BASTION = f"{PROD}-bastion"
ALICE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOGX/CO//m+BoXVBMLicNSbA0Y+rmFahu/pXs3Ja3zsK alice@example.com"
ALICE_NEW_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMGykW6ALAg+YSdFgzTgcqcDia0BoTeufx5nWXLiS/2z alice@example.com"


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template_json(BASTION)


@pytest.fixture(scope="module")
def env_config(synthesized: Synthesized) -> EnvironmentConfig:
    return synthesized.environments[PROD].bastion.env_config


@pytest.fixture(scope="module")
def script(template: dict[str, Any]) -> str:
    (instance,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::Instance"]
    text: str = instance["Properties"]["UserData"]["Fn::Base64"]
    return text


def of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == type_name}


def example(**bastion: Any) -> dict[str, Any]:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    data["environments"][0]["bastion"].update(bastion)
    return data


# --- ACC-2: key rotation is a config change that deploys -------------------------------------------------


def test_acc2_probe_rotating_a_key_renames_its_key_pair_under_the_same_logical_id() -> None:
    """Same construct, new material: CloudFormation replaces the pair, and the new name lets it (no name clash)."""
    before, after = tiny_stack(), tiny_stack()
    old = tiny_bastion(before, "Env", [OperatorKey("alice", ALICE_KEY)]).key_pairs["alice"]
    new = tiny_bastion(after, "Env", [OperatorKey("alice", ALICE_NEW_KEY)]).key_pairs["alice"]
    assert before.resolve(old.logical_id) == after.resolve(new.logical_id)
    assert old.key_name != new.key_name
    assert old.key_name.startswith("probe-dev-alice-")
    assert new.key_name.startswith("probe-dev-alice-")
    # A comment-only change is a change of PublicKeyMaterial too: it must rename the pair as well.
    recommented = OperatorKey("alice", ALICE_KEY.replace("alice@example.com", "alice@laptop"))
    assert key_pair_name("probe-dev", recommented) != old.key_name


# --- ACC-2: EC2 Instance Connect is gone before sshd serves ------------------------------------------------


def test_acc2_instance_connect_is_removed_before_sshd_restarts(script: str) -> None:
    removal = script.index(f"for package in {' '.join(INSTANCE_CONNECT_PACKAGES)}; do")
    assert 'rpm -e --nodeps "$package"' in script[removal : removal + 200]  # local: no download can fail it
    assert removal < script.index("systemctl restart sshd")


def test_acc2_sshd_takes_keys_only_from_authorized_keys(script: str) -> None:
    (body,) = re.findall(r"<<'SSHD_CONFIG'\n(.*?)\nSSHD_CONFIG\n", script, flags=re.S)
    settings = dict(line.split(" ", 1) for line in body.splitlines())
    assert settings["AuthorizedKeysCommand"] == "none"
    assert settings["AuthorizedKeysFile"] == ".ssh/authorized_keys"


def test_acc2_a_remaining_key_command_stops_sshd_before_restart(script: str) -> None:
    """sshd -T shows the files' effective value; -o on the unit's command line would override every file."""
    check = script.index("if ! grep -qx 'authorizedkeyscommand none' <<<\"$effective_sshd\"")
    restart = script.index("systemctl restart sshd")
    assert check < restart
    assert 'effective_sshd="$(sshd -T)" || effective_sshd=""' in script
    assert "systemctl show -p ExecStart sshd" in script
    assert "systemctl stop sshd\n  exit 1" in script[check:restart]


def test_acc2_instance_connect_pushes_still_alert(template: dict[str, Any]) -> None:
    """The host ignores pushed keys now; an attempt to push one is still a sign of someone bypassing operators."""
    rules = [r for r in of_type(template, "AWS::Events::Rule").values() if "instance-connect" in str(r)]
    (rule,) = rules
    assert "SendSSHPublicKey" in rule["EventPattern"]["detail"]["eventName"]


# --- ACC-5: idle shells end -------------------------------------------------------------------------------


def test_acc5_idle_shells_end_by_a_readonly_exported_tmout(script: str, env_config: EnvironmentConfig) -> None:
    (profile,) = re.findall(r"<<'IDLE_SHELL'\n(.*?)\nIDLE_SHELL\n", script, flags=re.S)
    lines = [line for line in profile.splitlines() if not line.startswith("#")]
    assert lines == [f"TMOUT={env_config.bastion.idle_shell_timeout_seconds}", "readonly TMOUT", "export TMOUT"]
    assert f"cat > {IDLE_SHELL_PROFILE} <<'IDLE_SHELL'" in script
    assert IDLE_SHELL_PROFILE.startswith("/etc/profile.d/")
    assert IDLE_SHELL_PROFILE.endswith(".sh")
    assert f"chmod 644 {IDLE_SHELL_PROFILE}" in script  # readable by the operators' shells
    assert script.index(IDLE_SHELL_PROFILE) < script.index("systemctl restart sshd")


def test_acc5_idle_shell_profile_follows_config() -> None:
    policy = SshdPolicy(
        unresponsive_client_check_interval_seconds=60,
        unresponsive_client_max_missed_checks=1,
        idle_shell_timeout_seconds=300,
        max_auth_tries=3,
    )
    assert "TMOUT=300\nreadonly TMOUT\nexport TMOUT" in render_idle_shell_profile(policy)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("client_alive_interval_seconds", "unresponsive_client_check_interval_seconds"),
        ("client_alive_count_max", "unresponsive_client_max_missed_checks"),
    ],
)
def test_acc5_probe_old_field_names_are_refused_with_their_new_names(old: str, new: str) -> None:
    data = example()
    data["environments"][0]["bastion"].pop("unresponsive_client_check_interval_seconds")
    data["environments"][0]["bastion"].pop("unresponsive_client_max_missed_checks")
    data["environments"][0]["bastion"][old] = 300 if "interval" in old else 2
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    (line,) = caught.value.problems
    assert line.startswith(f"config error: environments[0] (acme-prod).bastion.{old} = ")
    assert f"was renamed to {new}" in line


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("idle_shell_timeout_seconds", 0),
        ("idle_shell_timeout_seconds", 30),
        ("idle_shell_timeout_seconds", 7200),
        ("unresponsive_client_check_interval_seconds", 5),
        ("unresponsive_client_max_missed_checks", 0),
    ],
)
def test_acc5_probe_session_timeouts_out_of_range_are_refused(field: str, value: int) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(example(**{field: value}))
    (line,) = caught.value.problems
    assert line.startswith(f"config error: environments[0] (acme-prod).bastion.{field} = {value}: ")


@pytest.mark.parametrize("value", [0, 899, 129601])
def test_acc8_probe_mfa_max_age_out_of_range_is_refused(value: int) -> None:
    data = example()
    data["environments"][0]["access"]["mfa_max_age_seconds"] = value
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    (line,) = caught.value.problems
    assert line.startswith(f"config error: environments[0] (acme-prod).access.mfa_max_age_seconds = {value}: ")


# --- ACC-4: the log trail exists, and silence is an alert ---------------------------------------------------


def test_acc4_boot_downloads_retry_with_bounded_backoff(script: str) -> None:
    assert "retry() {" in script
    assert f'if [ "$attempt" -ge {INSTALL_ATTEMPTS} ]; then' in script
    assert "delay=$((delay * 2))" in script
    assert "retry dnf install -y amazon-cloudwatch-agent rsyslog audit" in script
    assert "retry /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl" in script
    assert "\ndnf install" not in script  # every download goes through retry


def test_acc4_a_heartbeat_reaches_the_auth_log_every_few_minutes(script: str) -> None:
    assert "ExecStart=/usr/bin/logger -p authpriv.notice -t bastion-log-heartbeat" in script
    assert re.search(r"OnUnitActiveSec=\d+min", script)
    assert "systemctl enable --now bastion-log-heartbeat.timer" in script


def test_acc4_silent_log_groups_alarm_the_topic_with_missing_data_breaching(template: dict[str, Any]) -> None:
    groups = {k: g["LogGroupName"] for k, g in of_type(template, "AWS::Logs::LogGroup").items()}
    (topic_id,) = of_type(template, "AWS::SNS::Topic")
    silence = [a for a in of_type(template, "AWS::CloudWatch::Alarm").values() if a["Namespace"] == "AWS/Logs"]
    watched = set()
    for alarm in silence:
        assert alarm["MetricName"] == INCOMING_LOG_EVENTS == "IncomingLogEvents"
        (dimension,) = alarm["Dimensions"]
        assert dimension["Name"] == "LogGroupName"
        watched.add(dimension["Value"]["Ref"])
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "LessThanThreshold", 1)
        assert alarm["TreatMissingData"] == "breaching"
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]
        assert alarm["Period"] * alarm["EvaluationPeriods"] >= 2 * 5 * 60  # longer than two heartbeats
    assert watched == set(groups)


# --- ACC-8: trust by account and principal ARN ---------------------------------------------------------------


def test_acc8_probe_an_account_root_in_config_trusts_that_account_without_an_arn_match() -> None:
    stack = tiny_stack()
    principal = mfa_principals(["arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:role/Ops"])
    role = iam.Role(stack, "Role", assumed_by=principal)
    statements = stack.resolve(role.assume_role_policy.to_json())["Statement"]  # type: ignore[union-attr]
    by_account = {s["Principal"]["AWS"]: s["Condition"] for s in statements}
    assert set(by_account) == {"arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:root"}
    assert "ArnEquals" not in by_account["arn:aws:iam::444455556666:root"]
    assert by_account["arn:aws:iam::111122223333:root"]["ArnEquals"] == {
        "aws:PrincipalArn": ["arn:aws:iam::111122223333:role/Ops"]
    }
    assert all(c["Bool"] == {"aws:MultiFactorAuthPresent": "true"} for c in by_account.values())


# --- ENC-3: the backup notification key, checked the same way as the alert key ------------------------------------


def test_enc3_backup_notification_key_admits_its_publishers_only_for_its_topic(synthesized: Synthesized) -> None:
    """AWS Backup (job events), CloudWatch (the BAK-5 replication alarm) and RDS events (ACC-4) publish to the topic;
    nothing else."""
    backup = synthesized.template_json(f"{PROD}-backup")
    (topic,) = of_type(backup, "AWS::SNS::Topic").values()
    (alias,) = [a for a in of_type(backup, "AWS::KMS::Alias").values() if a["AliasName"].endswith("/notifications")]
    key = backup["Resources"][alias["TargetKeyId"]["Fn::GetAtt"][0]]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [alias["TargetKeyId"]["Fn::GetAtt"][0], "Arn"]}
    services = [s for s in key["KeyPolicy"]["Statement"] if "Service" in (s.get("Principal") or {})]
    assert sorted(s["Principal"]["Service"] for s in services) == [
        "backup.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "events.rds.amazonaws.com",
    ]
    topic_arn = f"arn:aws:sns:us-east-1:111122223333:{topic['TopicName']}"
    for statement in services:
        assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert statement["Condition"] == {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}}


# --- ACC-2: the first-boot script must fit EC2's user-data limit ----------------------------------------------------


@pytest.fixture(scope="module")
def rsa_4096_key() -> str:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    private = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return public.decode() + " a-rather-long-comment-for-the-key@workstation.example.com"


def operators_config(key: str, count: int, name_length: int = 32) -> dict[str, Any]:
    data = example()
    data["environments"][0]["operators"] = [
        {"name": f"op{index:02d}".ljust(name_length, "x"), "ssh_public_key": key} for index in range(count)
    ]
    return data


@pytest.mark.parametrize(("count", "name_length"), [(1, 32), (6, 2), (7, 32)])
def test_acc2_user_data_estimate_is_an_upper_bound_of_the_rendered_script(
    rsa_4096_key: str, count: int, name_length: int
) -> None:
    """The config refusal below is sound only if the estimate never undercounts the real rendering."""
    data = operators_config(rsa_4096_key, count, name_length)
    data["environments"][0]["tenant"] = "abcdefghijklmnop"  # the longest environment name
    data["environments"][0]["stage"] = "staging"
    data["environments"][0]["nat_gateways"] = 3
    env = parse_config(data).environments[0]
    rendered = render_user_data(
        operators=[OperatorKey(op.name, op.ssh_public_key) for op in env.operators],
        sshd=SSHD,
        auth_log_group_name=f"/{env.name}/bastion/secure",
        audit_log_group_name=f"/{env.name}/bastion/audit",
    )
    estimate, real = bastion_user_data_bytes(env.operators), len(rendered.encode())
    assert real <= estimate <= real + 300 + 70 * count  # never under, and close enough not to refuse good configs


def test_acc2_probe_more_operators_than_the_user_data_limit_holds_are_refused(rsa_4096_key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(operators_config(rsa_4096_key, 20))
    (line,) = caught.value.problems
    assert re.match(
        r"config error: environments\[0\] \(acme-prod\)\.operators\[\d+\]\.name = 'op\d+x*': does not fit: ", line
    )
    assert "EC2 accepts at most 16384 bytes of user data" in line


# --- The script's logic, run by bash with stand-ins for sshd, systemctl and sleep ---------------------------------


def fragment(script: str, start: str, end: str) -> str:
    """The lines of the script from the one starting with `start` up to (not including) the one with `end`."""
    begin = script.index(start)
    return script[begin : script.index(end, begin)]


def run_with_stand_ins(tmp_path: Path, body: str, stand_ins: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `body` under `bash -euo pipefail` with each named command replaced by a stub that logs its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for command, stub in stand_ins.items():
        path = bin_dir / command
        path.write_text(f'#!/bin/bash\necho "{command} $*" >> {tmp_path}/calls\n{stub}\n', encoding="utf-8")
        path.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run(
        ["/bin/bash", "-euo", "pipefail", "-c", body], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def calls(tmp_path: Path) -> list[str]:
    path = tmp_path / "calls"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


GOOD_SSHD_T = "echo 'authorizedkeyscommand none'; echo 'allowusers alice'"
PLAIN_UNIT = "echo 'ExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D $OPTIONS }'"


@pytest.mark.parametrize(
    ("sshd_t", "unit", "serves"),
    [
        (GOOD_SSHD_T, PLAIN_UNIT, True),
        ("echo 'authorizedkeyscommand /opt/aws/bin/eic_run_authorized_keys %u %f'", PLAIN_UNIT, False),
        (GOOD_SSHD_T, "echo 'ExecStart={ argv[]=/usr/sbin/sshd -D -o AuthorizedKeysCommand /opt/x %u }'", False),
        ("exit 1", PLAIN_UNIT, False),
    ],
)
def test_acc2_key_command_check_fails_closed_when_run(
    tmp_path: Path, script: str, sshd_t: str, unit: str, serves: bool
) -> None:
    """Run the check as the host would: sshd stops unless no key command is configured anywhere."""
    body = fragment(script, 'effective_sshd="$(sshd -T)"', "\n\n")
    result = run_with_stand_ins(
        tmp_path,
        body,
        {
            "sshd": f'if [ "$1" = "-T" ]; then {sshd_t}; fi',
            "systemctl": f'if [ "$1" = "show" ]; then {unit}; fi',
        },
    )
    assert (result.returncode == 0) is serves, result.stderr
    assert ("systemctl restart sshd" in calls(tmp_path)) is serves
    assert ("systemctl stop sshd" in calls(tmp_path)) is not serves


@pytest.mark.parametrize(("failures", "succeeds"), [(0, True), (INSTALL_ATTEMPTS - 1, True), (INSTALL_ATTEMPTS, False)])
def test_acc4_retry_gives_up_after_the_bounded_attempts_with_doubling_waits(
    tmp_path: Path, script: str, failures: int, succeeds: bool
) -> None:
    retry = fragment(script, "retry() {", "\n}\n") + "\n}\n"
    flaky = f'n=$(cat {tmp_path}/n 2>/dev/null || echo 0); echo $((n + 1)) > {tmp_path}/n; [ "$n" -ge {failures} ]'
    result = run_with_stand_ins(tmp_path, retry + "retry flaky-download", {"flaky-download": flaky, "sleep": ""})
    assert (result.returncode == 0) is succeeds
    waits = [int(call.split()[1]) for call in calls(tmp_path) if call.startswith("sleep ")]
    assert waits == [5 * 2**attempt for attempt in range(min(failures, INSTALL_ATTEMPTS - 1))]
    assert len([call for call in calls(tmp_path) if call.startswith("flaky-download")]) == min(
        failures + 1, INSTALL_ATTEMPTS
    )


def test_acc5_tmout_cannot_be_changed_or_unset_once_the_profile_ran(tmp_path: Path) -> None:
    profile = tmp_path / "idle.sh"
    profile.write_text(render_idle_shell_profile(SSHD) + "\n", encoding="utf-8")
    # Each attempt runs in a subshell: a refused assignment ends a non-interactive shell (an interactive one goes on).
    shell = (
        f". {profile}; (TMOUT=0) 2>/dev/null || echo refused; (unset TMOUT) 2>/dev/null || echo refused; "
        "echo \"$TMOUT\"; bash -c 'echo $TMOUT'"
    )
    result = subprocess.run(
        ["/bin/bash", "--norc", "--noprofile", "-c", shell], capture_output=True, text=True, timeout=30, check=False
    )
    # refused twice, unchanged in the shell, and exported to its children
    assert result.stdout.split() == ["refused", "refused", "900", "900"]
