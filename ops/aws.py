"""The AWS side of every command: one boto3 session, clients with the standard retry mode, the caller's account.

boto3 itself honours AWS_PROFILE, AWS_REGION/AWS_DEFAULT_REGION, AWS_ENDPOINT_URL (and per-service endpoint
variables) and AWS_MAX_ATTEMPTS; nothing here overrides them. A region is always passed explicitly, because every
environment names its home and DR regions in config.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

RETRIES = Config(retries={"mode": "standard"})
SessionFactory = Callable[..., boto3.Session]


class Aws:
    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region, config=RETRIES)
        return self._clients[key]

    @cached_property
    def account(self) -> str:
        region = self.session.region_name or "us-east-1"
        return str(self.client("sts", region).get_caller_identity()["Account"])

    def pages(self, service: str, region: str, operation: str, key: str, **arguments: Any) -> Iterator[Any]:
        """Every item under `key` of every page of a paginated call."""
        for page in self.client(service, region).get_paginator(operation).paginate(**arguments):
            yield from page.get(key, [])


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
