"""One line for every way a command can fail before it has a result: what is wrong and what to do (exit 2).

`cli.main` is the one place that catches: configuration errors, `OpsError` (bad input, unknown environment, a
missing resource) and botocore's errors, translated here. Nothing else in the package catches broadly.
"""

from __future__ import annotations

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


def one_line(error: BaseException, *, command: str) -> str | None:
    """The message for an error this tool knows, or None for a bug (which then shows its traceback)."""
    policy = f"policies/iam/{POLICY_OF[command]}"
    if isinstance(error, ConfigError | OpsError):
        return str(error)
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return "no AWS credentials: set AWS_PROFILE (or run `aws sso login` / `aws configure`) and retry"
    if isinstance(error, TokenRetrievalError):
        return f"AWS SSO token expired or missing ({error}): run `aws sso login` and retry"
    if isinstance(error, ProfileNotFound):
        return f"{error}: name a profile from ~/.aws/config in AWS_PROFILE or --profile"
    if isinstance(error, NoRegionError):
        return "no AWS region: set AWS_REGION (the environment's region is used when the config names one)"
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach {error.kwargs.get('endpoint_url', 'the AWS endpoint')}: check the network, AWS_ENDPOINT_URL and the region"
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        operation = error.operation_name
        if code in EXPIRED:
            return f"AWS credentials expired ({code} on {operation}): refresh them (`aws sso login` or a new session) and retry"
        if code in DENIED:
            return f"access denied on {operation} ({code}): the caller needs the policy in {policy}"
        if code in THROTTLED:
            return f"AWS kept throttling {operation} after the standard retries ({code}): retry later or raise AWS_MAX_ATTEMPTS"
        message = error.response.get("Error", {}).get("Message", "")
        return f"{operation} failed: {code}: {message}"
    return None
