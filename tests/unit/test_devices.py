"""The device layer against the ADB server double (and the real adb binary).

adbutils talks to tests/support/adb_double.py over TCP exactly as to `adb server`;
nothing of ours is mocked.  Errors are checked as the user sees them: the
one-line message of `android.py` and its exit status.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path, PurePosixPath

import pytest

from cpython_android.devices import Adb, adb_executable
from cpython_android.errors import InfrastructureError, SetupError, UserError
from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from cpython_android.runners import Invocation, Qemu, RunnerSpec, create_runners, target_of
from cpython_android.runners.android import create_android_runners
from support.adb_double import AdbDouble
from support.cli import needs, run_cli
from support.devices import ANDROID_HOST, fake_apks, spec_for


def test_devices_lists_every_state(double: AdbDouble, tmp_path: Path) -> None:
    double.add_device("emulator-5554", tmp_path / "a")
    double.add_device("R58M123", tmp_path / "b", state="unauthorized")
    double.add_device("0123abcd", tmp_path / "c", state="offline")
    adb = Adb.from_environment()
    assert {(d.serial, d.state) for d in adb.devices()} == {
        ("emulator-5554", "device"), ("R58M123", "unauthorized"), ("0123abcd", "offline")}
    result = run_cli("devices", env=double.env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "emulator-5554\tdevice" in lines
    assert any(line.startswith("R58M123\tunauthorized") and "prompt" in line for line in lines)


@pytest.mark.parametrize("state, devices, expected", [
    ("none", [], "no Android device is attached"),
    ("missing", ["emulator-5556"], "device emulator-5554 not found: `adb devices` lists "
     "emulator-5556"),
    ("offline", ["emulator-5554:offline"], "device emulator-5554 is offline"),
    ("unauthorized", ["emulator-5554:unauthorized"],
     "device emulator-5554 is unauthorized: accept the USB debugging prompt"),
])
def test_unusable_device_is_one_clear_line(double: AdbDouble, tmp_path: Path,
                                           cpython_source: Path, state: str,
                                           devices: list[str], expected: str) -> None:
    for entry in devices:
        serial, _, dev_state = entry.partition(":")
        double.add_device(serial, tmp_path / serial, state=dev_state or "device")
    fake_apks(Layout(tmp_path / "xb"))
    result = run_cli("--checkout", cpython_source, "--cross-build-dir", tmp_path / "xb",
                     "test", ANDROID_HOST, "--connected", "emulator-5554", env=double.env,
                     timeout=120)
    assert result.returncode == 4, result.stdout + result.stderr  # infrastructure
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.stderr
    assert expected in error_lines[0]
    assert not any(r.startswith("shell") for r in double.requests)  # nothing was started


@pytest.mark.parametrize("fields, expected", [
    ({"connected": ("A",), "shards": 2}, "--shards 2 needs 2 devices: pass them as "
     "--connected SERIAL1,SERIAL2,..."),
    ({}, "choose where to run with exactly one of --connected SERIAL, --managed NAME or "
     "--avd NAME (got none)"),
    ({"connected": ("A",), "avd": "py"}, "(got --connected and --avd)"),
    ({"managed": "maxVersion", "shards": 2}, "--managed runs on one Gradle managed device"),
    ({"managed": "maxVersion", "per_device": 2}, "--per-device: a Gradle managed device runs "
     "one test process"),
])
def test_where_to_run_is_checked_first(double: AdbDouble, tmp_path: Path, fields: dict,
                                       expected: str) -> None:
    where = {k: v for k, v in fields.items() if k not in ("shards", "per_device")}
    host = parse_host(ANDROID_HOST)
    with pytest.raises(UserError) as error:
        # The options become one Target (target_of checks them), then the runners.
        spec = RunnerSpec(host, Layout(tmp_path), "3.13", shards=fields.get("shards", 1),
                          per_device=fields.get("per_device"), target=target_of(host, **where))
        create_android_runners(spec)
    assert expected in str(error.value)
    assert double.requests == []  # decided before asking adb anything


@pytest.mark.parametrize("apps, cpus, per_device, names", [
    (1, 4, None, ["emulator-5554"]),  # the testbed as upstream's: one process, as always
    (4, 2, None, ["emulator-5554#1", "emulator-5554#2"]),  # the device's CPUs
    (2, 8, None, ["emulator-5554#1", "emulator-5554#2"]),  # the apps the testbed holds
    (4, 2, 3, ["emulator-5554#1", "emulator-5554#2", "emulator-5554#3"]),  # as asked
])
def test_per_device_runners(double: AdbDouble, tmp_path: Path, apps: int, cpus: int,
                            per_device: int | None, names: list[str]) -> None:
    double.add_device("emulator-5554", tmp_path / "dev", cpus=cpus)
    layout = Layout(tmp_path / "xb")
    fake_apks(layout, apps=apps)
    spec = spec_for(layout, "emulator-5554")
    runners = create_android_runners(RunnerSpec(**{**vars(spec), "per_device": per_device}))
    assert [r.name for r in runners] == names
    ids = ["org.python.testbed"] + [f"org.python.testbed.s{i}" for i in range(1, 16)]
    assert [r.app.app_id for r in runners] == ids[:len(names)]
    assert [r.apks[0].name for r in runners] == (
        ["app-debug.apk"] if apps == 1 else [f"app-slot{i}-debug.apk" for i in range(len(names))])


def test_per_device_is_for_android_devices(tmp_path: Path) -> None:
    spec = RunnerSpec(parse_host("aarch64-linux-gnu"), Layout(tmp_path), "3.13", per_device=2,
                      target=Qemu())
    with pytest.raises(UserError, match="^--per-device is for Android devices .*use --shards N"):
        create_runners(spec)


@pytest.mark.parametrize("apps, cpus, args, expected", [
    (2, 4, ["--per-device", "3"], "--per-device 3: the built testbed holds 2 apps per device; "
     "build it for more with `android.py build-testbed HOST --per-device 3`, or ask for at "
     "most 2"),
    (8, 2, ["--per-device", "5"], "--per-device 5: device emulator-5554 has 2 CPUs, too few "
     "for more than 4 test processes; ask for fewer"),
    (2, 4, ["--per-device", "2", "-c", "pass"], "--per-device needs a regrtest run"),
    (2, 4, ["--per-device", "17"], "'17' is not a number of test processes per device (1 to "
     "16)"),
])
def test_per_device_refusals_are_one_line(double: AdbDouble, tmp_path: Path,
                                          cpython_source: Path, apps: int, cpus: int,
                                          args: list[str], expected: str) -> None:
    device = double.add_device("emulator-5554", tmp_path / "dev", cpus=cpus)
    fake_apks(Layout(tmp_path / "xb"), apps=apps)
    result = run_cli("--checkout", cpython_source, "--cross-build-dir", tmp_path / "xb",
                     "test", ANDROID_HOST, "--connected", "emulator-5554", *args,
                     env=double.env, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr  # usage
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert expected in line
    assert device.packages == set()  # nothing installed
    assert not any("instrument" in r for r in double.requests)


def test_install_failure_shows_pm_reason(double: AdbDouble, tmp_path: Path) -> None:
    reason = "INSTALL_FAILED_NO_MATCHING_ABIS: Failed to extract native libraries, res=-113"
    double.add_device("emulator-5554", tmp_path / "dev", install_failure=reason)
    layout = Layout(tmp_path / "xb")
    fake_apks(layout)
    [runner] = create_android_runners(spec_for(layout, "emulator-5554"))
    with pytest.raises(InfrastructureError) as error:
        asyncio.run(runner.run(Invocation(["-c", "pass"]), lambda line, stream: None))
    assert str(error.value) == (f"installing app-debug.apk on emulator-5554 failed: "
                                f"Failure [{reason}]")
    # The pushed APK was removed from /data/local/tmp.
    assert not list((tmp_path / "dev" / "data" / "local" / "tmp").glob("*.apk"))


def test_wrong_abi_is_refused_before_installing(double: AdbDouble, tmp_path: Path) -> None:
    double.add_device("emulator-5554", tmp_path / "dev",
                      props={"ro.product.cpu.abilist": "x86_64,x86"})
    layout = Layout(tmp_path / "xb")
    fake_apks(layout)
    [runner] = create_android_runners(spec_for(layout, "emulator-5554"))
    with pytest.raises(UserError, match="runs x86_64, x86, not arm64-v8a"):
        asyncio.run(runner.run(Invocation(["-c", "pass"]), lambda line, stream: None))
    assert not any("pm install" in r for r in double.requests)


def test_wait_for_boot(double: AdbDouble, tmp_path: Path) -> None:
    double.add_device("emulator-5554", tmp_path / "dev", boot_after=1.5)
    device = Adb.from_environment().device("emulator-5554")
    with pytest.raises(InfrastructureError, match="did not finish booting within 0 s"):
        device.wait_for_boot(timeout=0.3, poll=0.1)
    started = time.monotonic()
    device.wait_for_boot(timeout=10, poll=0.1)
    assert device.getprop("sys.boot_completed") == "1"
    assert time.monotonic() - started < 5


def test_push_tree_and_pull(double: AdbDouble, tmp_path: Path) -> None:
    double.add_device("emulator-5554", tmp_path / "dev")
    device = Adb.from_environment().device("emulator-5554")
    local = tmp_path / "cwd"
    (local / "sub").mkdir(parents=True)
    (local / "sub" / "data.bin").write_bytes(bytes(range(256)) * 300)  # > one sync chunk
    (local / "top.txt").write_text("top")
    device.push_tree(local, PurePosixPath("/sdcard/x/cwd"))
    assert device.pull("/sdcard/x/cwd/sub/data.bin", tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == (local / "sub" / "data.bin").read_bytes()
    assert not device.pull("/sdcard/x/cwd/missing.xml", tmp_path / "missing.xml")
    assert not (tmp_path / "missing.xml").exists()
    assert not (tmp_path / "missing.xml.partial").exists()


def test_adb_executable_prefers_the_users_sdk(tmp_path: Path) -> None:
    sdk_adb = tmp_path / "sdk" / "platform-tools" / "adb"
    sdk_adb.parent.mkdir(parents=True)
    sdk_adb.write_text("#!/bin/sh\n")
    sdk_adb.chmod(0o755)
    mine = tmp_path / "my-adb"
    mine.write_text("#!/bin/sh\n")
    env = {"ANDROID_HOME": str(tmp_path / "sdk"), "PATH": os.environ["PATH"]}
    assert adb_executable(env) == sdk_adb
    assert adb_executable({**env, "ADB": str(mine)}) == mine
    with pytest.raises(SetupError, match="ADB=/nonexistent does not exist"):
        adb_executable({**env, "ADB": "/nonexistent"})
    on_path = shutil.which("adb")
    if on_path:
        assert adb_executable({"PATH": os.environ["PATH"]}) == Path(on_path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs("adb")
def test_real_adb_server_start_devices_kill(tmp_path: Path) -> None:
    """Our Adb starts the real server on a private port, lists nothing, kills it."""
    port = free_port()
    adb = Adb(Path(shutil.which("adb") or "adb"), port=port)
    assert not adb.server_running()
    try:
        assert adb.devices() == []  # starts the server with our adb
        assert adb.server_running()
        assert adb.client().server_version() >= 39
        with pytest.raises(InfrastructureError, match="no Android device is attached"):
            adb.device("emulator-5554")
    finally:
        adb.kill_server()
    deadline = time.monotonic() + 10
    while adb.server_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not adb.server_running()


@needs("adb")
def test_real_adb_binary_talks_to_the_double(double: AdbDouble, tmp_path: Path) -> None:
    """The double is faithful enough for Android's own client."""
    double.add_device("emulator-5554", tmp_path / "dev")
    env = dict(os.environ, **double.env)
    out = subprocess.run(["adb", "devices"], env=env, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:2] == ["List of devices attached", "emulator-5554\tdevice"]
    out = subprocess.run(["adb", "-s", "emulator-5554", "shell", "getprop",
                          "ro.product.cpu.abilist"], env=env, capture_output=True, text=True,
                         timeout=30)
    assert (out.returncode, out.stdout.strip()) == (0, "arm64-v8a")
