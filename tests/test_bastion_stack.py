"""Bastion stack (issue 5): ACC-2, ACC-3, ACC-4, ACC-5, BAK-1, read from the synthesized templates, plus probes."""

from __future__ import annotations

import ipaddress
import json
import re
import tomllib
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

from config import DEFAULT_CONFIG_PATH, ConfigError, EnvironmentConfig, parse_config
from config.limits import BACKUP_TAG_KEY, BACKUP_TAG_VALUE
from constructs.bastion_user_data import SSHD_DROP_IN, OperatorKey, render_user_data
from constructs.ssh_access_alerts import FAILED_SSH_LOGIN_TERMS
from policies.create_only_names import content_digest
from tests.bastion_probes import SSHD, tiny_bastion
from tests.conftest import DEV, PROD, Synthesized
from tests.probes import nag_findings, tiny_stack
from tests.template_resources import of_type, only

BASTION = f"{PROD}-bastion"
ALICE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOGX/CO//m+BoXVBMLicNSbA0Y+rmFahu/pXs3Ja3zsK alice@example.com"
CAROL_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMGykW6ALAg+YSdFgzTgcqcDia0BoTeufx5nWXLiS/2z carol@example.com"


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template_json(BASTION)


@pytest.fixture(scope="module")
def env_config(synthesized: Synthesized) -> EnvironmentConfig:
    return synthesized.environments[PROD].bastion.env_config


def key_with_alias(template: dict[str, Any], alias: str) -> str:
    for resource in of_type(template, "AWS::KMS::Alias").values():
        if resource["Properties"]["AliasName"] == alias:
            target: str = resource["Properties"]["TargetKeyId"]["Fn::GetAtt"][0]
            assert template["Resources"][target]["Type"] == "AWS::KMS::Key"
            return target
    raise AssertionError(f"no key with alias {alias}")


def tags(properties: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in properties.get("Tags", [])}


def user_data(template: dict[str, Any]) -> str:
    _, instance = only(template, "AWS::EC2::Instance")
    text: str = instance["UserData"]["Fn::Base64"]
    return text


def heredoc(script: str, delimiter: str) -> list[str]:
    """The bodies of every `<<'DELIMITER'` block in the script."""
    return re.findall(rf"<<'{delimiter}'\n(.*?)\n{delimiter}\n", script, flags=re.S)


def sshd_settings(script: str) -> dict[str, str]:
    (body,) = heredoc(script, "SSHD_CONFIG")
    return dict(line.split(" ", 1) for line in body.splitlines())


# --- ACC-2 / ENC-3: the host itself ------------------------------------------------------------------------


def test_acc2_bastion_requires_imdsv2(template: dict[str, Any]) -> None:
    _, instance = only(template, "AWS::EC2::Instance")
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert instance["MetadataOptions"]["HttpPutResponseHopLimit"] == 1


def test_enc3_root_volume_is_gp3_encrypted_with_this_stacks_key(template: dict[str, Any]) -> None:
    _, instance = only(template, "AWS::EC2::Instance")
    (root,) = instance["BlockDeviceMappings"]
    assert root["DeviceName"] == "/dev/xvda"
    assert root["Ebs"]["Encrypted"] is True
    assert root["Ebs"]["VolumeType"] == "gp3"
    assert root["Ebs"]["KmsKeyId"] == {
        "Fn::GetAtt": [key_with_alias(template, "alias/acme-prod/bastion/volumes"), "Arn"]
    }


def test_acc2_bastion_runs_amazon_linux_2023_from_the_public_ssm_parameter(template: dict[str, Any]) -> None:
    _, instance = only(template, "AWS::EC2::Instance")
    parameter = template["Parameters"][instance["ImageId"]["Ref"]]
    assert parameter["Default"].startswith("/aws/service/ami-amazon-linux-latest/al2023-ami-")
    assert instance["InstanceType"] == "t3.micro"


def test_acc3_bastion_sits_in_the_first_public_subnet_behind_the_bastion_group(template: dict[str, Any]) -> None:
    _, instance = only(template, "AWS::EC2::Instance")
    (interface,) = instance["NetworkInterfaces"]
    assert "PublicSubnet1Subnet" in interface["SubnetId"]["Fn::ImportValue"]
    (group,) = interface["GroupSet"]
    assert "SecurityGroupsBastion" in group["Fn::ImportValue"]
    assert interface["AssociatePublicIpAddress"] is False


def test_acc2_elastic_ip_is_the_bastions_only_public_address(template: dict[str, Any]) -> None:
    instance_id, _ = only(template, "AWS::EC2::Instance")
    eip_id, eip = only(template, "AWS::EC2::EIP")
    _, association = only(template, "AWS::EC2::EIPAssociation")
    assert eip["Domain"] == "vpc"
    assert association == {"AllocationId": {"Fn::GetAtt": [eip_id, "AllocationId"]}, "InstanceId": {"Ref": instance_id}}


def test_acc2_bastion_has_detailed_monitoring(template: dict[str, Any]) -> None:
    _, instance = only(template, "AWS::EC2::Instance")
    assert instance["Monitoring"] is True


def test_acc2_replaced_bastion_can_be_terminated_so_revocation_removes_the_old_host(template: dict[str, Any]) -> None:
    """Instance termination protection would leave the replaced host (and the revoked key) running."""
    _, instance = only(template, "AWS::EC2::Instance")
    assert instance.get("DisableApiTermination") in (None, False)


def test_acc2_production_stacks_keep_stack_termination_protection(synthesized: Synthesized) -> None:
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text(encoding="utf-8"))
    for name, artifact in manifest["artifacts"].items():
        if artifact["type"] == "aws:cloudformation:stack" and name in synthesized.stack_names():
            protected = artifact["properties"].get("terminationProtection", False)
            # Account baselines are protected too (tests/test_baseline_stack.py).
            assert protected is (name.startswith("acme-prod-") or name.endswith(("-baseline", "-baseline-dr"))), name


def test_acc2_instance_has_no_launch_key_pair(template: dict[str, Any]) -> None:
    _, instance = only(template, "AWS::EC2::Instance")
    assert "KeyName" not in instance
    assert "rm -f /home/ec2-user/.ssh/authorized_keys" in user_data(template)


def test_bak1_bastion_carries_the_backup_tag(template: dict[str, Any]) -> None:
    _, instance = only(template, "AWS::EC2::Instance")
    assert tags(instance)[BACKUP_TAG_KEY] == BACKUP_TAG_VALUE


# --- ACC-2 / ACC-4: named operator keys --------------------------------------------------------------------


def test_acc2_key_pair_names_carry_operator_and_key_material_digest(
    template: dict[str, Any], env_config: EnvironmentConfig
) -> None:
    """KeyName, PublicKeyMaterial and Tags are create-only: the name changes with the material, so rotation deploys."""
    pairs = {p["Properties"]["KeyName"]: p["Properties"] for p in of_type(template, "AWS::EC2::KeyPair").values()}
    expected = {
        f"acme-prod-{op.name}-{content_digest({'PublicKeyMaterial': op.ssh_public_key})}": op
        for op in env_config.operators
    }
    assert set(pairs) == set(expected)
    for name, operator in expected.items():
        assert pairs[name] == {"KeyName": name, "PublicKeyMaterial": operator.ssh_public_key}


def test_acc2_key_pairs_carry_no_tags_although_every_other_resource_does(template: dict[str, Any]) -> None:
    """Tags are create-only on key pairs: an owner or classification change would otherwise force a replacement."""
    pairs = of_type(template, "AWS::EC2::KeyPair")
    assert pairs
    assert all("Tags" not in pair["Properties"] for pair in pairs.values())
    _, instance = only(template, "AWS::EC2::Instance")
    assert tags(instance)["owner"] == "platform-team@example.com"


def test_acc4_user_data_gives_each_operator_an_account_holding_exactly_their_key(
    synthesized: Synthesized, template: dict[str, Any], env_config: EnvironmentConfig
) -> None:
    script = user_data(template)
    assert script == synthesized.environments[PROD].bastion.bastion.rendered_user_data
    assert heredoc(script, "OPERATOR_KEY") == [operator.ssh_public_key for operator in env_config.operators]
    for operator in env_config.operators:
        assert f"useradd --create-home --shell /bin/bash {operator.name}" in script
        assert (
            f"cat > /home/{operator.name}/.ssh/authorized_keys <<'OPERATOR_KEY'\n{operator.ssh_public_key}\n" in script
        )
        assert f"chmod 600 /home/{operator.name}/.ssh/authorized_keys" in script


# --- ACC-2 / ACC-5: sshd ----------------------------------------------------------------------------------


def test_acc2_acc5_sshd_drop_in_is_key_only_verbose_and_drops_unresponsive_clients(
    template: dict[str, Any], env_config: EnvironmentConfig
) -> None:
    script = user_data(template)
    settings = sshd_settings(script)
    assert f"cat > {SSHD_DROP_IN} <<'SSHD_CONFIG'" in script
    assert SSHD_DROP_IN.startswith("/etc/ssh/sshd_config.d/01-")  # sorts first: sshd keeps the first value it reads
    assert settings["PasswordAuthentication"] == "no"
    assert settings["KbdInteractiveAuthentication"] == "no"
    assert settings["PermitRootLogin"] == "no"
    assert settings["PubkeyAuthentication"] == "yes"
    assert settings["AuthenticationMethods"] == "publickey"
    assert settings["LogLevel"] == "VERBOSE"
    assert settings["AllowUsers"] == " ".join(operator.name for operator in env_config.operators)
    bastion = env_config.bastion
    assert settings["ClientAliveInterval"] == str(bastion.unresponsive_client_check_interval_seconds)
    assert settings["ClientAliveCountMax"] == str(bastion.unresponsive_client_max_missed_checks)
    assert settings["MaxAuthTries"] == str(env_config.bastion.max_auth_tries)


def test_acc2_sshd_offers_only_modern_algorithms(template: dict[str, Any]) -> None:
    settings = sshd_settings(user_data(template))
    weak = re.compile(r"cbc|sha1|md5|arcfour|3des|group1-|group14-sha1|umac-64|hmac-sha2-(256|512)$")
    for field in ("Ciphers", "MACs", "KexAlgorithms", "PubkeyAcceptedAlgorithms"):
        algorithms = settings[field].split(",")
        assert algorithms, field
        assert not [a for a in algorithms if weak.search(a)], field
    assert all(mac.endswith("-etm@openssh.com") for mac in settings["MACs"].split(","))


def test_acc2_sshd_config_is_validated_before_restart_and_fails_closed(template: dict[str, Any]) -> None:
    script = user_data(template)
    check, restart = script.index("if ! sshd -t; then"), script.index("systemctl restart sshd")
    assert check < restart
    assert "systemctl stop sshd\n  exit 1" in script[check:restart]


# --- ACC-4: logs ------------------------------------------------------------------------------------------


def test_acc4_auth_and_audit_logs_go_to_encrypted_log_groups_kept_except_on_create(
    template: dict[str, Any], env_config: EnvironmentConfig
) -> None:
    logs_key = key_with_alias(template, "alias/acme-prod/bastion/logs")
    groups = {g["Properties"]["LogGroupName"]: g for g in of_type(template, "AWS::Logs::LogGroup").values()}
    assert set(groups) == {"/acme-prod/bastion/secure", "/acme-prod/bastion/audit"}
    for group in groups.values():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [logs_key, "Arn"]}
        assert group["Properties"]["RetentionInDays"] == env_config.bastion.log_retention_days
        # Kept on delete and update, but not after a failed first create, so a retry can create it again.
        assert group["DeletionPolicy"] == "RetainExceptOnCreate"
        assert group["UpdateReplacePolicy"] == "Retain"


def test_acc4_cloudwatch_agent_ships_secure_and_audit_logs(template: dict[str, Any]) -> None:
    script = user_data(template)
    assert "retry dnf install -y amazon-cloudwatch-agent rsyslog audit" in script
    (agent_config,) = heredoc(script, "AGENT_CONFIG")
    assert '"file_path": "/var/log/secure"' in agent_config
    assert '"log_group_name": "/acme-prod/bastion/secure"' in agent_config
    assert '"file_path": "/var/log/audit/audit.log"' in agent_config
    assert '"log_group_name": "/acme-prod/bastion/audit"' in agent_config
    assert "amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s" in script


def test_acc3_instance_role_may_only_run_the_ssm_agent_and_ship_its_own_logs(template: dict[str, Any]) -> None:
    roles = of_type(template, "AWS::IAM::Role")
    (instance_role,) = [
        r for r in roles.values() if "ec2.amazonaws.com" in str(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    (policy_ref,) = instance_role["Properties"]["ManagedPolicyArns"]
    policy = template["Resources"][policy_ref["Ref"]]["Properties"]["PolicyDocument"]
    assert "Policies" not in instance_role["Properties"]  # no inline policy
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert all(a.split(":")[0] in {"ssm", "ssmmessages", "ec2messages", "logs"} for a in actions)
    assert not [a for a in actions if "*" in a or a in {"ssm:GetParameter", "ssm:GetParameters"}]
    log_groups = set(of_type(template, "AWS::Logs::LogGroup"))
    log_statements = [s for s in policy["Statement"] if str(s["Action"]).count("logs:")]
    assert {r["Fn::GetAtt"][0] for s in log_statements for r in s["Resource"]} == log_groups


# --- ACC-2 / NET-4: alerts --------------------------------------------------------------------------------


def test_acc2_alert_topic_is_encrypted_with_this_stacks_key_and_emails_the_alert_address(
    template: dict[str, Any], env_config: EnvironmentConfig
) -> None:
    topic_id, topic = only(template, "AWS::SNS::Topic")
    assert topic["KmsMasterKeyId"] == {
        "Fn::GetAtt": [key_with_alias(template, "alias/acme-prod/bastion/alerts"), "Arn"]
    }
    _, subscription = only(template, "AWS::SNS::Subscription")
    assert subscription == {"Protocol": "email", "TopicArn": {"Ref": topic_id}, "Endpoint": str(env_config.alert_email)}


def test_enc1_alert_topic_policy_refuses_publishing_without_tls(template: dict[str, Any]) -> None:
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and s["Principal"] == "*" for s in denies)


def test_acc2_alert_topic_admits_only_this_stacks_rules_and_alarms(template: dict[str, Any]) -> None:
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    allows = {s["Principal"]["Service"]: s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"}
    assert set(allows) == {"events.amazonaws.com", "cloudwatch.amazonaws.com"}
    rule_arns = allows["events.amazonaws.com"]["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(arn["Fn::GetAtt"][0] for arn in rule_arns) == sorted(of_type(template, "AWS::Events::Rule"))
    assert allows["cloudwatch.amazonaws.com"]["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}


def test_enc3_alert_key_admits_eventbridge_and_cloudwatch_for_this_topic_without_source_conditions(
    template: dict[str, Any],
) -> None:
    """EventBridge's KMS requests for an encrypted topic carry no aws:SourceAccount/SourceArn: bind by the topic."""
    key = template["Resources"][key_with_alias(template, "alias/acme-prod/bastion/alerts")]
    _, topic = only(template, "AWS::SNS::Topic")
    topic_arn = f"arn:aws:sns:us-east-1:111122223333:{topic['TopicName']}"
    services = {
        s["Principal"]["Service"]: s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if isinstance(s.get("Principal"), dict) and "Service" in s["Principal"]
    }
    assert set(services) == {"events.amazonaws.com", "cloudwatch.amazonaws.com"}
    for statement in services.values():
        assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert statement["Condition"] == {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}}


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        (
            "aws.ec2",
            {"eventSource": ["ec2.amazonaws.com"], "eventName": ["CreateKeyPair", "ImportKeyPair", "DeleteKeyPair"]},
        ),
        ("aws.ec2-instance-connect", {"eventSource": ["ec2-instance-connect.amazonaws.com"]}),
        ("aws.guardduty", {"type": ["UnauthorizedAccess:EC2/SSHBruteForce"]}),
    ],
)
def test_acc2_event_rules_alert_on_key_changes_instance_connect_and_brute_force(
    template: dict[str, Any], source: str, detail: dict[str, Any]
) -> None:
    topic_id, _ = only(template, "AWS::SNS::Topic")
    rules = [
        r["Properties"]
        for r in of_type(template, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["source"] == [source]
    ]
    (rule,) = rules
    for field, values in detail.items():
        assert rule["EventPattern"]["detail"][field] == values
    if source == "aws.ec2-instance-connect":
        assert "SendSSHPublicKey" in rule["EventPattern"]["detail"]["eventName"]
    assert rule["State"] == "ENABLED"
    assert rule["Targets"] == [{"Arn": {"Ref": topic_id}, "Id": "Target0"}]


def test_net4_failed_ssh_logins_are_counted_and_alarm_the_topic(template: dict[str, Any]) -> None:
    topic_id, _ = only(template, "AWS::SNS::Topic")
    (auth_group,) = [
        k
        for k, g in of_type(template, "AWS::Logs::LogGroup").items()
        if g["Properties"]["LogGroupName"].endswith("/secure")
    ]
    _, metric_filter = only(template, "AWS::Logs::MetricFilter")
    assert metric_filter["LogGroupName"] == {"Ref": auth_group}
    assert metric_filter["FilterPattern"] == " ".join(f'?"{term}"' for term in FAILED_SSH_LOGIN_TERMS)
    (transformation,) = metric_filter["MetricTransformations"]
    (alarm,) = [
        a["Properties"]
        for a in of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == transformation["MetricName"]
    ]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (5, "GreaterThanOrEqualToThreshold")
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]


# --- ACC-3 / ACC-8: job roles -----------------------------------------------------------------------------


def job_role(template: dict[str, Any], name: str) -> dict[str, Any]:
    (role,) = [
        r["Properties"] for k, r in of_type(template, "AWS::IAM::Role").items() if k.startswith(f"JobRoles{name}")
    ]
    return role


@pytest.mark.parametrize(
    ("name", "principals"), [("Operator", "operator_principals"), ("Auditor", "auditor_principals")]
)
def test_acc3_acc8_job_roles_trust_the_account_and_match_configured_principal_arns_with_recent_mfa(
    template: dict[str, Any], env_config: EnvironmentConfig, name: str, principals: str
) -> None:
    """Naming the account, not the role, keeps IAM from refusing a not-yet-existing principal and keeps trust
    when the principal is re-created; aws:PrincipalArn still admits only the configured ARNs."""
    role = job_role(template, name)
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThanEquals": {"aws:MultiFactorAuthAge": str(env_config.access.mfa_max_age_seconds)},
        "ArnEquals": {"aws:PrincipalArn": sorted(getattr(env_config.access, principals))},
    }
    assert role["MaxSessionDuration"] == 3600
    assert "Policies" not in role  # managed policies only


def test_acc2_acc3_operator_may_only_tunnel_ssh_to_and_power_the_bastion(template: dict[str, Any]) -> None:
    """Session Manager only as an SSH tunnel: a shell or command document would need no key and survive revocation."""
    instance_id, _ = only(template, "AWS::EC2::Instance")
    (policy_ref,) = job_role(template, "Operator")["ManagedPolicyArns"]
    statements = {
        s["Sid"]: s for s in template["Resources"][policy_ref["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
    }
    start = statements["SshTunnelToTheBastionOnly"]
    assert start["Action"] == "ssm:StartSession"
    assert start["Condition"] == {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    resources = [str(r) for r in start["Resource"]]
    assert sum(instance_id in r for r in resources) == 1
    documents = sorted(m for r in resources for m in re.findall(r"document/([\w-]+)", r))
    assert documents == ["AWS-StartSSHSession"]
    # The Session Manager guide's document ARN: region, no account.
    assert [r for r in resources if "document/" in r] == ["arn:aws:ssm:us-east-1::document/AWS-StartSSHSession"]
    session_grants = [sid for sid, st in statements.items() if "ssm:StartSession" in json.dumps(st.get("Action"))]
    assert session_grants == ["SshTunnelToTheBastionOnly"]
    power = statements["PowerOnTheBastionOnly"]
    assert sorted(power["Action"]) == ["ec2:RebootInstances", "ec2:StartInstances", "ec2:StopInstances"]
    assert instance_id in str(power["Resource"])
    own = statements["OwnSessionsOnly"]
    assert sorted(own["Action"]) == ["ssm:ResumeSession", "ssm:TerminateSession"]
    assert own["Condition"] == {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}"]}}
    reads = statements["ReadInventory"]
    assert all(action.split(":")[1].startswith(("Describe", "Get")) for action in reads["Action"])


def test_acc3_auditor_is_read_only_security_audit(template: dict[str, Any]) -> None:
    (policy,) = job_role(template, "Auditor")["ManagedPolicyArns"]
    assert re.search(r":iam::aws:policy/SecurityAudit\b", json.dumps(policy))


# --- ACC-3: the bastion security group (network stack) ----------------------------------------------------


def test_acc3_bastion_security_group_admits_only_ssh_from_the_admin_cidrs(
    synthesized: Synthesized, env_config: EnvironmentConfig
) -> None:
    network = synthesized.template_json(f"{PROD}-network")
    groups = of_type(network, "AWS::EC2::SecurityGroup")
    (bastion_id,) = [k for k, g in groups.items() if tags(g["Properties"]).get("sg-role") == "bastion"]
    rules = list(groups[bastion_id]["Properties"].get("SecurityGroupIngress", []))
    rules += [
        r["Properties"]
        for r in of_type(network, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [bastion_id, "GroupId"]}
    ]
    assert rules
    for rule in rules:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 22, 22)
        assert "CidrIp" in rule
        assert "CidrIpv6" not in rule
        assert ipaddress.ip_network(rule["CidrIp"]).prefixlen > 0
    assert sorted(rule["CidrIp"] for rule in rules) == sorted(str(cidr) for cidr in env_config.admin_cidrs)
    assert "0.0.0.0/0" not in {rule["CidrIp"] for rule in rules}


# --- CMP-1: gates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", [PROD, DEV])
def test_cmp1_bastion_stacks_pass_every_gate(synthesized: Synthesized, environment: str) -> None:
    stack = f"{environment}-bastion"
    assert stack in synthesized.stack_names()
    findings = [
        f"{plugin['pluginName']}: {violation['ruleName']} at {construct.get('constructPath')}"
        for plugin in synthesized.report.get("pluginReports", [])
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
        if (construct.get("constructPath") or "").startswith(f"{stack}/")
        and violation.get("severity", "error") not in ("warning", "info")
    ]
    assert findings == []


# --- Probes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_acc3_probe_admin_cidr_open_to_the_internet_is_refused(cidr: str) -> None:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    data["environments"][0]["admin_cidrs"] = ["203.0.113.0/28", cidr]
    with pytest.raises(ConfigError, match=r"environments\[0\] \(acme-prod\)\.admin_cidrs\[1\].*whole internet"):
        parse_config(data)


def test_acc2_probe_removing_an_operator_removes_their_key_and_replaces_the_host() -> None:
    stack = tiny_stack()
    alice, carol = OperatorKey("alice", ALICE_KEY), OperatorKey("carol", CAROL_KEY)
    before = tiny_bastion(stack, "Before", [alice, carol])
    after = tiny_bastion(stack, "After", [alice])
    assert "carol" in before.rendered_user_data
    assert CAROL_KEY in before.rendered_user_data
    assert "carol" not in after.rendered_user_data
    assert CAROL_KEY.split()[1] not in after.rendered_user_data
    assert sshd_settings(after.rendered_user_data)["AllowUsers"] == "alice"
    assert set(before.key_pairs) == {"alice", "carol"}
    assert set(after.key_pairs) == {"alice"}
    # user_data_causes_replacement: the instance's logical id carries a digest of the user data.
    ids = [cdk.Stack.of(b).resolve(b.instance.instance.logical_id) for b in (before, after)]
    assert ids[0] != ids[1]
    assert (
        render_user_data(
            operators=[alice],
            sshd=SSHD,
            auth_log_group_name="/probe-dev/bastion/secure",
            audit_log_group_name="/probe-dev/bastion/audit",
        )
        == after.rendered_user_data
    )


def test_acc2_probe_user_data_needs_at_least_one_operator() -> None:
    with pytest.raises(ValueError, match="at least one operator"):
        render_user_data(operators=[], sshd=SSHD, auth_log_group_name="a", audit_log_group_name="b")


def test_acc2_probe_instance_without_imdsv2_fails_the_gate() -> None:
    stack = tiny_stack()
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    ec2.Instance(
        stack,
        "PlainInstance",
        vpc=vpc,
        instance_type=ec2.InstanceType("t3.micro"),
        machine_image=ec2.MachineImage.latest_amazon_linux2023(),
    )
    hardened = tiny_bastion(stack, "Hardened", [OperatorKey("alice", ALICE_KEY)])
    imdsv2 = nag_findings(stack, "NIST.800.53.R5").get("NIST.800.53.R5-EC2IMDSv2Enabled", [])
    assert [path for path in imdsv2 if "/PlainInstance/" in path]
    assert not [path for path in imdsv2 if path.startswith(f"{hardened.node.path}/")]


def test_acc2_sshd_is_hardened_before_anything_is_downloaded(env_config: EnvironmentConfig) -> None:
    """With `set -e`, a failed package download ends the script; sshd must already be hardened by then."""
    script = render_user_data(
        operators=[OperatorKey(name=op.name, ssh_public_key=op.ssh_public_key) for op in env_config.operators],
        sshd=SSHD,
        auth_log_group_name="/x/secure",
        audit_log_group_name="/x/audit",
    )
    assert script.index("systemctl restart sshd") < script.index("dnf install")


def test_acc3_auditor_role_carries_the_published_verify_policy(synthesized: Synthesized) -> None:
    """The auditor can run `python -m ops verify` and `keys` with exactly the read-only policy those commands publish
    (policies/iam/ops-verify.json, which tests/test_ops_*.py prove covers every call they make)."""
    published = json.loads((DEFAULT_CONFIG_PATH.parents[1] / "policies" / "iam" / "ops-verify.json").read_text())
    template = synthesized.template_json(f"{PROD}-bastion")
    auditors = [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role" and "auditor" in resource["Properties"].get("Description", "")
    ]
    (policy,) = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::ManagedPolicy"
        and resource["Properties"].get("Roles") == [{"Ref": auditor} for auditor in auditors]
    ]

    def actions(statements: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
        return {(s["Effect"], str(s["Resource"]), action) for s in statements for action in s["Action"]}

    assert actions(policy["PolicyDocument"]["Statement"]) == actions(published["Statement"])
    assert all(
        action.split(":")[1].startswith(("Get", "Describe", "List"))
        for s in published["Statement"]
        for action in s["Action"]
    )
