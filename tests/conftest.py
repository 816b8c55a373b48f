"""Shared fixtures: a real CPython source tree and one real GNU cross build.

The build is made once per test session with our own command line
(`android.py build aarch64-linux-gnu`), through ccache kept under
~/.cache/cpython-android-tests, so a warm CI run recompiles little but still
configures, builds and installs for real.  Set CPYTHON_ANDROID_TEST_CROSS_BUILD
to an existing cross-build directory to reuse it while developing (the fixture
still runs `build` there, which is a no-op when it is up to date).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import debian_sources

# The android-lab's session fixtures (android_lab, lab_x86_64, lab_aarch64,
# lab_build): registered once here, so every test module shares one build.
pytest_plugins = ["lab_fixtures"]

REPO = Path(__file__).resolve().parent.parent
ANDROID_PY = REPO / "Android" / "android.py"
GNU_HOST = "aarch64-linux-gnu"
CCACHE_DIR = debian_sources.CACHE_ROOT / "ccache"


def run_cli(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float | None = 3600, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `python Android/android.py ARGS` as a user would; output captured as text."""
    full_env = dict(os.environ)
    full_env.pop("CPYTHON_CHECKOUT", None)
    full_env.update(env or {})
    result = subprocess.run([sys.executable, str(ANDROID_PY), *map(str, args)], env=full_env,
                            cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"android.py {' '.join(map(str, args))} exited "
                             f"{result.returncode}\n{result.stdout[-4000:]}\n"
                             f"{result.stderr[-4000:]}")
    return result


def needs(*programs: str) -> pytest.MarkDecorator:
    missing = [p for p in programs if not shutil.which(p)]
    return pytest.mark.skipif(bool(missing), reason=f"not on PATH: {', '.join(missing)}")


@pytest.fixture(scope="session")
def cpython_source() -> Path:
    """Pristine CPython 3.13.5 from Debian's source package (cached, sha256-verified)."""
    if shutil.which("apt-get") is None:
        pytest.skip("apt-get is needed to fetch CPython's source package")
    return debian_sources.extract(debian_sources.fetch("python3.13"))


@dataclass
class BuiltHost:
    checkout: Path
    cross_build: Path
    host: str
    first_build: subprocess.CompletedProcess[str]

    @property
    def prefix(self) -> Path:
        return self.cross_build / self.host / "prefix"

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
    return ["--deps-source", str(debian_sources.library_sources(DEPS_LIBRARIES))]


def build_command(host: str) -> Sequence[str]:
    """The session build.  A reused cross-build directory (while developing)
    gets the from-source libraries only if it already has them, so reusing a
    shared build never rebuilds it."""
    reuse = os.environ.get("CPYTHON_ANDROID_TEST_CROSS_BUILD")
    if reuse and not (Path(reuse) / host / "prefix" / ".deps").is_dir():
        return ["build", host, "--ccache"]
    return ["build", host, "--ccache", *BUILD_EXTRA_ARGS, *deps_source_args()]


@pytest.fixture(scope="session")
def gnu_build(cpython_source: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltHost:
    """CPython built for aarch64-linux-gnu with our own `build`; skips without the tools."""
    missing = [p for p in (f"{GNU_HOST}-gcc", "qemu-aarch64-static", "make", "ccache")
               if not shutil.which(p)]
    if missing:
        pytest.skip(f"GNU cross build needs {', '.join(missing)} on PATH")
    reuse = os.environ.get("CPYTHON_ANDROID_TEST_CROSS_BUILD")
    cross_build = Path(reuse) if reuse else tmp_path_factory.mktemp("cross-build")
    built = BuiltHost(cpython_source, cross_build, GNU_HOST, None)  # type: ignore[arg-type]
    built.first_build = built.cli(*build_command(GNU_HOST), env=ccache_env(), check=True)
    return built


@pytest.fixture(scope="session")
def cross_env(gnu_build: BuiltHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`android.py cross-env` for the session build, made once: the cross-env
    tests probe it, the wheel tests build with it."""
    directory = tmp_path_factory.mktemp("crossenv") / "env"
    result = gnu_build.cli("cross-env", GNU_HOST, directory)
    assert result.returncode == 0, result.stdout + result.stderr
    return directory


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch):
    """An ADB server test double on a loopback port (tests/adb_double.py), with
    adbutils and our device layer pointed at it for the test."""
    from adb_double import AdbDouble

    with AdbDouble() as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server
