"""Session fixtures for the android-lab tests (a plugin: tests/conftest.py loads it).

`android_lab` sets the lab up (support/android_lab.py) or skips with the reason.
`lab_x86_64` and `lab_aarch64` build CPython 3.13.5 for the Android host with
our own command line, exactly as a user would with an SDK: `android.py build
HOST --ndk-version 26.0.9635231 --ccache --deps-from-source --deps-source DIR`
with ANDROID_HOME pointing at the lab, through the session's shared ccache.
They build in the GNU session build's cross-build directory (`gnu_build`), so
the build python is built once for the whole session;
CPYTHON_ANDROID_TEST_LAB_CROSS_BUILD names another one to reuse while
developing (the build there is a no-op when up to date), and
CPYTHON_ANDROID_TEST_DEPS_SOURCE names a --deps-source directory to use
instead of fetching the pinned archives.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import sources
from support.android_lab import LAB_NDK_VERSION, Lab, LabUnavailable, setup_lab
from support.cli import DEPS_LIBRARIES, BuiltHost, ccache_env

X86_64 = "x86_64-linux-android"
AARCH64 = "aarch64-linux-android"
LAB_LIBRARIES = [name for name in DEPS_LIBRARIES if name != "zlib"]  # the NDK has libz


@dataclass
class LabBuild(BuiltHost):
    lab: Lab = None  # type: ignore[assignment]
    seconds: float = 0.0  # how long `build` took in this session
    ccache_log: Path = Path()  # ccache's stats log of that build (CCACHE_STATSLOG)

    def lab_cli(self, *args: str | Path, **kwargs):
        """android.py with this build's directories, the lab as ANDROID_HOME and
        `--lab DIR` registered (lab_entry.py)."""
        env = {**self.lab.env(), **kwargs.pop("env", {})}
        return self.cli(*args, env=env, lab=True, **kwargs)

    def python_env(self) -> dict[str, str]:
        """How the README runs an Android python on the lab."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(LD_LIBRARY_PATH=str(self.prefix / "lib"), PYTHONHOME=str(self.prefix))
        return env

    def python_command(self) -> list[str]:
        python = str(self.prefix / "bin" / "python3.13")
        if self.host == X86_64:
            return [python]
        return ["qemu-aarch64-static", "-L", str(self.lab.arm64_root), python]


@pytest.fixture(scope="session")
def android_lab() -> Lab:
    try:
        return setup_lab()
    except LabUnavailable as e:
        pytest.skip(f"android-lab unavailable: {e}")


def deps_source() -> Path:
    given = os.environ.get("CPYTHON_ANDROID_TEST_DEPS_SOURCE")
    return Path(given) if given else sources.library_sources(LAB_LIBRARIES)


@pytest.fixture(scope="session")
def lab_cross_build(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's GNU cross-build directory: one build python serves every host."""
    reuse = os.environ.get("CPYTHON_ANDROID_TEST_LAB_CROSS_BUILD")
    if reuse:
        return Path(reuse)
    try:
        gnu_build: BuiltHost = request.getfixturevalue("gnu_build")
    except pytest.skip.Exception:  # no GNU cross compiler: the lab builds need none
        return tmp_path_factory.mktemp("lab-cross-build")
    return gnu_build.cross_build


def build_for_lab(host: str, lab: Lab, checkout: Path, cross_build: Path,
                  work: Path) -> LabBuild:
    missing = [p for p in ("make", "ccache", "perl", "tclsh", "autoreconf") if not shutil.which(p)]
    if missing:
        pytest.skip(f"building for {host} on the lab needs {', '.join(missing)} on PATH")
    built = LabBuild(checkout, cross_build, host, None, lab=lab,  # type: ignore[arg-type]
                     ccache_log=work / f"ccache-{host}.log")
    started = time.monotonic()
    built.first_build = built.lab_cli(
        "build", host, "--ndk-version", LAB_NDK_VERSION, "--ccache", "--deps-from-source",
        "--deps-source", deps_source(), env={**ccache_env(), "CCACHE_STATSLOG":
                                            str(built.ccache_log)}, check=True, timeout=3600)
    built.seconds = time.monotonic() - started
    print(f"\nandroid-lab: build {host} took {built.seconds:.0f} s")
    return built


@pytest.fixture(scope="session")
def lab_x86_64(android_lab: Lab, cpython_source: Path, lab_cross_build: Path,
               tmp_path_factory: pytest.TempPathFactory) -> LabBuild:
    return build_for_lab(X86_64, android_lab, cpython_source, lab_cross_build,
                         tmp_path_factory.mktemp("lab-x86_64"))


@pytest.fixture(scope="session")
def lab_aarch64(android_lab: Lab, cpython_source: Path, lab_cross_build: Path,
                tmp_path_factory: pytest.TempPathFactory) -> LabBuild:
    if not shutil.which("qemu-aarch64-static"):
        pytest.skip("running aarch64 Android programs needs qemu-aarch64-static")
    return build_for_lab(AARCH64, android_lab, cpython_source, lab_cross_build,
                         tmp_path_factory.mktemp("lab-aarch64"))


@pytest.fixture(scope="session", params=[X86_64, AARCH64])
def lab_build(request: pytest.FixtureRequest) -> LabBuild:
    """Each Android host in turn (x86_64 first: it is built first)."""
    name = "lab_x86_64" if request.param == X86_64 else "lab_aarch64"
    return request.getfixturevalue(name)
