"""The evidence rules, one module per control family; importing this package registers them all."""

from evidence_report.rules import (
    access,
    assurance,
    backup,
    baseline,
    delivery,
    delivery_paths,
    encryption,
    location,
    network,
    reachability,
)

__all__ = [
    "access",
    "assurance",
    "backup",
    "baseline",
    "delivery",
    "delivery_paths",
    "encryption",
    "location",
    "network",
    "reachability",
]
