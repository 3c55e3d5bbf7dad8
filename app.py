#!/usr/bin/env python3
"""The CDK app: validated config in, one set of stacks per environment out, every policy gate attached.

    npx cdk synth -c config=path/to/environments.toml   (default: config/environments.toml)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import aws_cdk as cdk

from config import DEFAULT_CONFIG_PATH, AppConfig, ConfigError, EnvironmentConfig, load_config
from policies.packs import attach_policy_gates
from stacks.network import NetworkStack


@dataclass(frozen=True)
class EnvironmentStacks:
    network: NetworkStack


def add_environment(app: cdk.App, env_config: EnvironmentConfig) -> EnvironmentStacks:
    """The stacks of one isolated environment (ACC-1), wired by typed references, never by lookups."""
    network = NetworkStack(app, env_config=env_config)
    return EnvironmentStacks(network=network)


def build(app: cdk.App, config: AppConfig) -> dict[str, EnvironmentStacks]:
    """Add every environment's stacks and attach the policy gates to the whole app."""
    environments = {env_config.name: add_environment(app, env_config) for env_config in config.environments}
    attach_policy_gates(app)
    return environments


def main() -> int:
    app = cdk.App()
    config_path = app.node.try_get_context("config") or DEFAULT_CONFIG_PATH
    try:
        config = load_config(config_path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    build(app, config)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
