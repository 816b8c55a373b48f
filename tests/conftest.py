"""Shared fixtures: a real CPython source tree and one real GNU cross build.

The build is made once per test session with our own command line
(`android.py build aarch64-linux-gnu`), through ccache kept under
~/.cache/cpython-android-tests (support.sources fetches the pinned
sources into the same place), so a warm CI run recompiles little but still
configures, builds and installs for real.  Set CPYTHON_ANDROID_TEST_CROSS_BUILD
to an existing cross-build directory to reuse it while developing (the fixture
still runs `build` there, which is a no-op when it is up to date).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cpython_android.layout import Layout
from support import kotlin_compiler, sources
from support.adb_double import AdbDouble
from support.cli import (
    GNU_HOST,
    BuiltHost,
    build_command,
    ccache_env,
    free_threaded_build_command,
)
from support.devices import fake_apks

# The android-lab's session fixtures (android_lab, lab_x86_64, lab_aarch64,
# lab_build): registered once here, so every test module shares one build.
pytest_plugins = ["support.lab_fixtures"]
INTEGRATION = Path(__file__).parent / "integration"
UNIT = Path(__file__).parent / "unit"
#: The session fixtures that build or run a CPython build: only tests/integration uses them.
BUILDS = {"gnu_build", "ft_build", "cross_env", "build_python", "android_lab",
          "lab_cross_build", "lab_x86_64", "lab_aarch64", "lab_build"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/integration is `integration`, so `-m integration` and
    `-m 'not integration'` split the suite as its folders do; a test in
    tests/unit that needs a build is refused (it belongs in tests/integration)."""
    misplaced = []
    for item in items:
        if INTEGRATION in item.path.parents:
            item.add_marker(pytest.mark.integration)
        elif UNIT in item.path.parents and (
                BUILDS & set(getattr(item, "fixturenames", ()))
                or item.get_closest_marker("integration") or item.get_closest_marker("lab")):
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError("tests/unit is for tests without a CPython build; move "
                                f"these to tests/integration: {', '.join(misplaced)}")


@pytest.fixture(scope="session")
def cpython_source() -> Path:
    """Pristine CPython 3.13.5 from Debian's source package (cached, sha256-verified)."""
    if shutil.which("apt-get") is None:
        pytest.skip("apt-get is needed to fetch CPython's source package")
    return sources.cpython_source()


def _need_gnu_tools() -> None:
    missing = [p for p in (f"{GNU_HOST}-gcc", "qemu-aarch64-static", "make", "ccache")
               if not shutil.which(p)]
    if missing:
        pytest.skip(f"GNU cross build needs {', '.join(missing)} on PATH")


@pytest.fixture(scope="session")
def cross_build_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's cross-build directory: the default and the free-threaded
    build of the host sit side by side in it, as a user's would."""
    reuse = os.environ.get("CPYTHON_ANDROID_TEST_CROSS_BUILD")
    return Path(reuse) if reuse else tmp_path_factory.mktemp("cross-build")


@pytest.fixture(scope="session")
def gnu_build(cpython_source: Path, cross_build_root: Path) -> BuiltHost:
    """CPython built for aarch64-linux-gnu with our own `build`; skips without the tools."""
    _need_gnu_tools()
    built = BuiltHost(cpython_source, cross_build_root, GNU_HOST, None)  # type: ignore[arg-type]
    built.first_build = built.cli(*build_command(GNU_HOST), env=ccache_env(), check=True)
    return built


@pytest.fixture(scope="session")
def ft_build(cpython_source: Path, cross_build_root: Path) -> BuiltHost:
    """The free-threaded build (`build HOST --disable-gil`) of the same host, once
    per session, beside the default one."""
    _need_gnu_tools()
    built = BuiltHost(cpython_source, cross_build_root, GNU_HOST, None,  # type: ignore[arg-type]
                      free_threaded=True)
    built.first_build = built.cli(*free_threaded_build_command(GNU_HOST), env=ccache_env(),
                                  check=True)
    return built


@pytest.fixture(scope="session")
def cross_env(gnu_build: BuiltHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`android.py cross-env` for the session build, made once: the cross-env
    tests probe it, the wheel tests build with it."""
    directory = tmp_path_factory.mktemp("crossenv") / "env"
    result = gnu_build.cli("cross-env", GNU_HOST, directory)
    assert result.returncode == 0, result.stdout + result.stderr
    return directory


@pytest.fixture(scope="session")
def gradle_classpath() -> str:
    """Gradle's API for the Kotlin compiler (skips without it)."""
    return kotlin_compiler.gradle_classpath()


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch):
    """An ADB server test double on a loopback port (tests/support/adb_double.py), with
    adbutils and our device layer pointed at it for the test."""
    with AdbDouble() as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def build_python(gnu_build: BuiltHost) -> list[str]:
    """The session build's native build python, as a command (the ADB double's "app")."""
    return [str(gnu_build.cross_build / "build" / "python")]


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    """A cross-build layout whose testbed APKs are in place, so `test` builds none."""
    layout = Layout(tmp_path / "xb")
    fake_apks(layout)
    return layout
