"""`clean` after upstream's own script, for real: CPython 3.13.5's
`Android/android.py configure-build` (from the pinned source) configures the
build python in the checkout's cross-build/, then our `clean` removes it.
The layouts of 3.14, main and Chaquopy are in tests/unit/test_clean_upstream_trees.py.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from support.cli import run_cli
from support.sources import default_cache

#: autoconf's cache for the build python's configure on this machine (CI keeps ~/.cache).
CONFIGURE_CACHE = default_cache() / f"configure-build-{platform.machine()}.cache"


def upstream_checkout(source: Path, root: Path) -> Path:
    """Links to the pinned source's top-level entries, but a copy of Android/:
    upstream's script finds its checkout from its own resolved path, so its
    cross-build/ lands here and the shared source stays pristine."""
    root.mkdir()
    for entry in source.iterdir():
        if entry.name == "Android":
            shutil.copytree(entry, root / "Android")
        else:
            (root / entry.name).symlink_to(entry)
    return root


def test_clean_removes_what_upstreams_configure_build_made(cpython_source, tmp_path):
    checkout = upstream_checkout(cpython_source, tmp_path / "cpython")
    (tmp_path / "sdk").mkdir()  # 3.13's script exits without ANDROID_HOME, even here
    # configure's answers are kept between runs (autoconf's --cache-file, passed on by
    # upstream's script as it passes any argument), like ccache: configure still
    # writes the whole tree, in a fraction of the time.
    made = subprocess.run([sys.executable, str(checkout / "Android" / "android.py"),
                           "configure-build", "--", f"--cache-file={CONFIGURE_CACHE}"],
                          env={**os.environ, "ANDROID_HOME": str(tmp_path / "sdk")},
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    build = checkout / "cross-build" / "build"
    assert (build / "config.status").is_file() and (build / "Makefile").is_file()
    # Upstream's build tree: our `clean build` removes it (it used to refuse).
    result = run_cli("--checkout", checkout, "clean", "build")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"Deleting {build}"]
    assert not build.exists()
    assert (cpython_source / "configure").is_file()  # through the link: untouched
