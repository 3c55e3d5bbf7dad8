"""`python -m ops preflight` on moto: an empty account fails on the missing bootstrap in both regions; a prepared
account passes; a taken name, an exhausted Elastic IP quota, an AZ without an endpoint service, a NACL quota too
small, AWS Config off and AWS Backup not opted in each fail their own row (CMP-1, HA-1, LOC-1, NET-1, BAK-1, BAK-3).

Each test works in an account of its own in the session's moto (nothing deployed there), with a copy of the example
config pointing acme-prod at that account. moto lacks some calls (tests/moto_stubs.py says which); conditions
moto cannot produce (a zone without an endpoint service, a pending e-mail subscription) rewrite one real moto
response through botocore's after-call event, named in the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ops.aws import Aws
from ops.environment import Environment, select_environment
from ops.preflight import _offered_zones
from tests.conftest import Synthesized
from tests.moto_deploy import MotoDeployment, bootstrap, in_account
from tests.moto_ops import failing, row, run_ops
from tests.moto_stubs import MotoGaps, healthy, offered_everywhere

PROD = "acme-prod"
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")


def config_for(account: str, tmp_path: Path) -> str:
    text = Path("config/environments.toml").read_text(encoding="utf-8")
    path = tmp_path / "environments.toml"
    path.write_text(text.replace('account = "111122223333"', f'account = "{account}"'), encoding="utf-8")
    return str(path)


def prepared_gaps() -> MotoGaps:
    return MotoGaps(
        opted_in={r: {"RDS": True, "S3": True, "EC2": True} for r in ("us-east-1", "us-west-2")},
        eip_quota=5.0,
        orderable=offered_everywhere("us-east-1"),
    )


def record_everything(account: str) -> None:
    config = boto3.client("config", region_name="us-east-1")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account}:role/aws-config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=f"config-{account}")
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": f"config-{account}"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


class Account:
    """A fresh moto account and the example config pointed at it (the example assembly names 111122223333, so
    these runs read names from config alone; the assembly rows are tested on the deployed account below)."""

    def __init__(self, account: str, config: str, gaps: MotoGaps) -> None:
        self.account, self.config, self.gaps = account, config, gaps

    def preflight(self) -> tuple[int, dict[str, Any]]:
        return run_ops("preflight", gaps=self.gaps, config=self.config)


@pytest.fixture
def empty(moto_deployment: MotoDeployment, tmp_path: Path, request: Any) -> Iterator[Account]:
    account = f"2222{abs(hash(request.node.name)) % 10**8:08d}"
    with in_account(account):
        yield Account(account, config_for(account, tmp_path), prepared_gaps())


@pytest.fixture
def prepared(empty: Account) -> Account:
    """Bootstrapped in both regions, AWS Config recording everything: what the runbook asks for."""
    for region in ("us-east-1", "us-west-2"):
        bootstrap(empty.account, region)
    record_everything(empty.account)
    return empty


def test_cmp1_an_empty_account_fails_on_the_missing_bootstrap_in_both_regions(empty: Account) -> None:
    code, document = empty.preflight()
    assert code == 1
    for region in ("us-east-1", "us-west-2"):
        bootstrap_row = row(document, f"CDK bootstrap in {region}")
        assert bootstrap_row["status"] == "fail"
        assert bootstrap_row["observed"] == "no CDKToolkit stack"
        assert bootstrap_row["fix"] == f"npx cdk bootstrap aws://{empty.account}/{region}"


def test_a_prepared_account_passes_every_row(prepared: Account) -> None:
    code, document = prepared.preflight()
    assert failing(document) == []
    assert code == 0
    checks = {r["check"] for r in document["rows"]}
    assert {"Elastic IP quota", "availability zones", "DB instance class", "AWS Config recording"} <= checks
    assert row(document, "NACL entries per ACL")["status"] == "warn"  # no assembly of this account: not blocking
    assert f"bucket name {PROD}-data-replica-{prepared.account}-us-west-2" in checks
    assert row(document, "availability zones")["observed"].startswith("us-east-1a=use1-az")
    assert row(document, "alert e-mail subscriptions")["status"] == "not deployed"


def test_cmp1_a_bucket_already_holding_the_replica_name_fails_its_row(prepared: Account) -> None:
    name = f"{PROD}-data-replica-{prepared.account}-us-west-2"
    boto3.client("s3", region_name="us-west-2").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    code, document = prepared.preflight()
    assert failing(document) == [f"bucket name {name}"]
    assert code == 1


def test_cmp1_a_taken_key_pair_name_fails_its_row(prepared: Account) -> None:
    boto3.client("ec2", region_name="us-east-1").create_key_pair(KeyName=f"{PROD}-alice", KeyType="ed25519")
    code, document = prepared.preflight()
    assert failing(document) == [f"key pair name {PROD}-alice"]
    assert code == 1


def test_ha1_an_exhausted_elastic_ip_quota_fails_its_row(prepared: Account) -> None:
    boto3.client("ec2", region_name="us-east-1").allocate_address(Domain="vpc")
    prepared.gaps.eip_quota = 1.0  # stubbed GetServiceQuota (moto has no EC2 quotas): one address, all in use
    code, document = prepared.preflight()
    assert failing(document) == ["Elastic IP quota"]
    assert "1 in use of 1" in row(document, "Elastic IP quota")["observed"]
    assert code == 1


def test_loc1_an_az_without_an_endpoint_service_fails_its_row(prepared: Account) -> None:
    def drop_zone_b_from_ssm(parsed: dict[str, Any]) -> None:
        """moto offers every service in every zone; real regions do not always (after-call rewrite)."""
        for service in parsed.get("ServiceDetails", []):
            if service["ServiceName"] == "com.amazonaws.us-east-1.ssm":
                service["AvailabilityZones"] = [z for z in service["AvailabilityZones"] if z != "us-east-1b"]

    prepared.gaps.after_call["ec2.DescribeVpcEndpointServices"] = drop_zone_b_from_ssm
    code, document = prepared.preflight()
    assert failing(document) == ["endpoint service ssm"]
    assert row(document, "endpoint service ssm")["observed"] == "not offered in us-east-1b"
    assert code == 1


def test_ha1_an_instance_class_missing_in_a_zone_fails_its_row(prepared: Account) -> None:
    prepared.gaps.orderable["db.m7g.large"] = ["us-east-1a", "us-east-1b"]  # stubbed (moto has no postgres options)
    code, document = prepared.preflight()
    assert failing(document) == ["DB instance class"]
    assert code == 1


def test_bak3_config_not_recording_fails_its_row(prepared: Account) -> None:
    boto3.client("config", region_name="us-east-1").stop_configuration_recorder(ConfigurationRecorderName="default")
    code, document = prepared.preflight()
    assert failing(document) == ["AWS Config recording"]
    assert code == 1


def test_bak1_backup_not_opted_in_for_a_selected_type_fails_its_row(prepared: Account) -> None:
    prepared.gaps.opted_in["us-west-2"]["RDS"] = False  # stubbed DescribeRegionSettings (no moto API)
    code, document = prepared.preflight()
    assert failing(document) == ["AWS Backup opt-in in us-west-2"]
    assert row(document, "AWS Backup opt-in in us-west-2")["observed"] == "not opted in: RDS"
    assert code == 1


def test_after_deploy_names_are_held_by_the_environment_and_pending_subscriptions_are_reported(
    moto_deployment: MotoDeployment, synthesized: Synthesized
) -> None:
    def first_pending(parsed: dict[str, Any]) -> None:
        """moto confirms e-mail subscriptions at once; real SNS lists them as PendingConfirmation (rewrite)."""
        for subscription in parsed.get("Subscriptions", [])[:1]:
            subscription["SubscriptionArn"] = "PendingConfirmation"

    with in_account("111122223333"):
        gaps = healthy(PROD, "111122223333")
        gaps.after_call["sns.ListSubscriptionsByTopic"] = first_pending
        code, document = run_ops("preflight", "--assembly", str(synthesized.outdir), gaps=gaps)
    names = [r for r in document["rows"] if " name " in r["check"]]
    assert names
    assert all(r["status"] == "pass" and r["observed"].startswith("held by") for r in names)
    pending = row(document, "alert e-mail subscriptions")
    assert pending["status"] == "warn"
    assert "security-alerts@example.com" in pending["observed"]
    # The account baseline deployed before the tenant stacks records with AWS Config (CMP-1); its probe is
    # test_bak3_config_not_recording_fails_its_row.
    assert row(document, "AWS Config recording")["status"] == "pass"
    assert failing(document) == []
    assert code == 0


def test_net1_nacl_entries_are_counted_from_the_assembly_and_fail_above_the_quota(
    moto_deployment: MotoDeployment, synthesized: Synthesized
) -> None:
    with in_account("111122223333"):
        gaps = healthy(PROD, "111122223333")
        code, document = run_ops("preflight", "--assembly", str(synthesized.outdir), gaps=gaps)
        assert row(document, "NACL entries per ACL")["status"] == "pass"

        def five_rules(parsed: dict[str, Any]) -> None:
            """moto answers the VPC quota with AWS's default of 20; an account may hold less (after-call rewrite)."""
            if parsed.get("Quota", {}).get("QuotaCode") == "L-2AEEBF1A":
                parsed["Quota"]["Value"] = 5.0

        gaps.after_call["service-quotas.GetServiceQuota"] = five_rules
        code, document = run_ops("preflight", "--assembly", str(synthesized.outdir), gaps=gaps)
    assert row(document, "NACL entries per ACL")["status"] == "fail"
    assert "quota 5 (applied)" in row(document, "NACL entries per ACL")["observed"]
    assert code == 1


def test_an_assembly_of_another_account_is_refused(empty: Account, synthesized: Synthesized, capsys: Any) -> None:
    code, _ = run_ops("preflight", "--assembly", str(synthesized.outdir), gaps=empty.gaps, config=empty.config)
    assert code == 2
    assert "was synthesized for account 111122223333" in capsys.readouterr().err


def test_cmp1_a_bootstrap_older_than_the_assembly_requires_fails(empty: Account) -> None:
    bootstrap(empty.account, "us-east-1", version=5)
    bootstrap(empty.account, "us-west-2")
    code, document = empty.preflight()
    old = row(document, "CDK bootstrap in us-east-1")
    assert old["status"] == "fail"
    assert old["observed"] == "CDKToolkit CREATE_COMPLETE, version 5 (needs 6)"
    assert row(document, "CDK bootstrap in us-west-2")["status"] == "pass"
    assert code == 1


def test_loc1_an_endpoint_service_the_region_does_not_know_is_offered_nowhere(empty: Account) -> None:
    env = Environment(select_environment(Path(empty.config), PROD), Aws(boto3.Session()))
    zones = _offered_zones(env, "us-east-1", ["com.amazonaws.us-east-1.ssm", "com.amazonaws.us-east-1.nosuch"])
    assert "us-east-1a" in zones["com.amazonaws.us-east-1.ssm"]
    assert "com.amazonaws.us-east-1.nosuch" not in zones


def test_cmp1_a_check_that_cannot_run_is_a_row_and_the_others_still_print(empty: Account) -> None:
    """Against a moto server the EC2 Elastic IP quota cannot be read: moto has no EC2 quotas (NoSuchResource) and no
    GetAWSDefaultServiceQuota (its server answers HTTP 500 with an HTML page; the one stubbed call). That row says so
    in one line without HTML; the missing bootstrap and every other row still print."""
    empty.gaps.eip_quota = None
    empty.gaps.moto_server_500.add("service-quotas.GetAWSDefaultServiceQuota")
    code, document = empty.preflight()
    quota = row(document, "Elastic IP quota")
    assert quota["status"] == "error"
    assert quota["control"] == "HA-1"
    assert "GetAWSDefaultServiceQuota" in quota["observed"]
    assert "500 Internal Server Error" in quota["observed"]
    assert "<" not in quota["observed"]
    assert "\n" not in quota["observed"]
    assert row(document, "CDK bootstrap in us-east-1")["status"] == "fail"
    assert row(document, "CDK bootstrap in us-west-2")["status"] == "fail"
    assert {"availability zones", "DB instance class", "AWS Config recording"} <= {r["check"] for r in document["rows"]}
    assert code == 1  # a check failed; an error row alone would exit 2 (the answer is incomplete)


def test_an_error_row_alone_exits_2(prepared: Account) -> None:
    prepared.gaps.eip_quota = None
    prepared.gaps.moto_server_500.add("service-quotas.GetAWSDefaultServiceQuota")
    code, document = prepared.preflight()
    assert [r["check"] for r in document["rows"] if r["status"] == "error"] == ["Elastic IP quota"]
    assert failing(document) == []
    assert code == 2
