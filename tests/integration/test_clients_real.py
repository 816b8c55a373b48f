"""The clients' command lines against a real release package of the session's
aarch64-linux-gnu build, run by a bare python3 (a fresh venv without our
packages) as a buildbot worker's or cibuildwheel's: `env` and `test` end to
end, through the bootstrap.  tests/unit/test_clients.py replays the same
lines in fake trees, up to where only a real SDK or device could go on."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest

from support import bare_python
from support.cli import GNU_HOST
from support.release_package import exports, linked_cross_build, package

# python/cpython Platforms/Android/__main__.py, ci(): the tests, in the unpacked
# package (a GNU host has no emulator: no --managed).
UPSTREAM_CI_TEST = ("./android.py", "test", "-v", "--fast-ci")
# pypa/cibuildwheel cibuildwheel/platforms/android.py, setup_android_env.
CIBUILDWHEEL_ENV = ("{package}/android.py", "env")


@pytest.fixture(scope="module")
def unpacked(gnu_build, tmp_path_factory) -> Path:
    cross_build = linked_cross_build(gnu_build, tmp_path_factory.mktemp("pkg") / "xb")
    root = tmp_path_factory.mktemp("unpacked") / "python package"
    root.mkdir()
    with tarfile.open(package(gnu_build, cross_build)) as tar:
        tar.extractall(root, filter="tar")
    return root


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> bare_python.BarePython:
    return bare_python.make(tmp_path_factory.mktemp("bare"))


def test_bare_python_runs_env_as_cibuildwheel_calls_it(unpacked: Path, bare):
    command = [word.format(package=unpacked) for word in CIBUILDWHEEL_ENV]
    result = subprocess.run(command, capture_output=True, text=True, env=bare.env(),
                            stdin=subprocess.DEVNULL, timeout=600)
    assert result.returncode == 0, result.stderr
    env = exports(result.stdout)
    assert env["CC"].endswith(f"{GNU_HOST}-gcc"), env
    assert str((unpacked / "prefix" / "lib" / "pkgconfig").resolve()) in env["PKG_CONFIG_LIBDIR"]


def test_bare_python_runs_the_packages_test_end_to_end(unpacked: Path, bare, tmp_path: Path):
    junit = tmp_path / "junit.xml"
    result = subprocess.run([*UPSTREAM_CI_TEST, "--junit-xml", str(junit), "--", "test_bool"],
                            cwd=unpacked, capture_output=True, text=True, env=bare.env(),
                            stdin=subprocess.DEVNULL, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"HOST {GNU_HOST} (the release package's host)" in result.stdout
    assert "test_bool" in result.stdout and "Traceback" not in result.stderr
    assert "test_bool" in junit.read_text()  # junitparser, from the bootstrap's install
