"""Config validation: every bad input is refused before any construct is built, with a message that names the
field, the value and what is allowed (issue 2). Pure Python: no synth."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

from config import DEFAULT_CONFIG_PATH, ConfigError, load_config, parse_config

Mutation = Callable[[dict[str, Any]], None]


def example() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def rejected(mutate: Mutation) -> str:
    data = copy.deepcopy(example())
    mutate(data)
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return str(caught.value)


def prod(data: dict[str, Any]) -> dict[str, Any]:
    environment: dict[str, Any] = data["environments"][0]
    return environment


def openssh(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def test_example_config_is_valid_and_has_two_tenants() -> None:
    config = load_config()
    assert [env.name for env in config.environments] == ["acme-prod", "globex-dev"]


def test_loc1_defaults_pin_us_east_1_and_three_zones() -> None:
    env = load_config().environments[1]
    assert env.region == "us-east-1"
    assert env.availability_zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert env.dr_region == "us-west-2"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            lambda d: prod(d).update(vpc_cidr="10.10.0.1/16"),
            r"environments\[0\] \(acme-prod\)\.vpc_cidr = '10.10.0.1/16': 10.10.0.1/16 has host bits set; "
            r"did you mean 10.10.0.0/16\?",
            id="malformed-cidr",
        ),
        pytest.param(
            lambda d: prod(d).update(vpc_cidr="10.10.0.0/25"),
            r"environments\[0\] \(acme-prod\)\.vpc_cidr = '10.10.0.0/25': must be /16 to /24: three tiers in three AZs",
            id="cidr-too-small-for-nine-subnets",
        ),
        pytest.param(
            lambda d: prod(d).update(vpc_cidr="8.8.0.0/16"),
            r"environments\[0\] \(acme-prod\)\.vpc_cidr = '8.8.0.0/16': must lie in a private range of RFC 1918",
            id="public-cidr",
        ),
        pytest.param(
            lambda d: d["environments"][1].update(vpc_cidr="10.10.16.0/20"),
            r"environments\[1\] \(globex-dev\)\.vpc_cidr = '10.10.16.0/20': overlaps acme-prod \(10.10.0.0/16\)",
            id="tenants-overlap",
        ),
        pytest.param(
            lambda d: prod(d).update(region="eu-west-1"),
            r"environments\[0\] \(acme-prod\)\.region = 'eu-west-1': Input should be 'us-east-1'",
            id="region-outside-allowed-set",
        ),
        pytest.param(
            lambda d: prod(d).update(dr_region="eu-central-1"),
            r"environments\[0\] \(acme-prod\)\.dr_region = 'eu-central-1': Input should be 'us-west-2'",
            id="dr-region-outside-allowed-set",
        ),
        pytest.param(
            lambda d: prod(d).update(availability_zones=["us-east-1a", "us-east-1a", "us-east-1b"]),
            r"environments\[0\] \(acme-prod\)\.availability_zones = .*must name 3 different zones",
            id="duplicate-zones",
        ),
        pytest.param(
            lambda d: prod(d).update(availability_zones=["us-east-1a", "us-east-1b", "us-west-2c"]),
            r"environments\[0\] \(acme-prod\)\.availability_zones\[2\] = 'us-west-2c': must be a zone of us-east-1",
            id="zone-outside-region",
        ),
        pytest.param(
            lambda d: prod(d).update(nat_gateways=1),
            r"environments\[0\] \(acme-prod\)\.nat_gateways = 1: must be 3 in prod: one NAT gateway per AZ \(HA-1\)",
            id="prod-needs-nat-per-az",
        ),
        pytest.param(
            lambda d: prod(d).update(vpc_cidrr="10.0.0.0/16"),
            r"environments\[0\] \(acme-prod\)\.vpc_cidrr: unknown key; did you mean vpc_cidr\? "
            r"Allowed keys: docs/configuration\.md",
            id="unknown-key",
        ),
        pytest.param(
            lambda d: prod(d)["database"].update(instance_clas="db.r6g.large"),
            r"environments\[0\] \(acme-prod\)\.database\.instance_clas: unknown key",
            id="unknown-nested-key",
        ),
        pytest.param(
            lambda d: d["environments"][1].update(tenant="acme", stage="prod", nat_gateways=3),
            r"environments\[1\] \(acme-prod\) = 'acme-prod': repeats environments\[0\]",
            id="duplicate-environment-name",
        ),
        pytest.param(
            lambda d: prod(d).pop("alert_email"),
            r"environments\[0\] \(acme-prod\)\.alert_email: is required",
            id="missing-required",
        ),
        pytest.param(
            lambda d: prod(d).update(alert_email="not-an-email"),
            r"environments\[0\] \(acme-prod\)\.alert_email = 'not-an-email'",
            id="bad-email",
        ),
        pytest.param(
            lambda d: prod(d).update(account="12345"),
            r"environments\[0\] \(acme-prod\)\.account = '12345'",
            id="bad-account-id",
        ),
        pytest.param(
            lambda d: prod(d).update(flow_log_retention_days=100),
            r"flow_log_retention_days = 100: must be one of CloudWatch Logs' retention values",
            id="log-retention-not-allowed-by-cloudwatch",
        ),
        pytest.param(
            lambda d: prod(d)["database"].update(backup_retention_days=3),
            r"database\.backup_retention_days = 3: Input should be greater than or equal to 7",
            id="bak4-pitr-under-a-week",
        ),
        pytest.param(
            lambda d: prod(d)["database"].update(backup_retention_days=36),
            r"database\.backup_retention_days = 36: Input should be less than or equal to 35",
            id="rds-retention-over-aws-limit",
        ),
        pytest.param(
            lambda d: prod(d)["database"].update(backup_retention_days=30),
            r"database\.backup_retention_days = 30: must equal backup\.continuous_retention_days \(35\)",
            id="bak4-rds-retention-drifts-from-continuous-backup",
        ),
        pytest.param(
            lambda d: prod(d)["database"].update(max_allocated_storage_gib=50),
            r"database\.max_allocated_storage_gib = 50: must be greater than allocated_storage_gib",
            id="storage-cap-below-start",
        ),
        pytest.param(
            lambda d: prod(d)["database"].update(engine_version="12"),
            r"database\.engine_version = '12': Input should be '16' or '17'",
            id="unsupported-engine",
        ),
        pytest.param(
            lambda d: prod(d).update(environments_extra=True),
            r"unknown key",
            id="unknown-key-anywhere",
        ),
    ],
)
def test_bad_config_is_refused_naming_field_value_and_rule(mutate: Mutation, expected: str) -> None:
    message = rejected(mutate)
    assert message.startswith("config error: ")
    assert len(message.splitlines()) == 1
    assert re.search(expected, message), message


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_acc3_admin_cidr_open_to_the_internet_is_refused(cidr: str) -> None:
    message = rejected(lambda d: prod(d).update(admin_cidrs=["203.0.113.0/28", cidr]))
    assert f"environments[0] (acme-prod).admin_cidrs[1] = '{cidr}': must not be open to the whole internet" in message


def test_acc3_empty_admin_list_is_refused() -> None:
    message = rejected(lambda d: prod(d).update(admin_cidrs=[]))
    assert "environments[0] (acme-prod).admin_cidrs = []: List should have at least 1 item" in message


def test_acc3_ipv6_admin_cidr_is_refused_for_an_ipv4_only_vpc() -> None:
    message = rejected(lambda d: prod(d).update(admin_cidrs=["2001:db8::/48"]))
    assert "admin_cidrs[0] = '2001:db8::/48': must be an IPv4 network" in message


def test_acc2_rsa_key_under_2048_bits_is_refused() -> None:
    weak = openssh(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())
    message = rejected(lambda d: prod(d)["operators"][0].update(ssh_public_key=weak))
    assert "operators[0].ssh_public_key = 'ssh-rsa AAAA" in message
    assert "is an RSA key of 1024 bits, too weak; allowed: ssh-ed25519, or ssh-rsa of 2048 or 4096 bits" in message


def test_acc2_malformed_key_is_refused() -> None:
    message = rejected(lambda d: prod(d)["operators"][0].update(ssh_public_key="ssh-ed25519 AAAAnotbase64!"))
    assert "operators[0].ssh_public_key = 'ssh-ed25519 AAAAnotbase64!': is not a valid OpenSSH public key" in message


def test_acc2_key_type_ec2_cannot_import_is_refused() -> None:
    ecdsa = openssh(ec.generate_private_key(ec.SECP256R1()).public_key())
    message = rejected(lambda d: prod(d)["operators"][0].update(ssh_public_key=ecdsa))
    assert "has a key type EC2 key pairs do not accept" in message


def test_acc4_operator_listed_twice_is_refused() -> None:
    message = rejected(lambda d: prod(d)["operators"].append(dict(prod(d)["operators"][0])))
    assert "environments[0] (acme-prod).operators[2].name = 'alice': is listed twice" in message


def test_acc4_shared_system_account_name_is_refused() -> None:
    message = rejected(lambda d: prod(d)["operators"][0].update(name="root"))
    assert "operators[0].name = 'root': is a user or group of the bastion's Amazon Linux 2023 image" in message


def test_missing_file_and_bad_toml_are_reported(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match=r"config = '.*nope.toml': no such file; pass CONFIG=PATH"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[environments]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid TOML"):
        load_config(broken)


# ------------------------------------------------------------------ refusals AWS would make at deploy time (issue 16)


def database(data: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = prod(data)["database"]
    return settings


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            lambda d: database(d).update(preferred_backup_window="03:00-03:20"),
            r"database\.preferred_backup_window = '03:00-03:20': is 20 minutes long; RDS needs at least 30",
            id="bak2-backup-window-under-30-minutes",
        ),
        pytest.param(
            lambda d: database(d).update(preferred_maintenance_window="sun:08:00-sun:08:15"),
            r"database\.preferred_maintenance_window = 'sun:08:00-sun:08:15': is 15 minutes long",
            id="maintenance-window-under-30-minutes",
        ),
        pytest.param(
            lambda d: database(d).update(
                preferred_backup_window="23:50-00:30", preferred_maintenance_window="mon:00:10-mon:01:00"
            ),
            r"database\.preferred_backup_window = '23:50-00:30': overlaps preferred_maintenance_window "
            r"\(mon:00:10-mon:01:00\); RDS refuses that",
            id="bak2-backup-window-overlaps-maintenance-across-midnight",
        ),
        pytest.param(
            lambda d: database(d).update(preferred_maintenance_window="sun:04:30-sun:05:30"),
            r"backup\.start_time_utc = '05:00': the daily tier's start window \(60 min\) falls within an hour before "
            r"or during database\.preferred_maintenance_window \(sun:04:30-sun:05:30\)",
            id="bak3-tier-starts-inside-the-maintenance-window",
        ),
        pytest.param(
            lambda d: database(d).update(preferred_maintenance_window="wed:06:30-wed:07:30"),
            r"the daily tier's start window .* falls within an hour before or during",
            id="bak3-tier-starts-in-the-hour-before-maintenance",
        ),
        pytest.param(
            lambda d: d["environments"][0]["backup"].update(start_time_utc="07:30"),
            r"backup\.start_time_utc = '07:30': the daily tier",
            id="bak3-start-moved-into-maintenance",
        ),
        pytest.param(
            lambda d: database(d).update(allocated_storage_gib=100, max_allocated_storage_gib=105),
            r"database\.max_allocated_storage_gib = 105: must be greater than allocated_storage_gib \(100\) by at "
            r"least 10% \(110\) for storage autoscaling; RDS refuses less",
            id="rds-storage-threshold-under-110-percent",
        ),
        pytest.param(
            lambda d: prod(d).update(admin_cidrs=[f"203.0.113.{i * 8}/29" for i in range(12)]),
            r"environments\[0\] \(acme-prod\)\.admin_cidrs = .*List should have at most 11 items",
            id="net3-more-admin-networks-than-the-public-acl-holds",
        ),
    ],
)
def test_deploy_time_refusals_are_caught_in_config(mutate: Mutation, expected: str) -> None:
    message = rejected(mutate)
    assert message.startswith("config error: ")
    assert len(message.splitlines()) == 1
    assert re.search(expected, message), message


def test_example_environments_start_backups_clear_of_the_maintenance_window() -> None:
    for env in load_config().environments:
        assert env.database.preferred_maintenance_window == "sun:08:00-sun:09:00"


@pytest.mark.parametrize("bits", [3072, 2560])
def test_acc2_rsa_key_of_a_length_ec2_does_not_document_is_refused(bits: int) -> None:
    key = openssh(rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key())
    message = rejected(lambda d: prod(d)["operators"][1].update(ssh_public_key=key))
    assert "operators[1].ssh_public_key = 'ssh-rsa AAAA" in message
    assert f"is an RSA key of {bits} bits, a length EC2 does not document for key pairs" in message
    assert "allowed: ssh-ed25519, or ssh-rsa of 2048 or 4096 bits" in message


def test_acc2_example_operator_keys_have_lengths_ec2_documents() -> None:
    for env in load_config().environments:
        for operator in env.operators:
            key = load_ssh_public_key(operator.ssh_public_key.encode())
            assert not isinstance(key, rsa.RSAPublicKey) or key.key_size in (2048, 4096), operator.name
            assert operator.ssh_public_key.endswith(f"{operator.name}@example.com")


def test_net3_eleven_admin_networks_fit_the_public_acl_beside_the_edge_listener() -> None:
    data = example()
    prod(data)["admin_cidrs"] = [f"203.0.113.{i * 8}/29" for i in range(11)]
    assert len(parse_config(data).environments[0].admin_cidrs) == 11
