"""Parse botocore's bundled service data once per test process instead of once per client.

Every boto3 client botocore builds parses its service's endpoint rule set into rule objects (about 35 ms), and every
new boto3 Session reads the service models from disk again. The moto deployment builds hundreds of clients and each
in-process run of the ops commands a new Session with about twenty, so the suite spent most of its moto time there.
Both are pure functions of read-only files in botocore's data folder, so a test process keeps one loader per data
path and one parsed rule set per rule-set document; every request still goes through botocore's real endpoint
resolution, serialization, parsing and event hooks. Clients, sessions and their event hooks are not shared.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import endpoint_provider, loaders, session


@contextlib.contextmanager
def parsed_once() -> Iterator[None]:
    """Within the block, sessions share a loader per data path and endpoint providers a parsed rule set."""
    original_init = endpoint_provider.EndpointProvider.__init__
    # id() of the rule-set document -> (the document, kept alive so the id is not reused, its parsed RuleSet)
    parsed: dict[tuple[int, int], tuple[Any, Any, endpoint_provider.RuleSet]] = {}

    def provider_init(
        self: endpoint_provider.EndpointProvider, ruleset_data: Any, partition_data: Any, excluded_params: Any = None
    ) -> None:
        key = (id(ruleset_data), id(partition_data))
        if key not in parsed:
            original_init(self, ruleset_data, partition_data, excluded_params)
            parsed[key] = (ruleset_data, partition_data, self.ruleset)
            return
        self.ruleset = parsed[key][2]
        self._excluded_params = excluded_params or frozenset()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(session, "create_loader", functools.lru_cache(maxsize=None)(loaders.create_loader))
        patch.setattr(endpoint_provider.EndpointProvider, "__init__", provider_init)
        yield


@functools.cache
def harness_client(service: str, region_name: str | None = None) -> Any:
    """One boto3 client per service and region for the moto harness (deploy, skipped types, workarounds, stubs).

    It makes about 480 calls while deploying, and building a client costs more than most moto calls; a client holds
    no account (moto reads MOTO_ACCOUNT_ID on every request), so one serves every account of the assembly."""
    return boto3.client(service, region_name=region_name)
