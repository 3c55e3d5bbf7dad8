"""The control catalog's IDs, read from config/catalog.toml, so code can refuse a reason that names no control."""

from typing import Final

from config.catalog import load_catalog

CONTROL_IDS: Final[frozenset[str]] = load_catalog().ids
