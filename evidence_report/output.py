"""Write the report folder atomically: everything goes to a sibling temporary folder, which replaces the target
only when complete, so a failure leaves the previous report (or nothing) and never a half-written one."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from evidence_report.html_report import render_html
from evidence_report.oscal_report import oscal_documents


def report_files(document: dict[str, Any]) -> dict[str, bytes]:
    files = {
        "index.html": render_html(document).encode("utf-8"),
        "evidence.json": (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    }
    files.update({f"oscal/{name}": content for name, content in oscal_documents(document).items()})
    return files


def write_atomically(target: Path, files: dict[str, bytes]) -> None:
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staging.chmod(0o755)
        for name, content in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        previous = target.with_name(f".{target.name}.previous")
        if previous.exists():
            shutil.rmtree(previous)
        if target.exists():
            target.rename(previous)
        staging.rename(target)
        if previous.exists():
            shutil.rmtree(previous)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
