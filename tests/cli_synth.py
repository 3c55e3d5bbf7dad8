"""The README's `make synth`, run as a user would: through make and the pinned CLI, with no AWS credentials.

`BackgroundSynth` starts it as a child process so the suite's in-process synth and the CLI synth run at the same
time on the two cores (tests/conftest.py starts one when a collected test needs it); under pytest-xdist the workers
share one (`shared_synth`).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CDK = ROOT / "node_modules" / ".bin" / "cdk"


def clean_env() -> dict[str, str]:
    """No AWS credentials at all: synth and diff must not need them. Nor the flags of a `make test` that runs this
    suite: a make started here with the parent's jobserver flags warns "jobserver unavailable" on stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_CA_BUNDLE"}
    env = {k: v for k, v in env.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}}
    env.update(AWS_EC2_METADATA_DISABLED="true", JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    return env


def make_synth_command(out: Path, config: Path | None = None) -> list[str]:
    command = ["make", "--no-print-directory", "synth", f"OUT={out}"]
    if config is not None:
        command.append(f"CONFIG={config}")
    return command


def cdk_diff(app: Path, base_template: Path, stack: str, *, fail: bool = True) -> subprocess.CompletedProcess[str]:
    """The pinned CLI's offline diff of one stack against a template file (`--fail`: exit 1 on a difference)."""
    command = [str(CDK), "diff", "--app", str(app), "--template", str(base_template), "--exclusively", "--no-notices"]
    command += [*(["--fail"] if fail else []), stack]
    return subprocess.run(command, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300, check=False)


def make_synth(out: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        make_synth_command(out, config),
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


class BackgroundSynth:
    def __init__(self, out: Path) -> None:
        self.out = out
        self._process = subprocess.Popen(
            make_synth_command(out),
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> tuple[int, str]:
        """Wait for the synth; its exit status and what it printed on stderr. What it printed on each stream is
        kept beside the output folder (`printed`), for the tests of what a user sees."""
        stdout, stderr = self._process.communicate(timeout=600)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        (self.out.parent / "make-synth.out").write_text(stdout, encoding="utf-8")
        (self.out.parent / "make-synth.err").write_text(stderr, encoding="utf-8")
        return self._process.returncode, stderr


def printed(out: Path) -> tuple[str, str]:
    """What the `make synth` that wrote `out` printed on stdout and on stderr."""
    stdout, stderr = ((out.parent / f"make-synth.{stream}").read_text(encoding="utf-8") for stream in ("out", "err"))
    return stdout, stderr


def shared_synth(folder: Path) -> tuple[Path, int, str]:
    """One CLI synth for all pytest-xdist workers of a session: the first to take the lock runs it, the others wait
    and read its result (`folder` is shared by the workers: the parent of each worker's basetemp)."""
    folder.mkdir(parents=True, exist_ok=True)
    result = folder / "result.json"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            returncode, stderr = BackgroundSynth(folder / "out").result()
            result.write_text(json.dumps({"returncode": returncode, "stderr": stderr[-3000:]}), encoding="utf-8")
        outcome = json.loads(result.read_text(encoding="utf-8"))
    return folder / "out", outcome["returncode"], outcome["stderr"]
