"""A python3 with none of our packages, as a buildbot worker's or cibuildwheel's
is: a fresh venv, and the wheels of our hash-pinned requirements (downloaded
once with pip into the user's cache), so its bootstrap installs them offline."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pip

from cpython_android import bootstrap

# Beside the other test caches (CI keeps ~/.cache between runs).
WHEELS = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / \
    "cpython-android-tests" / "wheels"


@dataclass(frozen=True)
class BarePython:
    python: Path
    cache: Path  # the bootstrap's cache root for this python (CPYTHON_ANDROID_CACHE)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a client runs it in: none of our test settings, none of
        our packages on any path; the bootstrap installs from the wheel cache."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CPYTHON_", "PYTHON", "VIRTUAL_ENV"))}
        env["PATH"] = f"{self.python.parent}{os.pathsep}{env.get('PATH', '')}"
        env[bootstrap.CACHE_ENV] = str(self.cache)
        env[bootstrap.WHEELS_ENV] = str(wheels())
        env.update(extra)
        return env

    def run(self, *args: str | Path, cwd: Path | None = None, timeout: float = 900,
            **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.python), *map(str, args)], cwd=cwd,
                              env=self.env(**extra), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)


def wheels() -> Path:
    """Our requirements' wheels for this interpreter, pip-downloaded once (hash-checked)."""
    done = WHEELS / f".complete-{bootstrap.environment_dir(WHEELS).name}"
    if not done.is_file():
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--require-hashes",
                        "--disable-pip-version-check", "-r", str(bootstrap.REQUIREMENTS),
                        "-d", str(WHEELS)], check=True, timeout=900)
        done.write_text("")
    return WHEELS


def make(root: Path, *, with_pip: bool = True) -> BarePython:
    """A fresh venv of the python running the tests (same version as ours).

    Its pip is the test environment's own pip package, linked into the venv's
    site-packages: what the bootstrap needs of a user's python3, without
    ensurepip installing a copy for every venv (seconds each, 0.1 s this way)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")],
                   check=True, timeout=300)
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = root / "venv" / bindir / "python"
    if with_pip:
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                               "get_path('purelib'))"], capture_output=True, text=True,
                              check=True).stdout.strip()
        (Path(site) / "pip").symlink_to(Path(pip.__file__).parent, target_is_directory=True)
    return BarePython(python, root / "cache")
