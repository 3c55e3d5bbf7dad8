"""Which third-party distributions a command imports, and which ones the requirement group it installs pins (issue 21).

A command works on a fresh clone only if every third-party module it can import (at any depth: module level, inside
functions, through the project's own modules) belongs to a distribution that the requirement file its `make` target
installs pins, directly or as a declared dependency of a pinned one. `make synth` once failed on every fresh clone
because a gate imported cfn-lint, which only the test group installed.

The commands and their groups are read from the Makefile itself (each target's `$(VENV)/.<group>-installed`
prerequisite and that stamp's `-r <file>` install), so the proof follows the Makefile as it is.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# What each command runs: the project's modules it starts from; everything they import is followed.
COMMAND_SOURCES: dict[str, tuple[str, ...]] = {
    "synth": ("app.py", "config", "stacks", "constructs", "policies"),
    "diff": ("app.py", "config", "stacks", "constructs", "policies", "diff_verdict"),
    "evidence": ("evidence_report",),
    "acks": ("scripts/acks.py",),
    "preflight": ("ops",),
    "verify": ("ops",),
    "keys": ("ops",),
    "restore-drill": ("ops",),
    "check-config": ("config",),
}


@dataclass(frozen=True)
class MissingRequirement:
    command: str
    requirement_file: str
    module: str
    distribution: str | None  # None: no installed distribution provides the module
    imported_by: str

    def __str__(self) -> str:
        provider = f"distribution {self.distribution}" if self.distribution else "no installed distribution"
        return (
            f"make {self.command}: {self.imported_by} imports {self.module} ({provider}), "
            f"which {self.requirement_file} does not pin"
        )


def python_files(root: Path, sources: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for source in sources:
        path = root / source
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def _imported_names(path: Path, root: Path) -> Iterator[str]:
    """Every absolute module name a file imports, relative imports resolved, `from X import name` as X and X.name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(root).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def _first_party_files(module: str, root: Path) -> list[Path]:
    """The project's files that importing `module` runs (packages' __init__ included), or [] if it is not ours.

    `constructs/` has no __init__.py and merges into the constructs library's namespace: `constructs.x` is ours when
    constructs/x.py exists, `constructs` alone is the library.
    """
    parts = module.split(".")
    candidates = [root / Path(*parts).with_suffix(".py"), root / Path(*parts) / "__init__.py"]
    found = [path for path in candidates if path.is_file()]
    if not found:
        return []
    inits = [root / Path(*parts[:depth]) / "__init__.py" for depth in range(1, len(parts))]
    return [*found, *(init for init in inits if init.is_file())]


def third_party_imports(root: Path, sources: Iterable[str]) -> dict[str, str]:
    """Top-level third-party module -> the first project file found importing it, following the project's imports."""
    pending = python_files(root, sources)
    seen: set[Path] = set()
    found: dict[str, str] = {}
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imported_names(path, root):
            ours = _first_party_files(name, root)
            if ours:
                pending.extend(ours)
                continue
            top = name.split(".")[0]
            if not top or top in sys.stdlib_module_names or ((root / top).is_dir() and top != "constructs"):
                continue  # the standard library, or `from config import name` where name is not a module
            if top == "app" and (root / "app.py").is_file():
                continue
            found.setdefault(top, str(path.relative_to(root)))
    return found


def pinned_distributions(requirement_file: Path) -> set[str]:
    """The canonical names a requirement file pins with ==, following `-r` includes."""
    pinned: set[str] = set()
    for raw in requirement_file.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r"):
            pinned |= pinned_distributions(requirement_file.parent / line[2:].strip())
        elif line:
            requirement = Requirement(line)
            if not any(spec.operator == "==" for spec in requirement.specifier):
                raise ValueError(f"{requirement_file.name}: {line!r} is not an exact pin")
            pinned.add(canonicalize_name(requirement.name))
    return pinned


@cache
def _dependencies(distribution: str) -> frozenset[str]:
    """A distribution's unconditional declared dependencies (extras and other platforms' markers left out)."""
    try:
        requires = metadata.requires(distribution) or []
    except metadata.PackageNotFoundError:
        return frozenset()
    names = set()
    for text in requires:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.add(canonicalize_name(requirement.name))
    return frozenset(names)


def installed_by(pinned: set[str]) -> set[str]:
    """The pinned distributions and everything they depend on, transitively."""
    closure, pending = set(), list(pinned)
    while pending:
        name = pending.pop()
        if name not in closure:
            closure.add(name)
            pending.extend(_dependencies(name))
    return closure


def command_requirement_files(makefile: Path) -> dict[str, Path]:
    """Each make target -> the requirement file of the group it installs (`$(VENV)/.<group>-installed`)."""
    text = makefile.read_text(encoding="utf-8").replace("\\\n", " ")
    # A stamp's recipe may say what it installs first (`@echo ...`) and run the install silently (`@$(call ...)`).
    recipe = r"^\$\(VENV\)/\.(\w+)-installed:.*\n(?:\t@echo .*\n)?\t@?\$\(call install,-r (\S+)"
    stamps = dict(re.findall(recipe, text, re.MULTILINE))
    commands: dict[str, Path] = {}
    for targets, prerequisites in re.findall(r"^([a-z][a-z -]*):(?!=)(.*)$", text, re.MULTILINE):
        groups = re.findall(r"\$\(VENV\)/\.(\w+)-installed", prerequisites)
        for target in targets.split():
            if groups:
                commands[target] = makefile.parent / stamps[groups[0]]
    return commands


def missing_requirements(root: Path, commands: dict[str, tuple[str, ...]]) -> list[MissingRequirement]:
    """Every third-party import of each command that its installed group does not provide."""
    distributions = metadata.packages_distributions()
    requirement_files = command_requirement_files(root / "Makefile")
    missing: list[MissingRequirement] = []
    for command, sources in commands.items():
        requirement_file = requirement_files[command]
        available = installed_by(pinned_distributions(requirement_file))
        for module, imported_by in sorted(third_party_imports(root, sources).items()):
            providers = [canonicalize_name(name) for name in distributions.get(module, [])]
            if not any(provider in available for provider in providers):
                missing.append(
                    MissingRequirement(
                        command=command,
                        requirement_file=requirement_file.name,
                        module=module,
                        distribution=providers[0] if providers else None,
                        imported_by=imported_by,
                    )
                )
    return missing
