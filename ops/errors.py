"""One line for every way a command can fail before it has a result: what is wrong and what to do (exit 2).

`cli.main` is the one place that catches: configuration errors, `OpsError` (bad input, unknown environment, a
missing resource) and botocore's errors, translated here. Nothing else in the package catches broadly.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

from config import ConfigError

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
    return f"{operation} failed: {code}: {error.response.get('Error', {}).get('Message', '')}"


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
