"""Project layout guards: the `constructs/` folder must merge into the `constructs` library, never shadow it."""

from __future__ import annotations

import importlib
from pathlib import Path

import constructs

ROOT = Path(__file__).resolve().parents[1]


def test_constructs_folder_has_no_init_file() -> None:
    """An __init__.py there shadows the library and breaks every aws-cdk-lib import (see shared toolchain notes)."""
    assert not (ROOT / "constructs" / "__init__.py").exists()


def test_constructs_construct_is_the_librarys() -> None:
    assert Path(constructs.__file__ or "").parent.parent.name == "site-packages", "the library must provide the package"
    assert [Path(p).resolve() for p in constructs.__path__][-1] == (ROOT / "constructs").resolve(), "ours is merged in"
    assert constructs.Construct.__module__ == "constructs"


def test_our_constructs_import_through_the_merged_namespace() -> None:
    for path in sorted((ROOT / "constructs").glob("*.py")):
        module = importlib.import_module(f"constructs.{path.stem}")
        assert Path(module.__file__ or "").resolve() == path.resolve()
