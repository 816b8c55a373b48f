"""Running android.py as a user does, and the session build's command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import sources

REPO = Path(__file__).resolve().parents[2]
ANDROID_PY = REPO / "Android" / "android.py"
#: android.py with the tests' android-lab registered (`--lab DIR`): lab_entry.py.
LAB_ENTRY = Path(__file__).resolve().with_name("lab_entry.py")
GNU_HOST = "aarch64-linux-gnu"
CCACHE_DIR = sources.default_cache() / "ccache"


def run_cli(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float | None = 3600, check: bool = False,
            input: str | None = None, lab: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `python Android/android.py ARGS` as a user would (`input` on its
    stdin); output captured as text.  `lab`: through lab_entry.py, which
    registers the android-lab (`--lab DIR`) with the command line."""
    full_env = dict(os.environ)
    full_env.pop("CPYTHON_CHECKOUT", None)
    full_env.update(env or {})
    entry = [str(LAB_ENTRY)] if lab else []
    result = subprocess.run([sys.executable, *entry, str(ANDROID_PY), *map(str, args)],
                            env=full_env, cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, input=input)
    if check and result.returncode != 0:
        raise AssertionError(f"android.py {' '.join(map(str, args))} exited "
                             f"{result.returncode}\n{result.stdout[-4000:]}\n"
                             f"{result.stderr[-4000:]}")
    return result


def needs(*programs: str) -> pytest.MarkDecorator:
    missing = [p for p in programs if not shutil.which(p)]
    return pytest.mark.skipif(bool(missing), reason=f"not on PATH: {', '.join(missing)}")


@dataclass
class BuiltHost:
    checkout: Path
    cross_build: Path
    host: str
    first_build: subprocess.CompletedProcess[str]
    free_threaded: bool = False  # built with --disable-gil: in cross-build/HOST-t

    @property
    def host_dir(self) -> Path:
        return self.cross_build / (self.host + ("-t" if self.free_threaded else ""))

    @property
    def prefix(self) -> Path:
        return self.host_dir / "prefix"

    def cli(self, *args: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
        """android.py with this build's --checkout and --cross-build-dir."""
        return run_cli("--checkout", self.checkout, "--cross-build-dir", self.cross_build,
                       *args, **kwargs)


#: Extra `build` arguments for the session build (the prerequisite-library
#: tests add theirs here so one build serves every integration test).
BUILD_EXTRA_ARGS: list[str] = ["--deps-from-source"]
#: The libraries (OpenSSL, libffi, ...) built from source with the host python,
#: their source archives from Debian's source packages (see deps_source_args).
DEPS_LIBRARIES = ["bzip2", "libffi", "openssl", "sqlite", "xz", "zlib"]


def ccache_env() -> dict[str, str]:
    CCACHE_DIR.mkdir(parents=True, exist_ok=True)
    return {"CCACHE_DIR": str(CCACHE_DIR), "CCACHE_MAXSIZE": "3G"}


def deps_source_args() -> list[str]:
    """`--deps-source DIR` with the pinned library sources (fetched once, verified)."""
    return ["--deps-source", str(sources.library_sources(DEPS_LIBRARIES))]


def free_threaded_build_command(host: str) -> Sequence[str]:
    """The session's free-threaded build: no libraries from source (the
    default build proves those), so modules such as _ssl are simply missing."""
    return ["build", host, "--disable-gil", "--ccache"]


def build_command(host: str) -> Sequence[str]:
    """The session build.  A reused cross-build directory (while developing)
    gets the from-source libraries only if it already has them, so reusing a
    shared build never rebuilds it."""
    reuse = os.environ.get("CPYTHON_ANDROID_TEST_CROSS_BUILD")
    if reuse and not (Path(reuse) / host / "prefix" / ".deps").is_dir():
        return ["build", host, "--ccache"]
    return ["build", host, "--ccache", *BUILD_EXTRA_ARGS, *deps_source_args()]
