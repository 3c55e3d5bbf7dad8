"""Where the gate cache and the unpacked plugin packages live, and how cache keys are made (CMP-1).

Standard library only: the validation engine worker (policies/validation_engine.py) imports it before it hands over
to Node, and must not load aws-cdk-lib's jsii kernel (issue 25). The folder is `.gate-cache/` at the project root,
or `$GATE_CACHE_DIR`; `GATE_CACHE=off` turns off the cached results (policies/gate_cache.py), not the folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    path = Path(os.environ.get("GATE_CACHE_DIR") or PROJECT_ROOT / ".gate-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_enabled() -> bool:
    return os.environ.get("GATE_CACHE", "on").lower() not in {"off", "0", "false", "no"}


def content_key(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))  # length-prefixed: no two part lists hash alike
        digest.update(data)
    return digest.hexdigest()
