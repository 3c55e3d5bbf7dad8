"""Synthesis cost, measured (not asserted): `make bench`. Skipped in the normal suite (`--benchmark-skip`)."""

from __future__ import annotations

from typing import Any

import pytest

from config import AppConfig, load_config
from tests.conftest import synthesize


def test_bench_config_load_and_validation(benchmark: Any) -> None:
    benchmark(load_config)


def test_bench_full_synth_with_every_gate(benchmark: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    config: AppConfig = load_config()
    result = benchmark.pedantic(lambda: synthesize(config, tmp_path_factory.mktemp("bench")), rounds=2, iterations=1)
    assert result.failure is None
