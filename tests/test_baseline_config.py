"""The `accounts` config section (issue 10): one baseline per account, every bad input refused in one line that
names the field, the value and what is allowed. Pure Python: no synth."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from typing import Any

import pytest

from config import DEFAULT_CONFIG_PATH, ConfigError, load_config, parse_config

Mutation = Callable[[dict[str, Any]], None]


def example() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def rejected(mutate: Mutation) -> list[str]:
    data = copy.deepcopy(example())
    mutate(data)
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.problems


def test_net5_example_has_one_baseline_per_account() -> None:
    config = load_config()
    baselines = config.baselines()
    assert [b.account for b in baselines] == ["111122223333", None]
    explicit, deploying = baselines
    assert (explicit.home_region, explicit.dr_region, explicit.organization_managed) == (
        "us-east-1",
        "us-west-2",
        False,
    )
    assert explicit.log_retention_days == 365
    # The deploying account's baseline takes the regions and alert e-mail of the environment without an account.
    assert (deploying.home_region, deploying.dr_region, str(deploying.alert_email)) == (
        "us-east-1",
        "us-west-2",
        "globex-alerts@example.com",
    )


def test_net5_two_environments_of_one_account_share_one_baseline() -> None:
    data = example()
    data["environments"][1]["account"] = "111122223333"
    config = parse_config(data)
    assert [b.account for b in config.baselines()] == ["111122223333"]


def add_account(data: dict[str, Any], **changes: Any) -> None:
    data["accounts"].append({**data["accounts"][0], **changes})


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            add_account,
            "config error: accounts[1] (111122223333).account = '111122223333': repeats accounts[0]; "
            "an account has one baseline",
            id="two-baselines-for-one-account",
        ),
        pytest.param(
            lambda d: d["accounts"][0].update(dr_region="us-east-1"),
            "config error: accounts[0] (111122223333).dr_region = ",
            id="dr-region-equals-home-region",
        ),
        pytest.param(
            lambda d: d["environments"][0].update(account="999988887777"),
            "config error: environments[0] (acme-prod).account = '999988887777': has no baseline settings; "
            "add an [[accounts]]",
            id="environment-account-without-baseline",
        ),
        pytest.param(
            lambda d: d["accounts"][0].update(dr_region="us-east-2"),
            "config error: environments[0] (acme-prod).dr_region = 'us-west-2': "
            "differs from its account's baseline (us-east-2)",
            id="environment-dr-region-differs-from-its-account",
        ),
        pytest.param(
            lambda d: d["accounts"][0].update(log_retention_days=42),
            "config error: accounts[0] (111122223333).log_retention_days = 42: "
            "must be one of CloudWatch Logs' retention values",
            id="log-retention-not-a-cloudwatch-value",
        ),
        pytest.param(
            lambda d: d["accounts"][0].update(account="1111"),
            "config error: accounts[0] (1111).account = '1111': must be an AWS account ID: 12 digits",
            id="account-id-not-12-digits",
        ),
        pytest.param(
            lambda d: d["accounts"][0].update(organisation_managed=True),
            "config error: accounts[0] (111122223333).organisation_managed: "
            "unknown key; did you mean organization_managed?",
            id="typo",
        ),
        pytest.param(
            lambda d: d["accounts"][0].pop("alert_email"),
            "config error: accounts[0] (111122223333).alert_email: is required",
            id="alert-email-missing",
        ),
    ],
)
def test_net5_probe_bad_account_settings_are_refused_in_one_line(mutate: Mutation, expected: str) -> None:
    problems = rejected(mutate)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]
    assert "\n" not in problems[0]


def test_bak5_probe_dr_region_equal_to_home_region_names_what_is_allowed() -> None:
    (problem,) = rejected(lambda d: d["accounts"][0].update(dr_region="us-east-1"))
    assert "us-east-1" in problem


def test_net5_probe_deploying_account_entries_may_not_repeat() -> None:
    def two_for_the_deploying_account(data: dict[str, Any]) -> None:
        entry = {"alert_email": "a@example.com"}
        data["accounts"] += [entry, dict(entry)]

    (problem,) = rejected(two_for_the_deploying_account)
    assert problem.startswith(
        "config error: accounts[2] (deploying account).account = '(deploying account)': repeats accounts[1]"
    )


def test_net5_an_entry_without_account_sets_the_deploying_accounts_baseline() -> None:
    data = example()
    data["accounts"].append({"alert_email": "ops@example.com", "log_retention_days": 731})
    deploying = parse_config(data).baselines()[1]
    assert (deploying.account, str(deploying.alert_email), deploying.log_retention_days) == (
        None,
        "ops@example.com",
        731,
    )


def test_net5_a_listed_account_without_environments_still_gets_its_baseline() -> None:
    data = example()
    add_account(data, account="777788889999", alert_email="audit@example.com")
    assert [b.account for b in parse_config(data).baselines()] == ["111122223333", None, "777788889999"]
