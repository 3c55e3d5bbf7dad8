"""One line for every way a command can fail before it has a result: what is wrong and what to do (exit 2).

`cli.main` is the one place that catches a whole command: configuration errors, `OpsError` (bad input, unknown
environment, a missing resource) and botocore's errors, translated here. `guarded` catches botocore's errors of one
check, so a check that cannot run becomes a row with its error and the other checks still run.
An error body that is an HTML page (a proxy, a moto server without the action) is shown as its title, on one line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

from config import ConfigError
from ops.report import Row

# The published IAM policy each command needs (policies/iam/); `keys` reads a subset of what `verify` reads.
POLICY_OF = {
    "preflight": "ops-preflight.json",
    "verify": "ops-verify.json",
    "keys": "ops-verify.json",
    "restore-drill": "ops-restore-drill.json",
}


class OpsError(Exception):
    """Bad input or a missing resource, already phrased as the one line to print."""


EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "SlowDown",
}


def _client_error(error: ClientError, policy: str) -> str:
    code = error.response.get("Error", {}).get("Code", "")
    operation = error.operation_name
    if code in EXPIRED:
        return (
            f"AWS credentials expired ({code} on {operation}): "
            "refresh them (`aws sso login` or a new session) and retry"
        )
    if code in DENIED:
        return f"access denied on {operation} ({code}): the caller needs the policy in {policy}"
    if code in THROTTLED:
        return (
            f"AWS kept throttling {operation} after the standard retries ({code}): "
            "retry later or raise AWS_MAX_ATTEMPTS"
        )
    return f"{operation} failed: {code}: {plain(error.response.get('Error', {}).get('Message', ''))}"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title: list[str] = []
        self.text: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        (self.title if self._in_title else self.text).append(data)


MAX_MESSAGE = 200


def plain(message: str) -> str:
    """One line of text: an HTML body becomes its title (else its text), whitespace collapses, long text is cut."""
    if re.search(r"<[a-zA-Z!/][^>]*>", message):
        parser = _Text()
        parser.feed(message)
        parser.close()
        message = " ".join(parser.title) or " ".join(parser.text)
    line = " ".join(message.split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 3] + "..."


# Errors raised before any response, in the order they are tried: type -> the line to print.
_LOCAL: tuple[tuple[type[Exception] | tuple[type[Exception], ...], Callable[[Exception], str]], ...] = (
    ((ConfigError, OpsError), str),
    (
        (NoCredentialsError, PartialCredentialsError),
        lambda _: "no AWS credentials: set AWS_PROFILE (or run `aws sso login` / `aws configure`) and retry",
    ),
    (TokenRetrievalError, lambda e: f"AWS SSO token expired or missing ({e}): run `aws sso login` and retry"),
    (ProfileNotFound, lambda e: f"{e}: name a profile from ~/.aws/config in AWS_PROFILE or --profile"),
    (NoRegionError, lambda _: "no AWS region: set AWS_REGION"),
    (
        EndpointConnectionError,
        lambda e: f"cannot reach {e}: check the network, AWS_ENDPOINT_URL and the region",
    ),
)


def one_line(error: BaseException, *, command: str) -> str | None:
    """The message for an error this tool knows, or None for a bug (which then shows its traceback)."""
    if isinstance(error, ClientError):
        return _client_error(error, f"policies/iam/{POLICY_OF[command]}")
    for types, message in _LOCAL:
        if isinstance(error, types):
            return message(error)
    return None


def guarded(control: str, check: str, command: str, produce: Callable[[], Row | list[Row]]) -> list[Row]:
    """The row(s) of one check, or one `error` row saying why it could not run (an AWS or botocore error)."""
    try:
        produced = produce()
        return produced if isinstance(produced, list) else [produced]
    except (ClientError, BotoCoreError) as error:
        message = one_line(error, command=command) or plain(str(error))
        fix = f"resolve the error and re-run {command}; the other rows are unaffected"
        return [Row(control, check, "error", f"could not check: {message}", fix)]
