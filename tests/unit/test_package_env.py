"""The release package laid out as upstream's (`android.py`, `android-env.sh`,
`README.md` at its root, the testbed and the prefix; our library inside), and
its `env` without HOST honouring ANDROID_API_LEVEL, as cibuildwheel calls it.
Staged by package.stage from a fake installed prefix: no build needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_android.toolchains.ndk import DEFAULT_NDK_VERSION
from support.cli import REPO, run_cli
from support.ndk_layout import make_ndk
from support.release_package import ANDROID, exports, staged
from support.trees import fake_checkout


def client_env(android_home: Path, **extra: str) -> dict[str, str]:
    """As cibuildwheel runs it: our python3 first on PATH, no checkout settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CPYTHON_", "ANDROID_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["ANDROID_HOME"] = str(android_home)
    env.update(extra)
    return env


@pytest.fixture
def android_package(tmp_path: Path) -> tuple[Path, Path]:
    android_home = tmp_path / "sdk"
    make_ndk(android_home, DEFAULT_NDK_VERSION)
    return staged(tmp_path, ANDROID), android_home


def test_package_root_is_upstreams_plus_our_library(android_package):
    root, _ = android_package
    names = {p.name for p in root.iterdir()}
    assert {"android.py", "android-env.sh", "README.md", "testbed", "prefix", "Tools",
            "package.json"} <= names
    assert "Android" not in names  # upstream's package has its script at the root
    assert os.access(root / "android.py", os.X_OK)  # cibuildwheel executes it directly
    assert (root / "android.py").read_bytes() == (REPO / "Android" / "android.py").read_bytes()
    assert (root / "Tools" / "cpython_android" / "requirements.txt").is_file()
    assert (root / "testbed" / "app" / "build.gradle.kts").is_file()


@pytest.mark.parametrize(("level", "clang"), [(None, "24"), ("26", "26")])
def test_env_without_host_in_a_package_honours_android_api_level(android_package, level,
                                                                  clang):
    root, android_home = android_package
    extra = {"ANDROID_API_LEVEL": level} if level else {}
    result = subprocess.run([str(root / "android.py"), "env"], cwd="/", capture_output=True,
                            text=True, env=client_env(android_home, **extra))
    assert result.returncode == 0, result.stderr
    env = exports(result.stdout)
    assert env["CC"].endswith(f"/x86_64-linux-android{clang}-clang"), env["CC"]
    assert env["PKG_CONFIG_LIBDIR"] == str((root / "prefix" / "lib" / "pkgconfig").resolve())
    assert f"-I{(root / 'prefix' / 'include').resolve()}" in env["CFLAGS"]


def test_android_env_sh_sourced_as_upstreams(android_package):
    root, android_home = android_package
    result = subprocess.run(["bash", "-c", f'HOST={ANDROID}; . ./android-env.sh; echo "$CC"'],
                            cwd=root, capture_output=True, text=True,
                            env=client_env(android_home, ANDROID_API_LEVEL="28"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("/x86_64-linux-android28-clang")


def test_env_bad_api_level_and_host_outside_a_package_are_one_line(android_package, tmp_path):
    root, android_home = android_package
    bad = subprocess.run([str(root / "android.py"), "env"], capture_output=True, text=True,
                         env=client_env(android_home, ANDROID_API_LEVEL="latest"))
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.count("\n") == 1 and "ANDROID_API_LEVEL='latest'" in bad.stderr
    other = subprocess.run([str(root / "android.py"), "env", "aarch64-linux-android"],
                           capture_output=True, text=True, env=client_env(android_home))
    assert other.returncode == 2 and f"release package is for {ANDROID}" in other.stderr
    checkout = fake_checkout(tmp_path / "cpython")
    no_host = run_cli("--checkout", checkout, "env")
    assert no_host.returncode == 2 and no_host.stderr.count("\n") == 1
    assert "env needs HOST here" in no_host.stderr
