"""Every way an operations command can fail to run gives one line on stderr and exit status 2, never a traceback:
no credentials, expired credentials, access denied, throttling after the standard retries, an unknown environment,
a missing config file, credentials of the wrong account (the central handler in ops/cli.py).

moto cannot refuse a request, so the refusals are AWS error responses injected at botocore's `before-send` (where
moto itself answers), which also lets the standard retry mode retry a throttled call as it would against AWS.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.credentials import CredentialResolver

from ops.cli import main
from ops.errors import MAX_MESSAGE, one_line, plain
from tests.moto_deploy import MotoDeployment, in_account
from tests.moto_ops import run_ops
from tests.moto_stubs import MotoGaps

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")


class Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def refusing(code: str, status: int, attempts: list[int]) -> MotoGaps:
    """A session whose STS calls all get the AWS error `code` (XML, the query protocol's shape)."""
    gaps = MotoGaps()
    original = gaps.session

    def session(**kwargs: Any) -> boto3.Session:
        s = original(**kwargs)

        def refuse(**_: Any) -> AWSResponse:
            attempts.append(1)
            error = f"<Error><Type>Sender</Type><Code>{code}</Code><Message>refused</Message></Error>"
            body = f"<ErrorResponse>{error}</ErrorResponse>"
            return AWSResponse("https://sts.amazonaws.com/", status, {}, Raw(body.encode()))

        s.events.register_first("before-send.sts", refuse)
        return s

    gaps.session = session  # type: ignore[method-assign]
    return gaps


@pytest.fixture
def prod(moto_deployment: MotoDeployment) -> Iterator[None]:
    with in_account("111122223333"):
        yield


def one_error_line(capsys: Any) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ExpiredToken", 400, "ops: AWS credentials expired (ExpiredToken on GetCallerIdentity): refresh them"),
        (
            "AccessDenied",
            403,
            "ops: access denied on GetCallerIdentity (AccessDenied): the caller needs the policy in "
            "policies/iam/ops-verify.json",
        ),
        ("Throttling", 400, "ops: AWS kept throttling GetCallerIdentity after the standard retries (Throttling)"),
    ],
)
def test_aws_refusals_are_one_line(prod: None, capsys: Any, code: str, status: int, expected: str) -> None:
    attempts: list[int] = []
    exit_code, _ = run_ops("verify", gaps=refusing(code, status, attempts))
    assert exit_code == 2
    assert one_error_line(capsys).startswith(expected)
    if code == "Throttling":
        assert len(attempts) == 3  # botocore's standard retry mode: three attempts in all


def test_no_credentials_is_one_line(prod: None, capsys: Any) -> None:
    def without_credentials(**_: Any) -> boto3.Session:
        core = botocore.session.Session()
        core.register_component("credential_provider", CredentialResolver(providers=[]))
        return boto3.Session(botocore_session=core, region_name="us-east-1")

    assert main(["keys", "--env", "acme-prod"], session_factory=without_credentials) == 2
    assert (
        one_error_line(capsys)
        == "ops: no AWS credentials: set AWS_PROFILE (or run `aws sso login` / `aws configure`) and retry"
    )


def test_credentials_of_another_account_are_refused(moto_deployment: MotoDeployment, capsys: Any) -> None:
    with in_account("123456789012"):
        code, _ = run_ops("verify", gaps=MotoGaps())
    assert code == 2
    assert one_error_line(capsys) == (
        "ops: the credentials are for account 123456789012, but acme-prod deploys to 111122223333: "
        "use a profile of that account"
    )


def test_an_unknown_environment_is_one_line(prod: None, capsys: Any) -> None:
    code, _ = run_ops("verify", gaps=MotoGaps(), env="initech-prod")
    assert code == 2
    assert one_error_line(capsys).startswith("ops: --env initech-prod: no such environment")


def test_a_missing_config_file_is_one_line(prod: None, capsys: Any) -> None:
    code, _ = run_ops("preflight", gaps=MotoGaps(), config="no/such.toml")
    assert code == 2
    assert "no such file" in one_error_line(capsys)


def test_a_bug_is_not_disguised_as_an_operational_error() -> None:
    assert one_line(KeyError("x"), command="verify") is None


def test_the_module_entry_point_prints_one_line_for_an_unknown_environment() -> None:
    """`python -m ops` itself (no AWS call happens before the environment is known)."""
    result = subprocess.run(
        [sys.executable, "-m", "ops", "verify", "--env", "initech-prod"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("ops: --env initech-prod: no such environment in ")
    assert "config/environments.toml; it defines: acme-prod, globex-dev" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_html_or_multi_line_error_body_becomes_one_short_line() -> None:
    assert plain("<html><title>502 Bad Gateway</title><body><h1>Bad</h1></body></html>") == "502 Bad Gateway"
    assert plain("<html><body><h1>Not Found</h1>\n<p>no such action</p></body></html>") == "Not Found no such action"
    assert plain("first line\n  second line") == "first line second line"
    assert len(plain("x" * 1000)) == MAX_MESSAGE
