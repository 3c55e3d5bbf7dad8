"""Validated configuration: the one input every stack is built from."""

from config.loader import DEFAULT_CONFIG_PATH, ConfigError, load_config, parse_config
from config.model import AccountSettings, AppConfig, EnvironmentConfig

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "AccountSettings",
    "AppConfig",
    "ConfigError",
    "EnvironmentConfig",
    "load_config",
    "parse_config",
]
