"""Evidence rules for access and identity (ACC-1..8): isolation, SSH keys, job roles, audit trail, sessions."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from config.limits import SG_ROLE_TAG
from config.ssh_key import ALLOWED, check_ssh_public_key
from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.registry import evidence_rule
from evidence_report.rules.reading import deep_find, is_open, pattern_text

VPC = "AWS::EC2::VPC"
KEY = "AWS::KMS::Key"
ROLE = "AWS::IAM::Role"
KEY_PAIR = "AWS::EC2::KeyPair"
INSTANCE = "AWS::EC2::Instance"
USER_POOL = "AWS::Cognito::UserPool"
POOL_CLIENT = "AWS::Cognito::UserPoolClient"
SSH_PORT = 22
# NIST SP 800-63B 5.1.1: memorized secrets of at least 8 characters (Cognito's default minimum).
USER_POOL_PASSWORD_MIN_LENGTH = 8
KEY_PAIR_EVENTS = ("CreateKeyPair", "ImportKeyPair", "DeleteKeyPair")


@evidence_rule("ACC-1", looks_for=(VPC,))
def acc1_environment_has_its_own_network_and_keys(env: EnvironmentView, out: Evidence) -> None:
    """The environment has its own VPC, whose range overlaps no other environment's, and its own keys."""
    own = list(env.resources(VPC))
    others = [
        v
        for name in env.assembly.environments
        if name != env.name
        for s in env.assembly.stacks_of(name)
        if s.environment == name
        for v in s.resources(VPC)
    ]
    for vpc in own:
        network = ipaddress.ip_network(str(vpc.get("CidrBlock")), strict=False)
        clash = [o for o in others if network.overlaps(ipaddress.ip_network(str(o.get("CidrBlock")), strict=False))]
        if clash:
            out.problem(
                f"VPC {vpc.logical_id} {network} overlaps {clash[0].stack.environment}'s {clash[0].get('CidrBlock')}"
            )
        else:
            out.row(vpc, "CidrBlock", str(network), "the environment's own network, overlapping no other environment")
    if not own:
        out.problem("the environment has no VPC of its own")
    keys = [k for k in env.resources(KEY) if k.stack.environment == env.name]
    if not keys:
        out.problem("the environment has no customer-managed key of its own")
    for key in keys:
        out.row(key, "Description", key.get("Description"), "a key of this environment only")


@evidence_rule("ACC-2", looks_for=(KEY_PAIR,))
def acc2_operators_use_key_pairs_watched_by_alerts(env: EnvironmentView, out: Evidence) -> None:
    """Operators' key pairs, the SSH rule's sources, and the alerts on key-pair calls and SSH brute force."""
    pairs = list(env.resources(KEY_PAIR))
    for pair in pairs:
        material = str(pair.get("PublicKeyMaterial", ""))
        try:
            check_ssh_public_key(material)
        except ValueError as error:
            out.problem(f"key pair {pair.logical_id}: the public key {error}")
            continue
        algorithm = material.split(" ", 1)[0]
        out.row(pair, "KeyName", pair.get("KeyName"), f"{algorithm} key of one named operator ({ALLOWED})")
    if not pairs:
        out.problem("no operator key pair")
    for group in env.resources("AWS::EC2::SecurityGroup"):
        for index, rule in enumerate(group.get("SecurityGroupIngress", [])):
            if rule.get("FromPort") == SSH_PORT:
                source = rule.get("CidrIp") or rule.get("CidrIpv6")
                if is_open(source):
                    out.problem(f"{group.logical_id}: SSH open to {source}")
                else:
                    out.row(group, f"SecurityGroupIngress[{index}].CidrIp", source, "SSH only from an admin network")
    events = [r for r in env.resources("AWS::Events::Rule") if r.get("State") == "ENABLED" and r.get("Targets")]
    watched = {name for rule in events for name in KEY_PAIR_EVENTS if name in pattern_text(rule)}
    for rule in events:
        if any(name in pattern_text(rule) for name in (*KEY_PAIR_EVENTS, "SendSSHPublicKey", "SSHBruteForce")):
            out.row(
                rule, "EventPattern", rule.get("Description") or rule.get("EventPattern"), "alerts the security topic"
            )
    if watched != set(KEY_PAIR_EVENTS):
        out.problem(f"no enabled alert on key-pair calls {sorted(set(KEY_PAIR_EVENTS) - watched)}")


@evidence_rule("ACC-3", looks_for=(ROLE,))
def acc3_job_roles_need_mfa_and_ssh_needs_an_admin_network(env: EnvironmentView, out: Evidence) -> None:
    """Roles people assume require MFA; the bastion admits SSH only from listed admin networks."""
    people_roles = 0
    for role in env.resources(ROLE):
        for index, statement in enumerate(role.get("AssumeRolePolicyDocument.Statement", [])):
            principal = statement.get("Principal", {})
            if not isinstance(principal, dict) or "AWS" not in principal:
                continue  # service roles are assumed by AWS services, not people
            people_roles += 1
            mfa = str(deep_find(statement.get("Condition", {}), "aws:MultiFactorAuthPresent")).lower() == "true"
            if not mfa:
                out.problem(f"role {role.logical_id} can be assumed without MFA")
                continue
            out.row(
                role,
                f"AssumeRolePolicyDocument.Statement[{index}].Condition",
                {
                    "principal": principal["AWS"],
                    **_principal_arn_condition(statement.get("Condition", {})),
                    "mfa": True,
                    "max_session_s": role.get("MaxSessionDuration"),
                },
                role.get("Description") or "a job role, MFA required",
            )
    if not people_roles:
        out.problem("no job role that people assume")
    bastions = [g for g in env.resources("AWS::EC2::SecurityGroup") if g.tags.get(SG_ROLE_TAG) == "bastion"]
    for group in bastions:
        sources = [r.get("CidrIp") for r in group.get("SecurityGroupIngress", [])]
        if not sources or any(is_open(s) for s in sources):
            out.problem(f"bastion security group {group.logical_id} admits {sources}")
        else:
            out.row(group, "SecurityGroupIngress[*].CidrIp", sources, "the allow-listed admin networks")


def _principal_arn_condition(condition: Any) -> dict[str, Any]:
    """What narrows an account principal to named roles (`aws:PrincipalArn` under a positive operator), so the row
    never reads as "trusts the whole account" when it does not; and says so when it does."""
    for operator, tests in (condition or {}).items() if isinstance(condition, dict) else ():
        if "Not" in operator or not isinstance(tests, dict):
            continue
        for key, value in tests.items():
            if key.lower() == "aws:principalarn":
                return {f"aws:PrincipalArn ({operator})": value if isinstance(value, list) else [value]}
    return {"aws:PrincipalArn": "not narrowed: any principal of the account, with MFA"}


@evidence_rule("ACC-4", looks_for=("AWS::EC2::FlowLog", "AWS::Logs::LogGroup"))
def acc4_network_host_and_database_access_is_logged(env: EnvironmentView, out: Evidence) -> None:
    """VPC flow logs of all traffic, the bastion's login and audit logs, and database connection logs."""
    flow_logs = [f for f in env.resources("AWS::EC2::FlowLog") if f.get("TrafficType") == "ALL"]
    for flow_log in flow_logs:
        out.row(flow_log, "TrafficType", "ALL", "every accepted and rejected connection of the VPC is logged")
    if not flow_logs:
        out.problem("no VPC flow log of ALL traffic")
    host_logs = [
        g
        for g in env.resources("AWS::Logs::LogGroup")
        if re.search(r"/(secure|audit)$", str(g.get("LogGroupName", "")))
    ]
    for group in host_logs:
        out.row(group, "LogGroupName", group.get("LogGroupName"), f"kept {group.get('RetentionInDays')} days")
    if env.matching(lambda r: r.type == INSTANCE) and not host_logs:
        out.problem("no login (secure) or audit log group for the servers")
    for group in env.resources("AWS::RDS::DBParameterGroup"):
        if str(group.get("Parameters.log_connections")) == "1":
            out.row(group, "Parameters.log_connections", "1", "every database connection is logged")
        else:
            out.problem(f"parameter group {group.logical_id} does not log connections")


@evidence_rule("ACC-5", looks_for=(INSTANCE,))
def acc5_ssh_sessions_time_out(env: EnvironmentView, out: Evidence) -> None:
    """The bastion ends idle shells (read-only TMOUT) and sshd drops unresponsive clients (ClientAlive*)."""
    for instance in env.resources(INSTANCE):
        text = str(instance.get("UserData", ""))
        idle = re.search(r"(?m)^TMOUT=(\d+)$", text.replace("\\n", "\n"))
        if not idle or int(idle[1]) == 0 or not re.search(r"readonly TMOUT", text):
            out.problem(f"instance {instance.logical_id}: no read-only TMOUT ends idle shells")
        else:
            out.row(
                instance, "UserData (profile.d)", f"TMOUT={idle[1]}, readonly", f"idle shells end after {idle[1]} s"
            )
        interval = re.search(r"ClientAliveInterval (\d+)", text)
        count = re.search(r"ClientAliveCountMax (\d+)", text)
        if not interval or not count or int(interval[1]) == 0:
            out.problem(f"instance {instance.logical_id}: sshd has no ClientAliveInterval/ClientAliveCountMax")
            continue
        seconds = int(interval[1]) * int(count[1])
        out.row(
            instance,
            "UserData (sshd_config)",
            f"ClientAliveInterval {interval[1]}, ClientAliveCountMax {count[1]}",
            f"unresponsive clients are dropped after {seconds} s",
        )


@evidence_rule("ACC-5", looks_for=(USER_POOL,), feature="edge")
def acc5_user_pool_passwords_and_tokens_are_bounded(env: EnvironmentView, out: Evidence) -> None:
    """The user pool's password policy is set, and its app clients' tokens expire."""
    for pool in env.resources(USER_POOL):
        length = pool.get("Policies.PasswordPolicy.MinimumLength")
        if isinstance(length, int) and length >= USER_POOL_PASSWORD_MIN_LENGTH:
            out.row(pool, "Policies.PasswordPolicy.MinimumLength", length, "user passwords have a minimum length")
        else:
            out.problem(f"user pool {pool.logical_id}: password minimum length {length!r}")
    for client in env.resources(POOL_CLIENT):
        validity = {k: client.get(k) for k in ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity")}
        if any(v is None for v in validity.values()):
            out.problem(f"app client {client.logical_id}: token lifetimes not all set ({validity})")
        else:
            out.row(client, "AccessTokenValidity / IdTokenValidity / RefreshTokenValidity", validity, "tokens expire")
    if not out.rows and not out.problems:
        out.problem("the public edge has no user pool")


@evidence_rule("ACC-6", looks_for=(POOL_CLIENT,), feature="edge")
def acc6_app_clients_use_oauth_code_flow_with_scopes(env: EnvironmentView, out: Evidence) -> None:
    """App clients use the OAuth 2.0 authorization-code flow with explicit scopes, never the implicit flow."""
    for client in env.resources(POOL_CLIENT):
        flows = client.get("AllowedOAuthFlows", [])
        scopes = client.get("AllowedOAuthScopes", [])
        if (
            client.get("AllowedOAuthFlowsUserPoolClient") is not True
            or "code" not in flows
            or "implicit" in flows
            or not scopes
        ):
            out.problem(f"app client {client.logical_id}: flows {flows}, scopes {scopes}")
            continue
        out.row(
            client,
            "AllowedOAuthFlows / AllowedOAuthScopes",
            {"flows": flows, "scopes": scopes},
            "access needs a scoped token",
        )
    if not out.rows and not out.problems:
        out.problem("the public edge has no OAuth 2.0 app client")


@evidence_rule("ACC-7", looks_for=(POOL_CLIENT,), feature="edge")
def acc7_sign_in_redirects_only_to_listed_https_urls(env: EnvironmentView, out: Evidence) -> None:
    """App clients redirect only to listed HTTPS callback and logout URLs, with no wildcard."""
    for client in env.resources(POOL_CLIENT):
        for key in ("CallbackURLs", "LogoutURLs"):
            urls = client.get(key, [])
            if not urls or any(not str(u).startswith("https://") or "*" in str(u) for u in urls):
                out.problem(f"app client {client.logical_id}: {key} {urls} is not an HTTPS allow-list")
            else:
                out.row(client, key, urls, "the circle of trust: only these URLs receive tokens")
    if not out.rows and not out.problems:
        out.problem("the public edge has no app client")


@evidence_rule("ACC-8", looks_for=(ROLE,))
def acc8_access_is_through_roles_never_users(env: EnvironmentView, out: Evidence) -> None:
    """No IAM user or access key is created; people reach AWS through roles."""
    for kind in ("AWS::IAM::User", "AWS::IAM::AccessKey", "AWS::IAM::LoginProfile"):
        for resource in env.resources(kind):
            out.problem(f"{resource.stack.name} creates {kind} {resource.logical_id}")
    for role in env.resources(ROLE):
        principals = [s.get("Principal", {}) for s in role.get("AssumeRolePolicyDocument.Statement", [])]
        if any(isinstance(p, dict) and "AWS" in p for p in principals):
            out.row(
                role,
                "AssumeRolePolicyDocument",
                [p["AWS"] for p in principals if "AWS" in p],
                "people assume this role",
            )
    if not out.rows and not out.problems:
        out.problem("no role for people to assume")
