"""`--avd NAME`: KVM check, AVD creation, boot, boot timeout, shutdown.

There is no Android SDK here, so the SDK's programs (emulator, avdmanager,
sdkmanager) are small shell scripts in a temporary ANDROID_HOME that behave
as the real ones do at the points we depend on; the adb side is the ADB
server double.  Our own code runs unmodified.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from cpython_android import emulators
from cpython_android.console import Console
from cpython_android.devices import Adb
from cpython_android.errors import CommandFailed, InfrastructureError, SetupError, report
from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from cpython_android.runners import Avd, RunnerSpec
from cpython_android.runners.android import AndroidOptions, create_android_runners
from support.devices import ANDROID_HOST, fake_apks
from support.trees import script

HOST = parse_host(ANDROID_HOST)
IMAGE = "system-images;android-34;default;arm64-v8a"


@pytest.fixture
def sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> emulators.Sdk:
    home = tmp_path / "sdk"
    (home / "licenses").mkdir(parents=True)
    for name in ("android-sdk-license", "android-sdk-arm-dbt-license"):  # accepted before
        (home / "licenses" / name).write_text("24333f8a\n")
    monkeypatch.setenv("ANDROID_HOME", str(home))
    monkeypatch.setenv("ANDROID_AVD_HOME", str(tmp_path / "avd"))
    return emulators.Sdk(home)


def fake_avdmanager(sdk: emulators.Sdk, avd_home: Path) -> Path:
    """Writes NAME.ini and NAME.avd/config.ini (with the 2 GB default) as avdmanager does."""
    return script(sdk.avdmanager, f"""
read answer  # "Do you wish to create a custom hardware profile? [no]"
name=$4
mkdir -p "{avd_home}/$name.avd"
echo "path={avd_home}/$name.avd" > "{avd_home}/$name.ini"
printf 'image.sysdir.1=system-images/android-34/default/arm64-v8a/\\nhw.ramSize=2048\\n' \\
    > "{avd_home}/$name.avd/config.ini"
echo "$@" > "{avd_home}/avdmanager-args"
""")


def test_no_kvm_is_said_before_anything_boots(sdk, double, tmp_path: Path) -> None:
    ran = tmp_path / "emulator-ran"
    script(sdk.emulator, f"touch {ran}\nsleep 60\n")
    with pytest.raises(SetupError) as error:
        create_android_runners(
            RunnerSpec(HOST, Layout(tmp_path / "xb"), "3.13", target=Avd("py")),
            AndroidOptions(kvm_device=tmp_path / "no-kvm"))
    assert str(error.value).startswith("no KVM on this machine")
    assert "\n" not in str(error.value)
    assert not ran.exists()
    assert not (tmp_path / "avd").exists()  # nothing created either


def test_kvm_without_permission(tmp_path: Path) -> None:
    device = tmp_path / "kvm"
    device.touch()
    device.chmod(0)
    if os.access(device, os.R_OK | os.W_OK):
        pytest.skip("running as root: permissions are not enforced")
    with pytest.raises(SetupError, match="no permission to use KVM"):
        emulators.check_kvm(device, platform="linux")


def test_missing_system_image_without_sdkmanager(sdk) -> None:
    with pytest.raises(SetupError) as error:
        emulators.ensure_avd(sdk, "py", HOST, Console())
    assert str(error.value) == (
        f"system image '{IMAGE}' is not installed and there is no sdkmanager at "
        f"{sdk.sdkmanager}: install the SDK command-line tools, or create the AVD with "
        "Android Studio")


def test_missing_system_image_sdkmanager_fails(sdk) -> None:
    script(sdk.sdkmanager, 'echo "Loading package information..."\n'
           'echo "Warning: Failed to find package \'$1\'" >&2\nexit 1\n')
    with pytest.raises(InfrastructureError) as error:
        emulators.ensure_avd(sdk, "py", HOST, Console())
    assert str(error.value) == (f"system image '{IMAGE}' is missing and sdkmanager could not "
                                f"install it: Warning: Failed to find package '{IMAGE}'")


def test_avd_is_created_with_4_gb(sdk, tmp_path: Path) -> None:
    avd_home = tmp_path / "avd"
    script(sdk.sdkmanager, f'mkdir -p "{sdk.home}/system-images/android-34/default/arm64-v8a"\n')
    fake_avdmanager(sdk, avd_home)
    avd_dir = emulators.ensure_avd(sdk, "py", HOST, Console())
    assert avd_dir == avd_home / "py.avd"
    config = (avd_dir / "config.ini").read_text().splitlines()
    assert "hw.ramSize = 4096" in config and "hw.ramSize=2048" not in config
    args = (avd_home / "avdmanager-args").read_text().split()
    assert args[:4] == ["create", "avd", "--name", "py"]
    assert args[args.index("--package") + 1] == IMAGE


def test_boot_timeout_shows_the_emulator_log(sdk, double, tmp_path: Path) -> None:
    script(sdk.emulator, 'echo "INFO    | Android emulator version 35.1.4"\n'
           'echo "WARNING | Running on a system with less than 6 cores."\n'
           "exec sleep 120\n")
    log = tmp_path / "logs" / "emulator.log"
    emulator = emulators.start(sdk, "py", 5554, log, read_only=False, kvm=Path("/dev/null"))
    started = time.monotonic()
    with pytest.raises(emulators.EmulatorFailed) as error:
        emulators.wait_until_booted(emulator, Adb.from_environment(), timeout=2, poll=0.2)
    assert time.monotonic() - started < 30
    text = error.value.describe()
    assert "Running on a system with less than 6 cores." in text
    assert "emulator py (emulator-5554) did not boot within 2 s: it was stopped" in text
    assert f"full log: {log}" in text
    assert emulator.process.poll() is not None  # not left running
    assert emulator.command[emulator.command.index("-port") + 1:] == [
        "5554", "-no-window", "-no-audio", "-no-boot-anim", "-no-snapshot-save"]


def test_emulator_that_exits_says_why(sdk, double, tmp_path: Path) -> None:
    script(sdk.emulator, 'echo "FATAL   | Missing emulator engine program for \'arm64\' CPU."'
           "\nexit 1\n")
    emulator = emulators.start(sdk, "py", 5556, tmp_path / "emu.log", read_only=True,
                               kvm=Path("/dev/null"))
    with pytest.raises(emulators.EmulatorFailed) as error:
        emulators.wait_until_booted(emulator, Adb.from_environment(), timeout=30, poll=0.1)
    assert "Missing emulator engine program" in error.value.describe()
    assert "exited with status 1 before it booted" in error.value.describe()
    assert "-read-only" in emulator.command


def test_sdk_programs_that_cannot_start_are_one_error(sdk, tmp_path: Path) -> None:
    for program in (sdk.emulator, sdk.avdmanager):
        program.parent.mkdir(parents=True, exist_ok=True)
        program.write_text("not a program")  # not executable, even for root
    (sdk.home / "system-images" / "android-34" / "default" / "arm64-v8a").mkdir(parents=True)
    with pytest.raises(CommandFailed) as error:
        emulators.ensure_avd(sdk, "py", HOST, Console())
    assert error.value.returncode == 126
    with pytest.raises(CommandFailed) as error:
        emulators.start(sdk, "py", 5554, tmp_path / "emu.log", read_only=False,
                        kvm=Path("/dev/null"))
    assert (error.value.returncode, error.value.log_path) == (126, tmp_path / "emu.log")


def test_avd_runners_boot_use_and_shut_down(sdk, double, tmp_path: Path) -> None:
    """--avd NAME --shards 2: two read-only instances on free ports, stopped by close()."""
    avd_home = tmp_path / "avd"
    (avd_home / "py.avd").mkdir(parents=True)
    (avd_home / "py.ini").write_text("path=...\n")
    double.add_device("emulator-5554", tmp_path / "busy")  # someone else's emulator
    started = tmp_path / "started"
    script(sdk.emulator, f'echo "$@" >> {started}\nexec sleep 120\n')
    layout = Layout(tmp_path / "xb")
    fake_apks(layout)
    runners = create_android_runners(RunnerSpec(HOST, layout, "3.13", shards=2, target=Avd("py")),
                                     AndroidOptions(kvm_device=Path("/dev/null"),
                                                    boot_timeout=30))
    assert [r.name for r in runners] == ["emulator-5556", "emulator-5558"]

    def plug_in_when_started() -> None:  # the "emulator" comes up on adb a little later
        while not started.exists() or len(started.read_text().splitlines()) < 2:
            time.sleep(0.05)
        for serial in ("emulator-5556", "emulator-5558"):
            double.add_device(serial, tmp_path / serial, boot_after=0.5)

    threading.Thread(target=plug_in_when_started, daemon=True).start()

    async def boot_both() -> list:
        return await asyncio.gather(*(asyncio.to_thread(r.prepare) for r in runners))

    booted = asyncio.run(boot_both())
    assert sorted(d.serial for d in booted) == ["emulator-5556", "emulator-5558"]
    assert all("-read-only" in line for line in started.read_text().splitlines())
    processes = [r.target.emulator.process for r in runners]  # type: ignore[union-attr]
    for runner in runners:
        asyncio.run(runner.close())
    assert all(p.poll() is not None for p in processes)


def avd_runner(sdk, tmp_path: Path, boot_timeout: float = 30):
    avd_home = tmp_path / "avd"
    (avd_home / "py.avd").mkdir(parents=True)
    (avd_home / "py.ini").write_text("path=...\n")
    layout = Layout(tmp_path / "xb")
    fake_apks(layout)
    [runner] = create_android_runners(RunnerSpec(HOST, layout, "3.13", target=Avd("py")),
                                      AndroidOptions(kvm_device=Path("/dev/null"),
                                                     boot_timeout=boot_timeout))
    return runner, layout


def test_a_broken_snapshot_is_booted_cold(sdk, double, tmp_path: Path) -> None:
    """python/cpython#150386/#155518: the emulator fails on the AVD's snapshot; a
    second, cold boot without it (-no-snapshot-load) comes up and is used."""
    started = tmp_path / "started"
    script(sdk.emulator, f"""echo "$@" >> {started}
case " $* " in *" -no-snapshot-load "*) echo "INFO    | cold boot"; exec sleep 120;; esac
echo "ERROR   | Loading snapshot 'default_boot' failed: already exists"
exit 1
""")
    runner, layout = avd_runner(sdk, tmp_path)

    def plug_in_when_cold() -> None:
        while "-no-snapshot-load" not in (started.read_text() if started.exists() else ""):
            time.sleep(0.05)
        double.add_device(runner.name, tmp_path / "device")

    threading.Thread(target=plug_in_when_cold, daemon=True).start()
    device = runner.prepare()
    assert device.serial == runner.name == "emulator-5554"
    tries = started.read_text().splitlines()
    assert len(tries) == 2 and "-no-snapshot-load" not in tries[0]
    assert tries[1].endswith("-no-snapshot-save -no-snapshot-load")
    logs = layout.logs_dir
    assert "already exists" in (logs / "emulator-5554.log").read_text()
    assert "cold boot" in (logs / "emulator-5554-cold.log").read_text()
    process = runner.target.emulator.process  # type: ignore[union-attr]
    asyncio.run(runner.close())
    assert process.poll() is not None


def test_an_avd_that_boots_neither_way_is_one_error(sdk, double, tmp_path: Path) -> None:
    script(sdk.emulator, 'echo "FATAL   | Snapshot \'default_boot\' already exists"\nexit 1\n')
    runner, layout = avd_runner(sdk, tmp_path)
    started = time.monotonic()
    with pytest.raises(emulators.EmulatorFailed) as error:
        runner.prepare()
    assert time.monotonic() - started < 30
    first, cold = layout.logs_dir / "emulator-5554.log", layout.logs_dir / "emulator-5554-cold.log"
    assert error.value.message == (
        "AVD py did not boot after 2 tries (a boot: emulator py exited with status 1 before it "
        "booted; a cold boot without its snapshot (-no-snapshot-load): emulator py exited with "
        f"status 1 before it booted); emulator log: {first}, {cold}")
    shown = report(error.value)
    assert shown.exit_status == 4
    assert "Snapshot 'default_boot' already exists" in shown.text  # the log's tail


def test_avd_with_two_apps_boots_one_emulator_for_both(sdk, double, tmp_path: Path) -> None:
    """--avd NAME on an AVD of 2 CPUs and a testbed of 2 apps: two runners on one
    emulator, booted once, each installing its own app; stopped after the last closes."""
    avd_home = tmp_path / "avd"
    (avd_home / "py.avd").mkdir(parents=True)
    (avd_home / "py.avd" / "config.ini").write_text("hw.ramSize = 4096\nhw.cpu.ncore = 2\n")
    (avd_home / "py.ini").write_text("path=...\n")
    started = tmp_path / "started"
    script(sdk.emulator, f'echo "$@" >> {started}\nexec sleep 120\n')
    layout = Layout(tmp_path / "xb")
    fake_apks(layout, apps=2)
    runners = create_android_runners(RunnerSpec(HOST, layout, "3.13", target=Avd("py")),
                                     AndroidOptions(kvm_device=Path("/dev/null"),
                                                    boot_timeout=30))
    assert [r.name for r in runners] == ["emulator-5554#1", "emulator-5554#2"]

    def plug_in_when_started() -> None:
        while not started.exists():
            time.sleep(0.05)
        double.add_device("emulator-5554", tmp_path / "emu", boot_after=0.5)

    threading.Thread(target=plug_in_when_started, daemon=True).start()

    async def prepare_both() -> list:
        return await asyncio.gather(*(asyncio.to_thread(r.prepare) for r in runners))

    asyncio.run(prepare_both())
    assert len(started.read_text().splitlines()) == 1  # one emulator for both apps
    assert double.devices["emulator-5554"].packages == {
        "org.python.testbed", "org.python.testbed.test", "org.python.testbed.s1",
        "org.python.testbed.s1.test"}
    emulator = runners[0].target.target.emulator  # type: ignore[union-attr]
    asyncio.run(runners[0].close())
    assert emulator.process.poll() is None  # the other app still runs there
    asyncio.run(runners[1].close())
    assert emulator.process.poll() is not None
