"""Emulators for `test --avd NAME`: create the AVD, boot it headless, shut it down.

With `--shards N`, N instances of one AVD run side by side; the emulator
allows that only with `-read-only` (no instance writes the AVD's state).
Gradle managed devices (`--managed NAME`) are Gradle's business: see
runners/android.py.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .console import Console
from .devices import Adb, Device
from .errors import (
    DeviceGone,
    EmulatorFailed,
    InfrastructureError,
    InfrastructureFailed,
    SetupError,
)
from .gradle_env import accept_sdk_licences
from .hosts import Host
from .process import BackgroundProcess, Completed, run_captured, start_background, stop_tree
from .textutil import int_or_none

#: API level of AVDs we create: Python's test suite is run on recent images.
DEFAULT_AVD_API_LEVEL = 34
BOOT_TIMEOUT = 600.0
#: The emulator's default RAM (2 GB) is too little for the whole test suite.
RAM_MB = 4096
HEADLESS_FLAGS = ("-no-window", "-no-audio", "-no-boot-anim", "-no-snapshot-save")
#: A cold boot that ignores the AVD's quickboot snapshot, which can be broken
#: (python/cpython#150386, #155518): the second and last try to boot.
COLD_BOOT_FLAGS = ("-no-snapshot-load",)
FIRST_CONSOLE_PORT = 5554  # emulators use even console ports 5554..5682
LAST_CONSOLE_PORT = 5682
SHUTDOWN_GRACE = 30.0
LOG_TAIL_LINES = 25


@dataclass(frozen=True)
class Sdk:
    home: Path

    def tool(self, *parts: str, windows_suffix: str = ".exe") -> Path:
        path = self.home.joinpath(*parts)
        return path.with_name(path.name + windows_suffix) if os.name == "nt" else path

    @property
    def emulator(self) -> Path:
        return self.tool("emulator", "emulator")

    @property
    def avdmanager(self) -> Path:
        return self.tool("cmdline-tools", "latest", "bin", "avdmanager", windows_suffix=".bat")

    @property
    def sdkmanager(self) -> Path:
        return self.tool("cmdline-tools", "latest", "bin", "sdkmanager", windows_suffix=".bat")

    def system_image_dir(self, package: str) -> Path:
        return self.home.joinpath(*package.split(";"))


def avd_home(env: Mapping[str, str] | None = None) -> Path:
    """Where avdmanager puts AVDs: ANDROID_AVD_HOME, ANDROID_USER_HOME/avd, else
    .android/avd in XDG_CONFIG_HOME (avdmanager and Gradle honour it) or HOME."""
    env = os.environ if env is None else env
    if value := env.get("ANDROID_AVD_HOME"):
        return Path(value)
    if value := env.get("ANDROID_USER_HOME"):
        return Path(value) / "avd"
    base = env.get("XDG_CONFIG_HOME") or env.get("HOME") or Path.home()
    return Path(base) / ".android" / "avd"


def system_image(host: Host, api_level: int = DEFAULT_AVD_API_LEVEL) -> str:
    return f"system-images;android-{api_level};default;{host.android.abi}"


def check_kvm(device: Path = Path("/dev/kvm"), platform: str = sys.platform) -> None:
    """On Linux the emulator needs KVM; say so before a boot that would crawl or fail."""
    if not platform.startswith("linux"):
        return
    if not device.exists():
        raise SetupError(f"no KVM on this machine ({device} does not exist): enable "
                         "virtualization (VT-x/AMD-V) in the firmware, load the kvm module, or "
                         "use --connected SERIAL with a real device")
    if not os.access(device, os.R_OK | os.W_OK):
        raise SetupError(f"no permission to use KVM ({device}): add yourself to its group "
                         "(e.g. `sudo usermod -aG kvm $USER`, then log in again)")


def set_ram(config_ini: Path, megabytes: int = RAM_MB) -> None:
    text = config_ini.read_text() if config_ini.exists() else ""
    line = f"hw.ramSize = {megabytes}"
    pattern = re.compile(r"^\s*hw\.ramSize\s*=.*$", re.MULTILINE)
    text = pattern.sub(line, text) if pattern.search(text) else text.rstrip("\n") + f"\n{line}\n"
    config_ini.write_text(text.lstrip("\n"))


def avd_cpus(name: str, env: Mapping[str, str] | None = None) -> int | None:
    """The CPUs AVD NAME boots with (hw.cpu.ncore in its config.ini), None if it does
    not say: how many test processes it can run side by side (`test --per-device`)."""
    try:
        text = (avd_home(env) / f"{name}.avd" / "config.ini").read_text(errors="replace")
    except OSError:
        return None
    found = re.search(r"^\s*hw\.cpu\.ncore\s*=\s*(\d{1,4})\s*$", text, re.MULTILINE)
    return int(found.group(1)) or None if found else None


def ensure_avd(sdk: Sdk, name: str, host: Host, console: Console,
               api_level: int = DEFAULT_AVD_API_LEVEL, env: Mapping[str, str] | None = None
               ) -> Path:
    """The AVD NAME, created from the host's system image if it does not exist."""
    home = avd_home(env)
    avd_dir = home / f"{name}.avd"
    if (home / f"{name}.ini").is_file():
        return avd_dir
    image = system_image(host, api_level)
    if not sdk.system_image_dir(image).is_dir():
        if not sdk.sdkmanager.is_file():
            raise SetupError(f"system image {image!r} is not installed and there is no "
                             f"sdkmanager at {sdk.sdkmanager}: install the SDK command-line "
                             "tools, or create the AVD with Android Studio")
        accept_sdk_licences(sdk.home)  # sdkmanager refuses packages whose licence is pending
        console.write(f"Installing system image {image} (this may take several minutes)")
        result = _answer([str(sdk.sdkmanager), image], "y\n" * 20)
        if result.returncode != 0 or not sdk.system_image_dir(image).is_dir():
            last = result.output.strip().splitlines()[-1:] or ["no output"]
            raise InfrastructureError(f"system image {image!r} is missing and sdkmanager could not "
                                      f"install it: {last[0]}")
    if not sdk.avdmanager.is_file():
        raise SetupError(f"AVD {name!r} does not exist and there is no avdmanager at "
                         f"{sdk.avdmanager}: install the SDK command-line tools")
    command = [str(sdk.avdmanager), "create", "avd", "--name", name, "--package", image,
               "--device", "small_phone"]
    # avdmanager asks whether to create a custom hardware profile.
    result = _answer(command, "no\n")
    if result.returncode != 0:
        raise InfrastructureFailed(command, result.returncode, tail=result.output[-2000:])
    set_ram(avd_dir / "config.ini")
    return avd_dir


def _answer(command: list[str], answers: str) -> Completed:
    """Run an SDK tool that asks questions; a tool that cannot start is a CommandFailed."""
    return run_captured(command, input_text=answers)


@dataclass
class Emulator:
    """One running emulator instance that we started (and must stop)."""

    name: str
    port: int
    process: BackgroundProcess
    command: list[str]
    log_path: Path

    @property
    def serial(self) -> str:
        return f"emulator-{self.port}"

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(deque(f, maxlen=lines))
        except OSError:
            return ""

    def shutdown(self) -> None:
        # SIGTERM makes the emulator shut down cleanly (with -no-snapshot-save
        # it saves nothing), then it is killed if it lingers.
        stop_tree(self.process, grace=SHUTDOWN_GRACE)


def free_console_ports(adb: Adb, count: int) -> list[int]:
    """Even console ports not used by a running emulator (serial emulator-PORT)."""
    used = {int_or_none(d.serial.split("-", 1)[1], high=65535) for d in adb.devices()
            if re.fullmatch(r"emulator-\d+", d.serial)}
    ports = [p for p in range(FIRST_CONSOLE_PORT, LAST_CONSOLE_PORT + 1, 2)
             if p not in used and p + 1 not in used]
    if len(ports) < count:
        raise InfrastructureError(f"no free emulator ports for {count} emulators: stop some first")
    return ports[:count]


def start(sdk: Sdk, name: str, port: int, log_path: Path, *, read_only: bool,
          kvm: Path = Path("/dev/kvm"), cold: bool = False) -> Emulator:
    """Start the emulator (`cold`: without loading its snapshot, logged to
    cold_log(log_path))."""
    check_kvm(kvm)
    if not sdk.emulator.is_file():
        raise SetupError(f"no emulator at {sdk.emulator}: install it with `sdkmanager emulator`")
    command = [str(sdk.emulator), "-avd", name, "-port", str(port), *HEADLESS_FLAGS]
    if read_only:
        command.append("-read-only")
    if cold:
        command += COLD_BOOT_FLAGS
        log_path = cold_log(log_path)
    process = start_background(command, log_path)
    return Emulator(name, port, process, command, log_path)


def wait_until_booted(emulator: Emulator, adb: Adb, timeout: float = BOOT_TIMEOUT,
                      poll: float = 1.0) -> Device:
    """Until adb lists the emulator and Android says boot completed, or fail clearly."""
    deadline = time.monotonic() + timeout
    while True:
        if emulator.process.poll() is not None:
            raise EmulatorFailed(emulator.command, emulator.process.returncode,
                                 log_path=emulator.log_path, tail=emulator.tail(),
                                 reason=f"emulator {emulator.name} exited with status "
                                 f"{emulator.process.returncode} before it booted")
        if adb.is_connected(emulator.serial):
            try:
                device = Device(adb, emulator.serial)
                if device.getprop("sys.boot_completed") == "1":
                    return device
            except DeviceGone:
                pass  # adbd restarts while the emulator boots
        if time.monotonic() > deadline:
            emulator.shutdown()
            raise EmulatorFailed(emulator.command, emulator.process.returncode or -15,
                                 log_path=emulator.log_path, tail=emulator.tail(),
                                 reason=f"emulator {emulator.name} ({emulator.serial}) did not "
                                 f"boot within {timeout:.0f} s: it was stopped")
        time.sleep(poll)


def cold_log(log_path: Path) -> Path:
    """Where the cold boot's output goes, beside the first try's."""
    return log_path.with_name(f"{log_path.stem}-cold{log_path.suffix}")


def not_booted(name: str, tries: list[EmulatorFailed]) -> EmulatorFailed:
    """The one error after every try to boot AVD `name` failed: what was tried,
    how each ended, and the logs (the last try's tail is shown)."""
    last = tries[-1]
    how = "; ".join(("a cold boot without its snapshot (-no-snapshot-load)"
                     if COLD_BOOT_FLAGS[0] in t.command else "a boot") + f": {t.reason}"
                    for t in tries)
    logs = [t.log_path for t in tries if t.log_path is not None]
    return EmulatorFailed(last.command, last.returncode, log_path=logs[-1], tail=last.tail,
                          reason=f"AVD {name} did not boot after {len(tries)} tries ({how}); "
                          f"emulator log: {', '.join(map(str, logs))}")
