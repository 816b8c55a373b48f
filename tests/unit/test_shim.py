"""Android/android.py works from this repository and copied into a CPython checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from support.cli import REPO
from support.trees import fake_checkout


def test_copied_into_a_checkout_it_finds_the_checkout(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    (checkout / "Android").mkdir()
    shutil.copy(REPO / "Android" / "android.py", checkout / "Android")
    shutil.copytree(REPO / "Tools" / "cpython_android", checkout / "Tools" / "cpython_android")

    result = subprocess.run([sys.executable, "Android/android.py", "env", "aarch64-linux-gnu"],
                            cwd=checkout, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"})
    if result.returncode == 2 and "aarch64-linux-gnu-gcc" in result.stderr:
        # No cross compiler here: it still found the checkout, or it would say so.
        assert "no CPython checkout" not in result.stderr
        return
    assert result.returncode == 0, result.stderr
    expected = checkout / "cross-build" / "aarch64-linux-gnu" / "prefix" / "lib" / "pkgconfig"
    assert f"export PKG_CONFIG_LIBDIR={expected.resolve()}" in result.stdout


def test_from_this_repository_it_needs_a_checkout(tmp_path: Path):
    result = subprocess.run([sys.executable, str(REPO / "Android" / "android.py"), "clean"],
                            cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "--checkout" in result.stderr


def test_cross_build_dir_overrides_the_default(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    elsewhere = tmp_path / "elsewhere"
    result = subprocess.run([sys.executable, str(REPO / "Android" / "android.py"),
                             "--checkout", str(checkout), "--cross-build-dir", str(elsewhere),
                             "configure-build"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "build" / ".android-py-configure.json").exists()
    assert not (checkout / "cross-build").exists()
