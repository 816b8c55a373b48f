"""Run the host python on Android devices, in the testbed app.

Three ways to get a device, one way to run on it:

- `--connected A,B`: devices that are already attached (one runner each), each
  through its own adb server (`tcp:HOST:PORT/SERIAL`, else the default one);
- `--avd NAME`: AVD NAME (created if missing) booted headless, one instance
  per shard, shut down by `close()`;
- `--managed NAME`: a Gradle managed device; Gradle builds, boots, installs
  and starts the instrumentation (`NAMEDebugAndroidTest`).

For connected devices and AVDs the testbed's APKs are built once
(`build-testbed`) and installed with adb on every device; a run is then
`am instrument -w -r -e pythonMode ... PKG.test/RUNNER`, so N devices cost one
Gradle build.  In every mode the app's PID is found with `pidof` (polled every
0.2 s for up to 600 s, as upstream), and `logcat --pid PID` carries Python's
output: `python.stdout` / `python.stderr` tags stripped, other lines hidden
unless -v (fatal ones always shown).  The app logs "Python exited with status
N" (MainActivity.kt) when Python returns, which is how the end of the output
and the exit status are known; a native crash shows as `F/libc: Fatal signal`
instead.  regrtest's --junit-xml is written in the app's external files
directory and pulled with adb's sync protocol.

This module holds the runner and its factory; `device_session` one run,
`logcat` the streams, `gradle` the managed-device launcher.
"""
from __future__ import annotations

import asyncio
import atexit
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import emulators, github_actions
from .. import testbed as tb
from ..adb_address import DeviceAddress
from ..console import Console
from ..devices import Adb, Device
from ..errors import DeviceGone, InfrastructureError, UserError
from ..hosts import Host
from ..layout import Layout
from ..toolchains.ndk import DEFAULT_NDK_VERSION, android_home
from . import slots
from .base import Invocation, LineCallback, Outcome, RunnerSpec
from .device_loss import STALL_SECONDS
from .device_session import Session, plan_launch
from .gradle import GradleLauncher
from .logcat import EXIT_MARKER as EXIT_MARKER
from .logcat import EXIT_STATUS as EXIT_STATUS
from .slots import DeviceTarget, SharedTarget
from .target import Avd, Connected, Managed

STARTUP_TIMEOUT = 600.0  # to find the device and then the app's PID (upstream's value)
PID_POLL_SECONDS = 0.2  # the app lives >= 2 s (PythonSuite.kt): several chances to see it
DRAIN_IDLE_SECONDS = 2.0  # logcat silence after the app ended that means "no more output"


@dataclass(frozen=True)
class AndroidOptions:
    startup_timeout: float = STARTUP_TIMEOUT
    pid_poll: float = PID_POLL_SECONDS
    drain_idle: float = DRAIN_IDLE_SECONDS
    boot_timeout: float = 600.0
    stall_timeout: float = STALL_SECONDS  # silence before the device must answer (device_loss)
    avd_api_level: int | None = None  # for AVDs we create (default emulators.DEFAULT_...)
    kvm_device: Path = Path("/dev/kvm")
    testbed_project: Path | None = None  # another copy of testbed/ (default: ours)


# --- where a runner gets its device --------------------------------------------------

class ConnectedTarget:
    """An attached device (or an emulator someone else started), through the adb
    server it is attached to; named as --connected names it."""

    def __init__(self, adb: Adb, address: DeviceAddress) -> None:
        self.adb = adb.of(address)
        self.serial = address.serial
        self.name = str(address)

    def acquire(self, options: AndroidOptions) -> Device:
        try:
            device = self.adb.device(self.serial)
        except DeviceGone:
            raise
        except InfrastructureError as e:  # it was there when the run began
            raise DeviceGone(str(e), serial=self.serial) from e
        device.wait_for_boot(options.boot_timeout)
        return device

    def release(self) -> None:
        pass


class AvdTarget:
    """An emulator instance we boot on first use and stop in release()."""

    def __init__(self, adb: Adb, sdk: Any, name: str, port: int, log_path: Path,
                 read_only: bool) -> None:
        self.adb, self.sdk, self.name, self.port = adb, sdk, name, port
        self.log_path, self.read_only = log_path, read_only
        self.emulator: Any = None
        self.cold = False  # a boot failed once: boot without the snapshot from now on

    @property
    def serial(self) -> str:
        return f"emulator-{self.port}"

    def acquire(self, options: AndroidOptions) -> Device:
        """The booted emulator; one that exits or does not boot is tried once
        more from a cold boot without its snapshot (emulators.COLD_BOOT_FLAGS)."""
        if self.emulator is not None and self.emulator.process.poll() is None:
            return emulators.wait_until_booted(self.emulator, self.adb, options.boot_timeout)
        # If nobody calls close() (an error, Ctrl-C), the emulator still goes when we do.
        atexit.register(self.release)
        tries: list[emulators.EmulatorFailed] = []
        for cold in (False, True) if not self.cold else (True,):
            self.emulator = emulators.start(self.sdk, self.name, self.port, self.log_path,
                                            read_only=self.read_only, kvm=options.kvm_device,
                                            cold=cold)
            try:
                return emulators.wait_until_booted(self.emulator, self.adb, options.boot_timeout)
            except emulators.EmulatorFailed as e:
                tries.append(e)
                self.cold = True
        raise emulators.not_booted(self.name, tries)

    def release(self) -> None:
        atexit.unregister(self.release)
        if self.emulator is not None:
            self.emulator.shutdown()
            self.emulator = None


class AndroidRunner:
    """Runs the testbed app on one device (see the module docstring)."""

    def __init__(self, name: str, target: DeviceTarget | None, *,
                 adb: Adb, spec: RunnerSpec, options: AndroidOptions,
                 apks: Sequence[Path] = (), gradle: GradleLauncher | None = None,
                 app: tb.TestbedApp = tb.DEFAULT_APP, apps_on_device: int = 1) -> None:
        self.name = name
        self.target = target
        self.app = app  # the copy of the testbed this runner runs (its own process)
        self.apps_on_device = apps_on_device  # how many run side by side there
        self.adb = adb
        self.spec = spec
        self.options = options
        self.apks = list(apks)
        self.gradle = gradle
        self.installed = False
        self.run_numbers = itertools.count(1)  # names each run's XML file on the device

    # -- the Runner protocol --
    async def run(self, invocation: Invocation, on_line: LineCallback) -> Outcome:
        launch = plan_launch(invocation, self.name, next(self.run_numbers), self.app)
        session = Session(self, launch, on_line)
        try:
            if invocation.timeout:
                return await asyncio.wait_for(session.run(invocation), invocation.timeout)
            return await session.run(invocation)
        except TimeoutError:
            await session.stop()
            junit = await session.pull_junit()
            await session.pull_files()
            return Outcome(None, timed_out=True, junit_xml=junit,
                           detail=f"killed after {invocation.timeout:.0f} s")
        finally:
            await session.stop()

    async def close(self) -> None:
        """Stop what we started (emulators); the harness calls it after the last run."""
        if self.target is not None:
            await asyncio.to_thread(self.target.release)

    # -- device preparation, once per runner --
    def prepare(self) -> Device:
        assert self.target is not None
        device = self.target.acquire(self.options)
        assert self.spec.host is not None
        abi = self.spec.host.android.abi
        abis = device.abis()
        if abis and abi not in abis:
            raise UserError(f"device {device.serial} runs {', '.join(abis)}, not {abi}: use a "
                            f"device or emulator image for {abi}, or build for its ABI")
        if not self.installed:
            for apk in self.apks:
                device.install(apk)
            self.installed = True
        return device


# --- the factory the harness calls -------------------------------------------------------

def create_android_runners(spec: RunnerSpec,
                           options: AndroidOptions | None = None) -> list[AndroidRunner]:
    """One runner per device; checks everything that can be checked before a run.

    The harness calls `await runner.close()` on each runner at the end: that
    shuts down the emulators `--avd` booted.
    """
    options = options or AndroidOptions(stall_timeout=spec.stall_timeout or STALL_SECONDS)
    host, layout, console = spec.host, spec.layout, spec.console
    if host is None or not host.is_android:
        raise UserError(f"{host} is not an Android host: --connected/--managed/--avd are for "
                        "Android hosts")
    where = spec.target
    if not isinstance(where, Connected | Managed | Avd):
        raise UserError("choose where to run with exactly one of --connected SERIAL, "
                        "--managed NAME or --avd NAME (got none)")
    adb = Adb.from_environment()
    if isinstance(where, Managed | Avd):
        github_actions.enable_kvm(console)  # as upstream's test does before Gradle starts
    if isinstance(where, Managed):
        if (spec.per_device or 1) > 1:
            raise UserError("--per-device: a Gradle managed device runs one test process "
                            "(Gradle installs and starts one app); for several use --avd "
                            "NAME or --connected SERIAL")
        return [managed_runner(spec, where, options, adb, host, layout)]
    if isinstance(where, Connected):
        addresses = list(where.addresses)
        if spec.shards not in (1, len(addresses)):
            raise UserError(f"--shards {spec.shards} needs {spec.shards} devices: pass them as "
                            "--connected SERIAL1,SERIAL2,...")
        # Fails now, clearly, if one is missing/offline/unreachable; CPUs asked once.
        cpus: dict[str, int | None] = {str(a): adb.device_at(a).cpu_count() for a in addresses}
        targets: list[ConnectedTarget | AvdTarget] = [ConnectedTarget(adb, a)
                                                      for a in addresses]
    else:
        targets = list(avd_targets(spec, where, options, adb, host, layout, console))
        cpus = {f"AVD {where.name}": emulators.avd_cpus(where.name)}
    bed, gradle_options = testbed_of(spec, options, host, layout)
    current = bed.apks_current(gradle_options)
    held = bed.built_apps() if current else max(spec.per_device or 1, bed.built_apps())
    count = slots.choose(spec.per_device, held, cpus)  # before anything is built or installed
    if count > 1:  # one, as upstream's run, goes without saying
        console.write(slots.describe(count, spec.per_device, held, cpus))
    if not current:
        tb.build_apks(bed, replace(gradle_options, apps=held), console)
    return [runner for target in targets
            for runner in device_runners(target, count, bed.apks(held), spec, options)]


def device_runners(target: ConnectedTarget | AvdTarget, count: int,
                   apks: list[tuple[Path, Path]], spec: RunnerSpec,
                   options: AndroidOptions) -> list[AndroidRunner]:
    """The runners of one device: one per copy of the app (one: named as the device)."""
    name = target.name if isinstance(target, ConnectedTarget) else target.serial
    if count == 1:
        return [AndroidRunner(name, target, adb=target.adb, spec=spec, options=options,
                              apks=apks[0])]
    shared = SharedTarget(target, count)
    return [AndroidRunner(f"{name}#{i + 1}", shared, adb=target.adb, spec=spec,
                          options=options, apks=apks[i], app=tb.TestbedApp.slot(i),
                          apps_on_device=count) for i in range(count)]


def avd_targets(spec: RunnerSpec, avd: Avd, options: AndroidOptions, adb: Adb, host: Host,
                layout: Layout, console: Console) -> list[AvdTarget]:
    emulators.check_kvm(options.kvm_device)  # before creating or booting anything
    sdk = emulators.Sdk(android_home())
    emulators.ensure_avd(sdk, avd.name, host, console,
                         options.avd_api_level or emulators.DEFAULT_AVD_API_LEVEL)
    ports = emulators.free_console_ports(adb, spec.shards)
    return [AvdTarget(adb, sdk, avd.name, port, layout.log_path(f"emulator-{port}"),
                      read_only=spec.shards > 1) for port in ports]


def testbed_of(spec: RunnerSpec, options: AndroidOptions, host: Host,
               layout: Layout) -> tuple[tb.Testbed, tb.GradleOptions]:
    """The testbed the devices run and the inputs of its build (`test` builds it,
    once, when missing or built from other inputs)."""
    bed = tb.Testbed(host, layout, project_of(spec, options))
    return bed, tb.GradleOptions(spec.python_version, ndk_version(spec))


def project_of(spec: RunnerSpec, options: AndroidOptions) -> Path:
    """The testbed project: the options' (tests), the checkout's, or ours."""
    return options.testbed_project or spec.testbed_project or tb.PROJECT_DIR


def ndk_version(spec: RunnerSpec) -> str:
    return spec.ndk_version or DEFAULT_NDK_VERSION


def managed_runner(spec: RunnerSpec, managed: Managed, options: AndroidOptions, adb: Adb,
                   host: Host, layout: Layout) -> AndroidRunner:
    if spec.shards != 1:
        raise UserError("--managed runs on one Gradle managed device: for shards use "
                        "--avd NAME --shards N or --connected A,B")
    bed = tb.Testbed(host, layout, project_of(spec, options))
    tb.require_prefix(bed)
    env = tb.gradle_env()
    tb.setup_wrapper(bed.project)
    adb.ensure_server()
    gradle = GradleLauncher(bed, managed.name, spec.python_version, ndk_version(spec),
                            spec.verbose, env)
    return AndroidRunner(f"managed-{managed.name}", None, adb=adb, spec=spec, options=options,
                         gradle=gradle)
