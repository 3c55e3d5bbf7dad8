"""The control catalog's IDs (../shared/controls.md), so code can refuse a reason that names no control."""

from typing import Final

CONTROL_IDS: Final = frozenset(
    {
        *(f"ACC-{n}" for n in range(1, 9)),
        *(f"NET-{n}" for n in range(1, 7)),
        *(f"ENC-{n}" for n in range(1, 5)),
        *(f"BAK-{n}" for n in range(1, 7)),
        "LOC-1",
        "HA-1",
        "CMP-1",
        *(f"OUT-{n}" for n in range(1, 4)),
    }
)
