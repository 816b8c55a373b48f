"""Android runner specs and fake APKs, for tests against the ADB double."""

from __future__ import annotations

from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from cpython_android.runners import RunnerSpec
from cpython_android.testbed import Testbed

ANDROID_HOST = "aarch64-linux-android"


def fake_apks(layout: Layout) -> Testbed:
    """APK files where build-testbed puts them (the double installs by file name)."""
    bed = Testbed(parse_host(ANDROID_HOST), layout)
    for apk in (bed.app_apk, bed.test_apk):
        apk.parent.mkdir(parents=True, exist_ok=True)
        apk.write_bytes(b"PK\x03\x04 not a real APK")
    return bed


def spec_for(layout: Layout, *serials: str) -> RunnerSpec:
    return RunnerSpec(parse_host(ANDROID_HOST), layout, "3.13", shards=1, connected=serials)
