"""The JavaScript packages that jsii ships inside Python wheels, unpacked once so Node can run them directly (CMP-1,
issue 25).

A jsii wheel carries its npm package as `<module>/_jsii/<name>@<version>.jsii.tgz`, which the jsii kernel unpacks
into its own private cache. The gates that run a plugin's JavaScript beside the kernel (the Control Tower runs,
aws-cdk-lib's validation engine worker) need the files on disk themselves: `unpacked` puts them under the cache
folder, in a folder named by the tarball's digest, renamed into place whole so a parallel or interrupted synth never
sees half of it; a different choice of parts gets a folder of its own. Standard library only (the engine worker
imports this before it hands over to Node).
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from policies.cache_folder import content_key

PACKAGE_IN_TARBALL = "package/"


@dataclass(frozen=True)
class UnpackedPackage:
    folder: Path
    digest: str  # sha256 of the jsii tarball: every file of the package, at this version


def jsii_tarball(python_module: str, package: str) -> Path:
    """The tarball of npm `package` inside installed `python_module`, found without importing it (which would load
    it into the jsii kernel)."""
    spec = importlib.util.find_spec(python_module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{python_module} is not installed")
    (tarball,) = (Path(spec.origin).parent / "_jsii").glob(f"{package}@*.jsii.tgz")
    return tarball


def unpacked(tarball: Path, into: Path, *, name: str, parts: tuple[str, ...] = ()) -> UnpackedPackage:
    """The package in `tarball`, unpacked under `into` once per tarball digest and choice of parts: only the files
    under `parts` (paths inside the package) when given, else all of them."""
    with tarball.open("rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").hexdigest()
    folder = into / f"{name}-{content_key(digest, *parts)[:16] if parts else digest[:16]}"
    if not folder.is_dir():
        into.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=into))
        with tarfile.open(tarball) as archive:
            members = []
            for member in archive:
                inside = member.name.removeprefix(PACKAGE_IN_TARBALL)
                if member.isfile() and member.name.startswith(PACKAGE_IN_TARBALL) and _wanted(inside, parts):
                    member.name = inside
                    members.append(member)
            archive.extractall(staging, members=members, filter="data")
        try:
            staging.rename(folder)
        except OSError:  # another process unpacked it first: same content, keep theirs
            shutil.rmtree(staging)
    return UnpackedPackage(folder=folder, digest=digest)


def _wanted(path: str, parts: tuple[str, ...]) -> bool:
    return not parts or any(path == part or path.startswith(part.rstrip("/") + "/") for part in parts)
