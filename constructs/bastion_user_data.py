"""The bastion's first-boot script, rendered as text so tests read exactly what the host will run.

ACC-2: one personal account per operator whose `authorized_keys` holds exactly that operator's key; EC2 Instance
    Connect is removed before sshd restarts (Amazon Linux 2023 ships it: its `AuthorizedKeysCommand` accepts any key
    pushed with `SendSSHPublicKey`, bypassing `authorized_keys` and revocation), and the hardened sshd drop-in sets
    `AuthorizedKeysCommand none`; the script fails closed if either check does not hold.
ACC-4: sshd logs at VERBOSE; rsyslog writes /var/log/secure, auditd the audit log; the CloudWatch agent ships both,
    and a heartbeat line reaches the auth log every few minutes, so a silent log group means shipping broke.
ACC-5: OpenSSH 8.7p1 (AL2023) has no idle timeout: `ClientAliveInterval` x `ClientAliveCountMax` ends only
    clients that stop answering (`ChannelTimeout`/`UnusedConnectionTimeout` need 9.2). Idle shells end by a
    read-only, exported `TMOUT` set for every login and interactive shell (bash; sh is bash on AL2023). A
    forwarding-only session (`ssh -N`, `ssh -J`) has no shell: nothing on 8.7 ends it while the client answers;
    it ends when the client goes away, or when a revocation replaces the host.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

SSHD_DROP_IN = "/etc/ssh/sshd_config.d/01-bastion-hardening.conf"
IDLE_SHELL_PROFILE = "/etc/profile.d/00-bastion-idle-timeout.sh"
CLOUDWATCH_AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/bastion.json"
AUTH_LOG_FILE = "/var/log/secure"
AUDIT_LOG_FILE = "/var/log/audit/audit.log"
INSTANCE_CONNECT_PACKAGES = ("ec2-instance-connect-selinux", "ec2-instance-connect")
HEARTBEAT_TAG = "bastion-log-heartbeat"
HEARTBEAT_MINUTES = 5
# Bounded retries with exponential backoff for downloads at boot (5 attempts: waits of 5, 10, 20 and 40 s).
INSTALL_ATTEMPTS = 5
INSTALL_FIRST_DELAY_SECONDS = 5

# Modern algorithms only (OpenSSH 8.7 on AL2023): AEAD or CTR ciphers, encrypt-then-MAC SHA-2 MACs,
# Curve25519 / hybrid post-quantum / large DH groups, and no SHA-1 signatures.
CIPHERS = (
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
)
MACS = ("hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com")
KEX_ALGORITHMS = (
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
)
PUBKEY_ALGORITHMS = ("ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256")


@dataclass(frozen=True)
class OperatorKey:
    """A named operator and their one SSH public key (validated by config/ssh_key.py)."""

    name: str
    ssh_public_key: str


@dataclass(frozen=True)
class SshdPolicy:
    """The session settings that come from config (ACC-5, ACC-2), named for what they do on OpenSSH 8.7."""

    unresponsive_client_check_interval_seconds: int  # ClientAliveInterval
    unresponsive_client_max_missed_checks: int  # ClientAliveCountMax
    idle_shell_timeout_seconds: int  # TMOUT
    max_auth_tries: int


def render_sshd_config(operators: Sequence[OperatorKey], policy: SshdPolicy) -> str:
    """The sshd drop-in: key-only logins for the listed operators, verbose logging, modern crypto."""
    settings = [
        ("PasswordAuthentication", "no"),
        ("KbdInteractiveAuthentication", "no"),
        ("PermitEmptyPasswords", "no"),
        ("PermitRootLogin", "no"),
        ("PubkeyAuthentication", "yes"),
        ("AuthenticationMethods", "publickey"),
        # ACC-2: keys come only from authorized_keys, never from a command (EC2 Instance Connect's pushed keys).
        ("AuthorizedKeysFile", ".ssh/authorized_keys"),
        ("AuthorizedKeysCommand", "none"),
        ("PubkeyAcceptedAlgorithms", ",".join(PUBKEY_ALGORITHMS)),
        ("MaxAuthTries", str(policy.max_auth_tries)),
        ("LoginGraceTime", "30"),
        # ACC-5: ends clients that stop answering (not idle ones) after interval x missed checks.
        ("ClientAliveInterval", str(policy.unresponsive_client_check_interval_seconds)),
        ("ClientAliveCountMax", str(policy.unresponsive_client_max_missed_checks)),
        ("AllowUsers", " ".join(operator.name for operator in operators)),
        ("LogLevel", "VERBOSE"),
        ("Ciphers", ",".join(CIPHERS)),
        ("MACs", ",".join(MACS)),
        ("KexAlgorithms", ",".join(KEX_ALGORITHMS)),
        # A jump host: operators may forward to private hosts (ssh -J / -L), nothing else.
        ("AllowTcpForwarding", "local"),
        ("AllowAgentForwarding", "no"),
        ("X11Forwarding", "no"),
        ("PermitTunnel", "no"),
        ("GatewayPorts", "no"),
        ("PermitUserEnvironment", "no"),
    ]
    return "".join(f"{key} {value}\n" for key, value in settings)


def render_idle_shell_profile(policy: SshdPolicy) -> str:
    """ACC-5: bash ends an idle interactive shell after TMOUT seconds; readonly, so the shell cannot unset it."""
    return "\n".join(
        [
            "# ACC-5: idle interactive shells end (bash; sh is bash on Amazon Linux 2023). Read-only and exported.",
            f"TMOUT={policy.idle_shell_timeout_seconds}",
            "readonly TMOUT",
            "export TMOUT",
        ]
    )


def render_cloudwatch_agent_config(*, auth_log_group_name: str, audit_log_group_name: str) -> str:
    """The CloudWatch agent ships the auth log and the audit log, one stream per instance (ACC-4)."""
    config = {
        "agent": {"run_as_user": "root"},
        "logs": {
            "logs_collected": {
                "files": {
                    "collect_list": [
                        {
                            "file_path": AUTH_LOG_FILE,
                            "log_group_name": auth_log_group_name,
                            "log_stream_name": "{instance_id}/secure",
                            "retention_in_days": -1,
                        },
                        {
                            "file_path": AUDIT_LOG_FILE,
                            "log_group_name": audit_log_group_name,
                            "log_stream_name": "{instance_id}/audit",
                            "retention_in_days": -1,
                        },
                    ]
                }
            }
        },
    }
    return json.dumps(config, indent=2, sort_keys=True)


def _retry_function() -> list[str]:
    """`retry CMD...`: bounded attempts with doubling waits; the last failure ends the script (set -e)."""
    return [
        "retry() {",
        f"  local attempt=1 delay={INSTALL_FIRST_DELAY_SECONDS}",
        '  until "$@"; do',
        f'    if [ "$attempt" -ge {INSTALL_ATTEMPTS} ]; then',
        '      echo "failed after $attempt attempts: $*" >&2',
        "      return 1",
        "    fi",
        '    sleep "$delay"',
        "    attempt=$((attempt + 1))",
        "    delay=$((delay * 2))",
        "  done",
        "}",
    ]


def _fail_closed(message: str) -> list[str]:
    return [f"  echo {shlex.quote(message + '; stopping sshd (fail closed)')} >&2", "  systemctl stop sshd", "  exit 1"]


def _heartbeat_units() -> list[str]:
    """A systemd timer writes one authpriv line every few minutes, so the auth log group is never silent
    while shipping works (ACC-4: the log-silence alarm fires when it stops)."""
    service = "/etc/systemd/system/bastion-log-heartbeat.service"
    timer = "/etc/systemd/system/bastion-log-heartbeat.timer"
    return [
        f"cat > {service} <<'HEARTBEAT_SERVICE'",
        "[Unit]",
        "Description=ACC-4 heartbeat line in the auth log",
        "[Service]",
        "Type=oneshot",
        f"ExecStart=/usr/bin/logger -p authpriv.notice -t {HEARTBEAT_TAG} log-pipeline-heartbeat",
        "HEARTBEAT_SERVICE",
        f"cat > {timer} <<'HEARTBEAT_TIMER'",
        "[Unit]",
        "Description=ACC-4 heartbeat line in the auth log",
        "[Timer]",
        "OnBootSec=1min",
        f"OnUnitActiveSec={HEARTBEAT_MINUTES}min",
        "[Install]",
        "WantedBy=timers.target",
        "HEARTBEAT_TIMER",
        "systemctl daemon-reload",
        "systemctl enable --now bastion-log-heartbeat.timer",
    ]


def render_user_data(
    *,
    operators: Sequence[OperatorKey],
    sshd: SshdPolicy,
    auth_log_group_name: str,
    audit_log_group_name: str,
) -> str:
    """The whole first-boot script.

    Fails closed: if the hardened sshd configuration does not validate (`sshd -t`), or a key command is still
    configured after EC2 Instance Connect is removed, sshd is stopped and the script exits non-zero, so the host
    never serves SSH with a weaker configuration.
    """
    if not operators:
        raise ValueError("a bastion needs at least one operator")
    lines = [
        "#!/bin/bash",
        "set -euo pipefail",
        "umask 077",
        *_retry_function(),
        "",
        "# ACC-2 / ACC-4: one personal account per operator; authorized_keys holds exactly that operator's key.",
    ]
    for operator in operators:
        name = shlex.quote(operator.name)
        home = f"/home/{operator.name}"
        lines += [
            f"id -u {name} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash {name}",
            f"install -d -m 700 -o {name} -g {name} {home}/.ssh",
            f"cat > {home}/.ssh/authorized_keys <<'OPERATOR_KEY'",
            operator.ssh_public_key,
            "OPERATOR_KEY",
            f"chown {name}:{name} {home}/.ssh/authorized_keys",
            f"chmod 600 {home}/.ssh/authorized_keys",
        ]
    lines += [
        "",
        "# ec2-user keeps no key (the instance has no launch key pair) and may not log in over SSH (AllowUsers).",
        "rm -f /home/ec2-user/.ssh/authorized_keys",
        "",
        "# ACC-2: remove EC2 Instance Connect before sshd restarts: its AuthorizedKeysCommand would accept keys pushed",
        "# with SendSSHPublicKey for any listed operator, bypassing authorized_keys and revocation (rpm: no download).",
        f"for package in {' '.join(INSTANCE_CONNECT_PACKAGES)}; do",
        '  if rpm -q --quiet "$package"; then rpm -e --nodeps "$package"; fi',
        "done",
        "",
        "# ACC-5: idle interactive shells end after TMOUT seconds (login shells read profile.d; /etc/bashrc reads it",
        "# for the others).",
        f"cat > {IDLE_SHELL_PROFILE} <<'IDLE_SHELL'",
        render_idle_shell_profile(sshd),
        "IDLE_SHELL",
        f"chmod 644 {IDLE_SHELL_PROFILE}",
        "",
        "# ACC-2 / ACC-5: hardened sshd; this drop-in sorts first, and sshd keeps the first value it reads.",
        f"cat > {SSHD_DROP_IN} <<'SSHD_CONFIG'",
        render_sshd_config(operators, sshd).rstrip("\n"),
        "SSHD_CONFIG",
        f"chmod 600 {SSHD_DROP_IN}",
        "systemctl daemon-reload",
        "if ! sshd -t; then",
        *_fail_closed("hardened sshd configuration does not validate"),
        "fi",
        # Captured first: with pipefail, `sshd -T | grep -q` can fail on SIGPIPE after a match.
        # Command-line options (-o) would override every file, so the unit and its $OPTIONS are checked too.
        'effective_sshd="$(sshd -T)" || effective_sshd=""',
        'sshd_command_line="$(systemctl show -p ExecStart sshd; cat /etc/sysconfig/sshd 2>/dev/null || true)"',
        "if ! grep -qx 'authorizedkeyscommand none' <<<\"$effective_sshd\" \\",
        "  || grep -qi 'authorizedkeyscommand' <<<\"$sshd_command_line\"; then",
        *_fail_closed("an AuthorizedKeysCommand is still configured (EC2 Instance Connect)"),
        "fi",
        "systemctl restart sshd",
        "",
        "# Packages, only after sshd is hardened (a failed download must not leave the default sshd running),",
        "# retried with backoff: the CloudWatch agent, rsyslog (AL2023 logs only to the journal; rsyslog writes",
        "# /var/log/secure), auditd.",
        "retry dnf install -y amazon-cloudwatch-agent rsyslog audit",
        "systemctl enable --now rsyslog auditd",
        "",
        "# ACC-4: ship the auth and audit logs to CloudWatch Logs.",
        f"cat > {CLOUDWATCH_AGENT_CONFIG} <<'AGENT_CONFIG'",
        render_cloudwatch_agent_config(
            auth_log_group_name=auth_log_group_name, audit_log_group_name=audit_log_group_name
        ),
        "AGENT_CONFIG",
        "retry /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s "
        f"-c file:{CLOUDWATCH_AGENT_CONFIG}",
        "",
        *_heartbeat_units(),
    ]
    return "\n".join(lines) + "\n"
