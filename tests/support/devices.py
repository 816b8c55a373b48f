"""Android runner specs and fake APKs, for tests against the ADB double."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from cpython_android.adb_address import parse_address
from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from cpython_android.runners import Connected, RunnerSpec
from cpython_android.testbed import GradleOptions, Testbed
from cpython_android.toolchains.ndk import DEFAULT_NDK_VERSION

from .cli import BuiltHost, run_cli

if TYPE_CHECKING:
    from .adb_double import AdbDouble

ANDROID_HOST = "aarch64-linux-android"


def fake_apks(layout: Layout, host: str = ANDROID_HOST, apps: int = 1) -> Testbed:
    """APK files where `build-testbed [--per-device APPS]` puts them (the double installs
    by file name), recorded as built from the current inputs, so that `test` does not
    rebuild them."""
    bed = Testbed(parse_host(host), layout)
    for pair in bed.apks(apps):
        for apk in pair:
            apk.parent.mkdir(parents=True, exist_ok=True)
            apk.write_bytes(b"PK\x03\x04 not a real APK")
    bed.record_inputs(GradleOptions("3.13", DEFAULT_NDK_VERSION, apps=apps))
    return bed


def fake_apks_in(cross_build_dir: Path, host: str = ANDROID_HOST, apps: int = 1) -> None:
    """fake_apks in the cross-build directory `cross_build_dir` (for scripts that
    drive android.py from outside, such as benchmarks/device_pool.py)."""
    fake_apks(Layout(cross_build_dir), host, apps)


def spec_for(layout: Layout, *serials: str) -> RunnerSpec:
    return RunnerSpec(parse_host(ANDROID_HOST), layout, "3.13", shards=1,
                      target=Connected(tuple(map(parse_address, serials))))


def android_py(gnu_build: BuiltHost, double: AdbDouble, layout: Layout, *args: str | Path,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`android.py test aarch64-linux-android ARGS` with the double as adb server."""
    return run_cli("--checkout", gnu_build.checkout, "--cross-build-dir", layout.root,
                   "test", ANDROID_HOST, *args, env=double.env, timeout=timeout)
