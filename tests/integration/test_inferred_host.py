"""`android.py test` without HOST, as upstream's (issue 26, item 1), run for real.

Devices are the ADB server double (tests/support/adb_double.py, the real adb
wire protocol); each answers `getprop ro.product.cpu.abilist` with the list
given here.  The built hosts are prefixes with an installed python's files and
the testbed APKs in place (`fake_apks`), so nothing is built; the double's
"app" runs the session build's native python.  The pure choice is tested in
tests/unit/test_host_inference.py.
"""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from cpython_android.host_inference import MACHINE_HOSTS
from cpython_android.layout import Layout
from support.cli import run_cli
from support.devices import fake_apks
from support.trees import fake_checkout, fake_installed_python

ANDROID_HOSTS = ("aarch64-linux-android", "x86_64-linux-android")


def built(tmp_path: Path, *hosts: str) -> Layout:
    """A cross-build directory with these hosts built and their APKs current."""
    layout = Layout(tmp_path / "xb")
    for host in hosts:
        fake_installed_python(layout.prefix(host), host)
        fake_apks(layout, host)
    return layout


def device(double, tmp_path: Path, serial: str, abilist: str, python: list[str] | None = None):
    return double.add_device(serial, tmp_path / serial, python=python or [],
                             props={"ro.product.cpu.abilist": abilist})


def test_connected_without_host_runs_the_build_for_the_devices_abi(
        gnu_build, double, build_python, tmp_path):
    layout = built(tmp_path, *ANDROID_HOSTS)
    device(double, tmp_path, "emulator-5554", "x86_64,x86", build_python)
    result = run_cli("--checkout", gnu_build.checkout, "test", "--cross-build-dir", layout.root,
                     "--connected", "emulator-5554", "-c", "print('hello from the app')",
                     env=double.env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "HOST x86_64-linux-android (emulator-5554 runs x86_64, x86)" in result.stdout
    assert "hello from the app" in result.stdout


def test_a_sharded_run_gives_each_device_its_host(gnu_build, double, build_python, tmp_path):
    layout = built(tmp_path, *ANDROID_HOSTS)
    arm = device(double, tmp_path, "phone", "arm64-v8a,armeabi-v7a,armeabi", build_python)
    x86 = device(double, tmp_path, "emulator-5556", "x86_64,arm64-v8a", build_python)
    junit = tmp_path / "junit.xml"
    result = run_cli("--checkout", gnu_build.checkout, "test", "--connected",
                     "phone,emulator-5556", "--cross-build-dir", layout.root,
                     "--junit-xml", junit, "--", "test_bool", "test_int",
                     env=double.env, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "HOST aarch64-linux-android (phone runs arm64-v8a, armeabi-v7a, armeabi)" in \
        result.stdout
    assert "HOST x86_64-linux-android (emulator-5556 runs x86_64, arm64-v8a)" in result.stdout
    # Each device ran one of the two files (the runner checks its device's ABIs
    # against its host before installing: a wrong host would have stopped it).
    ran = [[run["pythonArgs"].rsplit(" -- ", 1)[1] for run in d.instrument_args
            if run["pythonModule"] == "android_testbed_events"] for d in (arm, x86)]
    assert sorted(ran) == [["test_bool"], ["test_int"]]
    assert "test_bool passed" in result.stdout and "test_int passed" in result.stdout
    assert junit.is_file()


def test_no_build_for_the_devices_abi_is_one_line(double, tmp_path):
    checkout = fake_checkout(tmp_path / "cpython")
    layout = built(tmp_path, "x86_64-linux-android")
    fake_installed_python(layout.prefix("aarch64-linux-gnu"), "aarch64-linux-gnu")
    device(double, tmp_path, "phone", "arm64-v8a,armeabi-v7a")
    result = run_cli("--checkout", checkout, "--cross-build-dir", layout.root, "test",
                     "--connected", "phone", "--", "test_bool", env=double.env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"android.py: error: no build for arm64-v8a (device phone runs arm64-v8a, armeabi-v7a) "
        f"in {layout.root}: built Android hosts: x86_64-linux-android; run `android.py build "
        "aarch64-linux-android`, or give HOST"]


def test_explicit_host_keeps_working_and_is_checked_against_the_device(double, tmp_path):
    checkout = fake_checkout(tmp_path / "cpython")
    layout = built(tmp_path, *ANDROID_HOSTS)
    phone = device(double, tmp_path, "phone", "arm64-v8a")
    result = run_cli("--checkout", checkout, "--cross-build-dir", layout.root, "test",
                     "x86_64-linux-android", "--connected", "phone", "--", "test_bool",
                     env=double.env)
    assert result.returncode == 2, result.stderr  # bad input, said before anything runs
    assert "HOST" not in result.stdout  # nothing inferred: HOST is what was given
    assert result.stderr.splitlines() == [
        "android.py: error: device phone runs arm64-v8a, not x86_64 (x86_64-linux-android): "
        "give the "
        "HOST of one of its ABIs, or leave HOST out to run its preferred built one"]
    assert not phone.packages  # nothing was installed on it


def test_nothing_to_infer_from_names_what_was_looked_at(tmp_path):
    checkout = fake_checkout(tmp_path / "cpython")
    layout = built(tmp_path, "aarch64-linux-android")
    result = run_cli("--checkout", checkout, "test", "--cross-build-dir", layout.root)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "android.py: error: no HOST given and none to infer: no --connected or --managed "
        f"device, not a release package; hosts built in {layout.root}: "
        "aarch64-linux-android; give HOST (or `build` for the build python)"]


@pytest.mark.skipif(platform.machine().lower() not in MACHINE_HOSTS,
                    reason="no Android emulator image for this machine's architecture")
def test_managed_without_host_is_the_machines_architecture_up_to_the_sdk(tmp_path):
    """buildmaster's line (python/buildmaster-config master/custom/factories.py,
    AndroidBuild): here it goes as far as a machine without an SDK allows."""
    checkout = fake_checkout(tmp_path / "cpython")
    layout = built(tmp_path, *ANDROID_HOSTS)
    host = MACHINE_HOSTS[platform.machine().lower()]
    result = run_cli("--checkout", checkout, "test", "--cross-build-dir", layout.root,
                     "--managed", "maxVersion", "-v", "--slow-ci", env={"ANDROID_HOME": ""})
    assert result.stdout.splitlines()[0] == (
        f"HOST {host} (--managed maxVersion runs this machine's {platform.machine()})")
    assert result.returncode in (2, 3)  # bad input / missing setup (issue 27's codes)
    assert result.stderr.splitlines() == [
        "android.py: error: ANDROID_HOME is not set: point it at your Android SDK "
        "(e.g. export ANDROID_HOME=~/Android/Sdk)"]
    # Only the machine's host built: the same one line names it and what is built.
    other = built(tmp_path / "other", *(h for h in ANDROID_HOSTS if h != host))
    result = run_cli("--checkout", checkout, "test", "--cross-build-dir", other.root,
                     "--managed", "maxVersion")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].startswith(
        f"android.py: error: no build for {host.split('-')[0]} (--managed maxVersion runs "
        f"this machine's {platform.machine()}) in {other.root}")
