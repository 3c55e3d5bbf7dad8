"""Configs for the synth benchmarks: N environments generated from the example (issue 9: ten within 3x one)."""

from __future__ import annotations

import copy
import ipaddress
import tomllib
from typing import Any

from config import DEFAULT_CONFIG_PATH, AppConfig, parse_config

TENANTS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne")


def example_data() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def environments(count: int) -> AppConfig:
    """`count` isolated environments, each a copy of the example's production environment with its own tenant and
    VPC range (10.<n>.0.0/16), so every template differs as real tenants' would."""
    data = example_data()
    template = next(env for env in data["environments"] if env["stage"] == "prod")
    generated = []
    for index in range(count):
        env = copy.deepcopy(template)
        env["tenant"] = TENANTS[index % len(TENANTS)] + (str(index // len(TENANTS)) if index >= len(TENANTS) else "")
        env["vpc_cidr"] = str(ipaddress.IPv4Network(f"10.{100 + index}.0.0/16"))
        generated.append(env)
    return parse_config({**{k: v for k, v in data.items() if k != "environments"}, "environments": generated})
