"""A corpus of malformed configs, each refused with exactly one line that names the environment, the field and what
is allowed, never a traceback (issue 24): wrong TOML types, ranges the docs refuse, operator names of the bastion's
image, pasted private keys, CIDRs with host bits, typos, unreadable files. Pure Python: no synth."""

from __future__ import annotations

import copy
import datetime
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config import DEFAULT_CONFIG_PATH, ConfigError, load_config, parse_config
from config.__main__ import main as check_config
from config.system_accounts import SYSTEM_GROUPS, SYSTEM_USERS

Mutation = Callable[[dict[str, Any]], None]
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


def example() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def acme(data: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = data["environments"][0]
    return env


def globex(data: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = data["environments"][1]
    return env


def refused(mutate: Mutation) -> str:
    data = copy.deepcopy(example())
    mutate(data)
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    (line,) = caught.value.problems  # exactly one line
    assert line.startswith("config error: ")
    assert "\n" not in line
    assert "Traceback" not in line
    return line


def third_environment(data: dict[str, Any], **changes: Any) -> None:
    data["environments"].append(
        {**copy.deepcopy(globex(data)), "tenant": "initech", "stage": "staging", "vpc_cidr": "10.30.0.0/16", **changes}
    )


CORPUS = [
    # strict types: no coercion (a boolean is not a count, a decimal is not a day count, text is not a number)
    (
        "bool-as-count",
        lambda d: globex(d).update(nat_gateways=True),
        "(globex-dev).nat_gateways = true: must be a whole number",
    ),
    (
        "float-as-days",
        lambda d: acme(d).update(flow_log_retention_days=365.0),
        ".flow_log_retention_days = 365.0: must be a whole number",
    ),
    (
        "text-as-number",
        lambda d: acme(d)["database"].update(allocated_storage_gib="100"),
        ".database.allocated_storage_gib = '100': must be a whole number",
    ),
    (
        "bool-as-retention",
        lambda d: acme(d)["backup"]["daily"].update(retention_days=True),
        ".backup.daily.retention_days = true: must be a whole number",
    ),
    (
        "text-as-bool",
        lambda d: acme(d)["edge"].update(self_sign_up="false"),
        ".edge.self_sign_up = 'false': must be true or false",
    ),
    (
        "number-as-bool",
        lambda d: d["accounts"][0].update(organization_managed=1),
        "accounts[0] (111122223333).organization_managed = 1: must be true or false",
    ),
    ("number-as-text", lambda d: acme(d).update(owner=123), "(acme-prod).owner = 123: must be text, in quotes"),
    (
        "number-as-account",
        lambda d: acme(d).update(account=111122223333),
        "(acme-prod).account = 111122223333: must be text, in quotes",
    ),
    (
        "text-as-list",
        lambda d: acme(d).update(admin_cidrs="203.0.113.0/28"),
        ".admin_cidrs = '203.0.113.0/28': must be a list",
    ),
    ("text-as-table", lambda d: acme(d).update(database="big"), ".database = 'big': must be a table of keys"),
    ("quoted-count", lambda d: globex(d).update(nat_gateways="3"), "(globex-dev).nat_gateways = '3': must be a whole"),
    ("text-as-section", lambda d: acme(d).update(edge="x"), "(acme-prod).edge = 'x': must be a table of keys"),
    (  # TOML reads `start_time_utc = 05:00:00` as a time of day
        "toml-time-as-text",
        lambda d: acme(d)["backup"].update(start_time_utc=datetime.time(5, 0)),
        ".backup.start_time_utc = '05:00:00': must be text, in quotes",
    ),
    # private ranges are exactly RFC 1918, as the message says
    ("link-local-vpc", lambda d: acme(d).update(vpc_cidr="169.254.0.0/16"), "must lie in a private range of RFC 1918"),
    ("documentation-vpc", lambda d: acme(d).update(vpc_cidr="192.0.2.0/24"), "must lie in a private range of RFC 1918"),
    (
        "shared-address-vpc",
        lambda d: acme(d).update(vpc_cidr="100.64.0.0/16"),
        "must lie in a private range of RFC 1918",
    ),
    (
        "just-outside-172-16",
        lambda d: acme(d).update(vpc_cidr="172.32.0.0/16"),
        "must lie in a private range of RFC 1918",
    ),
    (
        "public-vpc",
        lambda d: acme(d).update(vpc_cidr="8.8.0.0/16"),
        "(acme-prod).vpc_cidr = '8.8.0.0/16': must lie in a private range",
    ),
    ("vpc-too-large", lambda d: acme(d).update(vpc_cidr="10.0.0.0/8"), ".vpc_cidr = '10.0.0.0/8': must be /16 to /24"),
    ("ipv6-vpc", lambda d: acme(d).update(vpc_cidr="fd00::/48"), ".vpc_cidr = 'fd00::/48': must be an IPv4 network"),
    ("not-a-cidr", lambda d: acme(d).update(vpc_cidr="ten-dot-oh"), "is not a network in CIDR notation"),
    # host bits: say which network was meant
    (
        "vpc-host-bits",
        lambda d: acme(d).update(vpc_cidr="10.0.0.1/16"),
        "10.0.0.1/16 has host bits set; did you mean 10.0.0.0/16?",
    ),
    (
        "admin-host-bits",
        lambda d: acme(d).update(admin_cidrs=["203.0.113.5/28"]),
        ".admin_cidrs[0] = '203.0.113.5/28': 203.0.113.5/28 has host bits set; did you mean 203.0.113.0/28?",
    ),
    ("admin-open", lambda d: acme(d).update(admin_cidrs=["0.0.0.0/0"]), "must not be open to the whole internet"),
    # the database port the docs forbid is refused here, naming the field, not later by a policy pack
    (
        "well-known-port",
        lambda d: acme(d)["database"].update(port=5432),
        "(acme-prod).database.port = 5432: is PostgreSQL's well-known port",
    ),
    (
        "privileged-port",
        lambda d: acme(d)["database"].update(port=80),
        ".database.port = 80: Input should be greater than or equal to 1150",
    ),
    # slugs explained in words, never as the raw pattern
    (
        "uppercase-tenant",
        lambda d: acme(d).update(tenant="Acme"),
        ".tenant = 'Acme': must be 2-16 characters: a lowercase letter, then lowercase letters or digits",
    ),
    ("dash-in-tenant", lambda d: acme(d).update(tenant="ac-me"), "no dashes or capitals"),
    ("one-letter-tenant", lambda d: acme(d).update(tenant="a"), "must be 2-16 characters"),
    (
        "bad-stage",
        lambda d: acme(d).update(stage="production"),
        ".stage = 'production': Input should be 'dev', 'test', 'staging' or 'prod'",
    ),
    (
        "uppercase-window",
        lambda d: acme(d)["database"].update(preferred_maintenance_window="Sun:08:00-Sun:09:00"),
        "must be a weekly UTC window as ddd:HH:MM-ddd:HH:MM",
    ),
    (
        "bad-principal",
        lambda d: acme(d)["access"].update(operator_principals=["OpsEngineers"]),
        "must be the ARN of an IAM role, user or account root",
    ),
    # typos: one line, with the nearest key
    (
        "typo-admin-cidr",
        lambda d: acme(d).update(admin_cidr=acme(d).pop("admin_cidrs")),
        "(acme-prod).admin_cidr: unknown key; did you mean admin_cidrs? Allowed keys: docs/configuration.md",
    ),
    ("typo-nested", lambda d: acme(d)["database"].update(prot=5433), ".database.prot: unknown key; did you mean port?"),
    (
        "typo-edge",
        lambda d: acme(d)["edge"].update(domian="x.example.com"),
        ".edge.domian: unknown key; did you mean domain?",
    ),
    (
        "unknown-key",
        lambda d: acme(d).update(colour="blue"),
        ".colour: unknown key; not a key here (a typo?) Allowed keys: docs/configuration.md",
    ),
    # keys: a pasted private key is recognised and never echoed
    (
        "private-key",
        lambda d: acme(d)["operators"][0].update(ssh_public_key=PRIVATE_KEY),
        "this is a private key: paste the public key (the .pub file",
    ),
    (
        "garbage-key",
        lambda d: acme(d)["operators"][0].update(ssh_public_key="ssh-ed25519 AAAA"),
        "is not a valid OpenSSH public key",
    ),
    # environments without an account share one baseline: its alerts must not silently go to one tenant
    (
        "shared-deploying-baseline",
        third_environment,
        "environments[2] (initech-staging).account: is not set, like globex-dev's",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [pytest.param(m, e, id=i) for i, m, e in CORPUS])
def test_malformed_config_is_refused_in_one_line(mutate: Mutation, expected: str) -> None:
    line = refused(mutate)
    assert expected in line, line


def test_a_pasted_private_key_is_not_echoed() -> None:
    line = refused(lambda d: acme(d)["operators"][0].update(ssh_public_key=PRIVATE_KEY))
    assert "b3BlbnNzaC1rZXktdjE" not in line
    assert "(acme-prod).operators[0].ssh_public_key" in line


def test_a_typo_is_one_line_not_also_a_missing_key() -> None:
    line = refused(lambda d: acme(d).update(admin_cidr=acme(d).pop("admin_cidrs")))
    assert "is required" not in line


@pytest.mark.parametrize("name", sorted(SYSTEM_USERS | SYSTEM_GROUPS | {"systemd-bus-proxy"}))
def test_acc2_every_account_and_group_of_the_al2023_image_is_refused_as_an_operator(name: str) -> None:
    if len(name) < 2 or not name[0].isalpha():
        pytest.skip("refused by the name format already")
    line = refused(lambda d: acme(d)["operators"][0].update(name=name))
    assert "is a user or group of the bastion's Amazon Linux 2023 image" in line or "must be a Linux user name" in line


def test_acc2_the_documented_al2023_accounts_are_all_in_the_list() -> None:
    documented = {"root", "bin", "daemon", "adm", "lp", "sync", "shutdown", "halt", "mail", "operator", "games"}
    documented |= {"ftp", "nobody", "dbus", "ec2-user", "chrony", "sshd", "rpc", "rpcuser", "tss", "ssm-user"}
    assert documented <= SYSTEM_USERS


def test_net5_environments_without_account_may_share_a_baseline_the_config_names() -> None:
    data = example()
    third_environment(data)
    data["accounts"].append({"alert_email": "platform-security@example.com"})
    config = parse_config(data)
    shared = [b for b in config.baselines() if b.account is None]
    assert [str(b.alert_email) for b in shared] == ["platform-security@example.com"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"tenant = \xff\xfe\n", "is not UTF-8 text (byte 9 is 0xff); save it as UTF-8", id="latin-1"),
        pytest.param("x = 1\n".encode("utf-16"), "is not UTF-8 text", id="utf-16"),
        pytest.param(b"[[environments]\n", "not valid TOML", id="unclosed-table"),
        pytest.param(b"a = 1\na = 2\n", "not valid TOML", id="duplicate-key"),
        pytest.param(b"", "config error: environments: is required", id="empty-file"),
        pytest.param(b'environments = "acme"\n', "config error: environments = 'acme': must be a list", id="wrong-top"),
    ],
)
def test_an_unreadable_file_is_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "environments.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (line,) = caught.value.problems
    assert expected in line
    assert "\n" not in line


def test_a_folder_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path)


def test_check_config_exits_2_with_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace(
            'vpc_cidr = "10.20.0.0/20"', 'vpc_cidr = "10.20.0.1/20"'
        ),
        encoding="utf-8",
    )
    assert check_config([str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "config error: environments[1] (globex-dev).vpc_cidr = '10.20.0.1/20': 10.20.0.1/20 has host bits set; "
        "did you mean 10.20.0.0/20?"
    ]


def test_check_config_accepts_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config([str(DEFAULT_CONFIG_PATH)]) == 0
    assert "2 environment(s) (acme-prod, globex-dev)" in capsys.readouterr().out
