"""Run the host python on Android devices, in the testbed app.

Three ways to get a device, one way to run on it:

- `--connected A,B`: devices that are already attached (one runner each);
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
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import os
import re
import shlex
import signal
import socket
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..console import Console
from ..devices import (
    APP_EXTERNAL_FILES,
    APP_ID,
    INSTRUMENTATION,
    Adb,
    Device,
    DeviceGone,
)
from ..errors import UserError
from ..hosts import Host
from ..layout import Layout
from . import Invocation, LineCallback, Outcome, RunnerSpec
from .local import signal_name

STARTUP_TIMEOUT = 600.0  # to find the device and then the app's PID (upstream's value)
PID_POLL_SECONDS = 0.2  # the app lives >= 2 s (PythonSuite.kt): several chances to see it
DRAIN_IDLE_SECONDS = 2.0  # logcat silence after the app ended that means "no more output"
AFTER_EXIT_SECONDS = 10.0  # how long to wait for `am instrument` once Python has exited

PYTHON_TAGS = {"python.stdout": "stdout", "python.stderr": "stderr"}
EXIT_MARKER = re.compile(r"Python exited with status (-?\d+)")
FATAL_SIGNAL = re.compile(r"Fatal signal (\d+) \((\w+)\)")
# `logcat -v tag`: "P/tag     : message" (the tag is padded to 8 columns).
LOGCAT_LINE = re.compile(r"([VDIWEFAS])/(.*?) *: ?(.*)", re.DOTALL)
EXIT_STATUS = re.compile(r"INSTRUMENTATION_STATUS: pythonExitStatus=(-?\d+)")
SHORT_MSG = re.compile(r"INSTRUMENTATION_RESULT: shortMsg=(.*)")
INSTRUMENTATION_FAILED = re.compile(r"INSTRUMENTATION_STATUS: Error=(.*)|"
                                    r"INSTRUMENTATION_FAILED: (.*)")
# Noisy and rarely useful (test_syslog writes thousands of lines): shown with -vv.
NOISE = "from python test_syslog"


@dataclass(frozen=True)
class AndroidOptions:
    startup_timeout: float = STARTUP_TIMEOUT
    pid_poll: float = PID_POLL_SECONDS
    drain_idle: float = DRAIN_IDLE_SECONDS
    boot_timeout: float = 600.0
    ndk_version: str | None = None  # for building the testbed (default: the pinned NDK)
    avd_api_level: int | None = None  # for AVDs we create (default emulators.DEFAULT_...)
    kvm_device: Path = Path("/dev/kvm")
    testbed_project: Path | None = None  # another copy of testbed/ (default: ours)


# --- where a runner gets its device --------------------------------------------------

class ConnectedTarget:
    """An attached device (or an emulator someone else started)."""

    def __init__(self, adb: Adb, serial: str) -> None:
        self.adb = adb
        self.serial = serial

    def acquire(self, options: AndroidOptions) -> Device:
        device = self.adb.device(self.serial)
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

    @property
    def serial(self) -> str:
        return f"emulator-{self.port}"

    def acquire(self, options: AndroidOptions) -> Device:
        from .. import emulators
        if self.emulator is None or self.emulator.process.poll() is not None:
            self.emulator = emulators.start(self.sdk, self.name, self.port, self.log_path,
                                            read_only=self.read_only, kvm=options.kvm_device)
            # If nobody calls close() (an error, Ctrl-C), the emulator still
            # goes when we do.
            atexit.register(self.release)
        return emulators.wait_until_booted(self.emulator, self.adb, options.boot_timeout)

    def release(self) -> None:
        atexit.unregister(self.release)
        if self.emulator is not None:
            self.emulator.shutdown()
            self.emulator = None


# --- one run ---------------------------------------------------------------------------

@dataclass
class Launch:
    """What to start on the device, derived from an Invocation."""

    extras: dict[str, str]
    junit_remote: str | None = None
    junit_local: Path | None = None
    events_remote: str | None = None  # events_hook.py's file (resume.py), one per runner
    events_local: Path | None = None
    events_continue: bool = False


def plan_launch(invocation: Invocation, name: str, run_number: int = 1) -> Launch:
    """Instrumentation arguments for `am instrument -e` (or Gradle's -P...)."""
    args = list(invocation.args)
    where = next((i for i, a in enumerate(args) if a in ("-c", "-m")), None)
    if where is None or where + 1 >= len(args):
        raise UserError("on Android the testbed runs `-c CODE` or `-m MODULE` (with "
                        f"arguments), not {shlex.join(args) or 'nothing'}")
    options = args[:where]
    if any(not o or " " in o for o in options):
        raise UserError(f"interpreter options for Android cannot contain spaces: {options}")
    mode, module, rest = args[where], args[where + 1], args[where + 2:]
    launch = Launch({"pythonMode": mode, "pythonModule": module})
    if options:  # e.g. -W error -bb (--fast-ci): the app hands them to Python's startup
        launch.extras["pythonOptions"] = " ".join(options)
    remote = str(APP_EXTERNAL_FILES / f"junit-{safe(name)}-{run_number}.xml")
    for i, arg in enumerate(rest):  # regrtest's own option: write it where adb can read
        if arg == "--junit-xml" and i + 1 < len(rest):
            launch.junit_local = invocation.junit_xml or Path(rest[i + 1])
            rest[i + 1] = remote
        elif arg.startswith("--junit-xml="):
            launch.junit_local = invocation.junit_xml or Path(arg.split("=", 1)[1])
            rest[i] = f"--junit-xml={remote}"
    if launch.junit_local is None and invocation.junit_xml and (mode, module) == ("-m", "test"):
        rest += ["--junit-xml", remote]
        launch.junit_local = invocation.junit_xml
    if launch.junit_local is not None:
        launch.junit_remote = remote
    if invocation.events is not None and (mode, module) == ("-m", "test"):
        from ..resume import HOOK_MODULE, hook_argv
        launch.events_remote = str(APP_EXTERNAL_FILES / f"events-{safe(name)}.jsonl")
        launch.events_local, launch.events_continue = invocation.events, invocation.events_continue
        hooked = hook_argv(["-m", "test", *rest], ["-m", HOOK_MODULE], launch.events_remote,
                           invocation.events_continue)
        launch.extras["pythonModule"], rest = HOOK_MODULE, hooked[2:]
    launch.extras["pythonArgs"] = shlex.join(rest)
    if invocation.env:
        launch.extras["pythonEnv"] = shlex.join(f"{k}={v}" for k, v in invocation.env.items())
    return launch


def safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


@dataclass
class RunState:
    """What the streams told us so far."""

    exit_status: int | None = None  # from the app's "Python exited" line
    reported_status: int | None = None  # from INSTRUMENTATION_STATUS: pythonExitStatus
    fatal: str | None = None  # the first F/ line
    signal_number: int | None = None
    short_msg: str | None = None
    failed: str | None = None  # instrumentation could not start
    python_output: bool = False
    instrumentation: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


class LineReader:
    """Reads a blocking adb stream in a thread; lines (then None) go to an asyncio queue."""

    def __init__(self, connection: Any, source: str, queue: asyncio.Queue[tuple[str, str | None]],
                 loop: asyncio.AbstractEventLoop) -> None:
        self.connection = connection
        self.thread = threading.Thread(target=self._read, args=(source, queue, loop),
                                       daemon=True, name=f"adb-{source}")
        self.thread.start()

    def _read(self, source: str, queue: asyncio.Queue[tuple[str, str | None]],
              loop: asyncio.AbstractEventLoop) -> None:
        def put(item: tuple[str, str | None]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, item)

        try:
            with self.connection.conn.makefile("rb") as stream:
                for raw in stream:
                    put((source, raw.decode("utf-8", "replace").rstrip("\r\n")))
        except (OSError, ValueError):
            pass  # closed under us, or the device went away
        finally:
            put((source, None))

    def close(self) -> None:
        with contextlib.suppress(OSError, Exception):
            self.connection.conn.shutdown(socket.SHUT_RDWR)  # wakes the reading thread
        with contextlib.suppress(OSError, Exception):
            self.connection.close()


class AndroidRunner:
    """Runs the testbed app on one device (see the module docstring)."""

    def __init__(self, name: str, target: ConnectedTarget | AvdTarget | None, *,
                 adb: Adb, spec: RunnerSpec, options: AndroidOptions,
                 apks: Sequence[Path] = (), gradle: GradleLauncher | None = None) -> None:
        self.name = name
        self.target = target
        self.adb = adb
        self.spec = spec
        self.options = options
        self.apks = list(apks)
        self.gradle = gradle
        self.installed = False
        self.run_numbers = itertools.count(1)  # names each run's XML file on the device

    # -- the Runner protocol --
    async def run(self, invocation: Invocation, on_line: LineCallback) -> Outcome:
        launch = plan_launch(invocation, self.name, next(self.run_numbers))
        session = Session(self, launch, on_line)
        try:
            if invocation.timeout:
                return await asyncio.wait_for(session.run(invocation), invocation.timeout)
            return await session.run(invocation)
        except TimeoutError:
            await session.stop()
            junit = await session.pull_junit()
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
        abi = self.spec.host.android.abi  # type: ignore[attr-defined]
        abis = device.abis()
        if abis and abi not in abis:
            raise UserError(f"device {device.serial} runs {', '.join(abis)}, not {abi}: use a "
                            f"device or emulator image for {abi}, or build for its ABI")
        if not self.installed:
            for apk in self.apks:
                device.install(apk)
            self.installed = True
        return device


class Session:
    """One invocation on one device: start, stream, collect, clean up."""

    def __init__(self, runner: AndroidRunner, launch: Launch, on_line: LineCallback) -> None:
        self.runner = runner
        self.launch = launch
        self.on_line = on_line
        self.state = RunState()
        self.device: Device | None = None
        self.readers: list[LineReader] = []
        self.process: asyncio.subprocess.Process | None = None
        self.gradle_reader: asyncio.Task[None] | None = None  # held: the loop keeps weak refs
        self.queue: asyncio.Queue[tuple[str, str | None]] = asyncio.Queue()
        self.junit_pulled: Path | None = None
        self.events_pulled = False
        self.stopped = False

    @property
    def verbose(self) -> int:
        return self.runner.spec.verbose

    async def run(self, invocation: Invocation) -> Outcome:
        runner = self.runner
        try:
            if runner.gradle is not None:
                await self.start_gradle(invocation)
            else:
                self.device = await asyncio.to_thread(runner.prepare)
                await asyncio.to_thread(self.push_inputs, invocation)
                self.start_instrumentation()
            pid = await self.find_pid()
            if pid is None:
                return await self.ended_without_pid()
            self.start_logcat(pid)
        except DeviceGone as e:
            return self.disconnected(str(e))
        await self.pump()
        return await self.outcome()

    # -- starting --
    def push_inputs(self, invocation: Invocation) -> None:
        assert self.device is not None
        device = self.device
        device.force_stop(APP_ID)  # an earlier, unclean run must not show its output
        if self.launch.junit_remote:
            device.shell(["rm", "-f", self.launch.junit_remote])
        if self.launch.events_remote and not self.launch.events_continue:
            device.shell(["rm", "-f", self.launch.events_remote])
        for local, key, name in ((invocation.cwd, "pythonCwd", "cwd"),
                                 (invocation.site_packages, "pythonSitePackages",
                                  "site-packages")):
            if local is not None:
                remote = APP_EXTERNAL_FILES / safe(self.runner.name) / name
                device.push_tree(local, remote)
                self.launch.extras[key] = str(remote)

    def start_instrumentation(self) -> None:
        assert self.device is not None
        command = ["am", "instrument", "-w", "-r"]
        for key, value in self.launch.extras.items():
            command += ["-e", key, value]
        command.append(INSTRUMENTATION)
        self.readers.append(LineReader(self.device.open_stream(command), "instrumentation",
                                       self.queue, asyncio.get_running_loop()))

    async def start_gradle(self, invocation: Invocation) -> None:
        gradle = self.runner.gradle
        assert gradle is not None
        before = {d.serial for d in await asyncio.to_thread(self.runner.adb.devices)}
        command = gradle.command(self.launch, invocation)
        self.emit(f"> {shlex.join(command)}", "stdout", hidden=not self.verbose)
        self.process = await asyncio.create_subprocess_exec(
            *command, cwd=gradle.project, env=gradle.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.gradle_reader = asyncio.create_task(self.read_gradle())
        self.emit("Waiting for the managed device: this may take several minutes", "stdout")
        self.device = await self.wait_for_new_device(before)

    async def read_gradle(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            await self.queue.put(("gradle", raw.decode("utf-8", "replace").rstrip("\r\n")))
        await self.process.wait()
        await self.queue.put(("gradle", None))

    async def wait_for_new_device(self, before: set[str]) -> Device:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.runner.options.startup_timeout
        while loop.time() < deadline:
            await self.drain_nowait()
            if self.process is not None and self.process.returncode is not None:
                raise UserError(f"Gradle exited with status {self.process.returncode} before "
                                "a managed device appeared: run with -v to see its output")
            now = {d.serial for d in await asyncio.to_thread(self.runner.adb.devices)
                   if d.state == "device"}
            new = now - before
            if len(new) > 1:
                raise UserError(f"more than one new device appeared: {', '.join(sorted(new))}")
            if new:
                serial = new.pop()
                self.emit(f"Serial: {serial}", "stdout")
                return Device(self.runner.adb, serial)
            await asyncio.sleep(1.0)
        raise UserError(f"no managed device appeared within "
                        f"{self.runner.options.startup_timeout:.0f} s")

    async def find_pid(self) -> int | None:
        """Poll `pidof` until the app runs; None if the instrumentation ended first."""
        assert self.device is not None
        options = self.runner.options
        loop = asyncio.get_running_loop()
        deadline = loop.time() + options.startup_timeout
        self.emit("Waiting for the app to start: this may take several minutes", "stdout",
                  hidden=not self.verbose)
        while loop.time() < deadline:
            if await self.drain_nowait():
                return None  # the instrumentation (or Gradle) ended: the app is not coming
            pid = await asyncio.to_thread(self.device.pid_of, APP_ID)
            if pid is not None:
                self.emit(f"PID: {pid}", "stdout", hidden=not self.verbose)
                return pid
            await asyncio.sleep(options.pid_poll)
        raise UserError(f"the testbed app did not start on {self.device.serial} within "
                        f"{options.startup_timeout:.0f} s")

    def start_logcat(self, pid: int) -> None:
        assert self.device is not None
        stream = self.device.open_stream(["logcat", "-v", "tag", "--pid", str(pid)])
        self.readers.append(LineReader(stream, "logcat", self.queue,
                                       asyncio.get_running_loop()))

    # -- streaming --
    async def drain_nowait(self) -> bool:
        """Handle what is queued; True if the launcher (instrumentation/Gradle) has ended."""
        ended = False
        while not self.queue.empty():
            source, line = self.queue.get_nowait()
            ended |= self.handle(source, line)
        return ended

    async def pump(self) -> None:
        """Until Python's exit line and the launcher's end, or silence after the end."""
        launcher_done = logcat_done = False
        loop = asyncio.get_running_loop()
        exited_at: float | None = None
        while not (launcher_done and logcat_done):
            if launcher_done and self.state.exit_status is not None:
                break  # Python said it exited, and the instrumentation is over
            if launcher_done:
                timeout: float | None = self.runner.options.drain_idle
            elif exited_at is not None:
                timeout = max(0.0, exited_at + AFTER_EXIT_SECONDS - loop.time())
            else:
                timeout = None
            try:
                source, line = await asyncio.wait_for(self.queue.get(), timeout)
            except TimeoutError:
                break
            if line is None:
                if source == "logcat":
                    logcat_done = True
                else:
                    launcher_done = True
                continue
            self.handle(source, line)
            if self.state.exit_status is not None and exited_at is None:
                exited_at = loop.time()
                await self.pull_junit()  # now: a managed emulator may vanish right after

    def handle(self, source: str, line: str | None) -> bool:
        if line is None:
            return source != "logcat"
        if source == "logcat":
            self.handle_logcat(line)
        elif source == "instrumentation":
            self.handle_instrumentation(line)
        else:  # Gradle: shown with -v, and SDK installs (minutes long) always
            self.emit(line, "stdout", hidden=not (self.verbose or
                                                  line.startswith('Preparing "Install')))
        return False

    def handle_logcat(self, line: str) -> None:
        match = LOGCAT_LINE.fullmatch(line)
        if match is None:  # a continuation line of a multi-line message (not Python's)
            self.emit(line, "stdout", hidden=not self.verbose)
            return
        level, tag, message = match.groups()
        if tag in PYTHON_TAGS:
            self.state.python_output = True
            if NOISE in message and self.verbose < 2:
                return
            self.on_line(message, PYTHON_TAGS[tag])
            return
        if tag == "python.testbed" and (m := EXIT_MARKER.search(message)):
            self.state.exit_status = int(m.group(1))
            return
        if level == "F":
            self.state.fatal = self.state.fatal or line
            if (m := FATAL_SIGNAL.search(message)) and self.state.signal_number is None:
                self.state.signal_number = int(m.group(1))
        stream = "stderr" if level in ("W", "E", "F") else "stdout"
        self.emit(line, stream, hidden=not (self.verbose or level == "F"))

    def handle_instrumentation(self, line: str) -> None:
        self.state.instrumentation.append(line)
        if m := EXIT_STATUS.search(line):
            self.state.reported_status = int(m.group(1))
        elif m := SHORT_MSG.search(line):
            self.state.short_msg = m.group(1).strip()
        elif m := INSTRUMENTATION_FAILED.search(line):
            self.state.failed = self.state.failed or (m.group(1) or m.group(2)).strip()
        if self.verbose:
            self.on_line(line, "stdout")

    def emit(self, line: str, stream: str, hidden: bool = False) -> None:
        if hidden:
            self.state.hidden.append(line)
        else:
            self.on_line(line, stream)

    # -- ending --
    async def ended_without_pid(self) -> Outcome:
        await self.drain_nowait()
        if self.state.failed:
            raise UserError(f"the instrumentation did not start on {self.serial}: "
                            f"{self.state.failed} (is the testbed installed? run "
                            "`android.py build-testbed HOST`)")
        if not await asyncio.to_thread(self.runner.adb.is_connected, self.serial):
            return self.disconnected(f"device {self.serial} disconnected")
        return await self.outcome()

    @property
    def serial(self) -> str:
        return self.device.serial if self.device else self.runner.name

    def disconnected(self, detail: str) -> Outcome:
        self.show_hidden()
        self.on_line(detail, "stderr")  # a -c run has no other way to say it
        return Outcome(None, detail=detail)

    async def outcome(self) -> Outcome:
        state = self.state
        junit = await self.pull_junit()
        status = state.exit_status if state.exit_status is not None else state.reported_status
        if status is not None:
            if status != 0:
                self.show_hidden()
            return Outcome(status, junit_xml=junit)
        if state.signal_number is not None:
            name = signal_name(state.signal_number)
            return Outcome(-state.signal_number, junit_xml=junit,
                           detail=f"killed by {name}: {state.fatal}")
        if not await asyncio.to_thread(self.runner.adb.is_connected, self.serial):
            return self.disconnected(f"device {self.serial} disconnected")
        self.show_hidden()
        if self.process is not None and self.process.returncode not in (None, 0):
            return Outcome(self.process.returncode, junit_xml=junit,
                           detail=f"Gradle exited with status {self.process.returncode}")
        what = state.short_msg or state.fatal or "no exit status from the app"
        return Outcome(1, junit_xml=junit, detail=f"the app ended abnormally: {what}")

    def show_hidden(self) -> None:
        """If Python never spoke, the hidden lines are the only clue: show them."""
        if not self.state.python_output and self.state.hidden:
            for line in self.state.hidden:
                self.on_line(line, "stderr")
            self.state.hidden.clear()

    async def pull_events(self) -> None:
        """The events file, whole (it only grows), once Python has exited."""
        launch = self.launch
        if self.events_pulled or not (launch.events_remote and launch.events_local):
            return
        if self.device is not None:
            with contextlib.suppress(DeviceGone):
                self.events_pulled = await asyncio.to_thread(
                    self.device.pull, launch.events_remote, launch.events_local)

    async def pull_junit(self) -> Path | None:
        await self.pull_events()
        launch = self.launch
        if self.junit_pulled or not (launch.junit_remote and launch.junit_local):
            return self.junit_pulled
        if self.device is None:
            return None
        try:
            if await asyncio.to_thread(self.device.pull, launch.junit_remote, launch.junit_local):
                self.junit_pulled = launch.junit_local
                await asyncio.to_thread(self.device.shell, ["rm", "-f", launch.junit_remote])
        except DeviceGone:
            pass
        return self.junit_pulled

    async def stop(self) -> None:
        """Close the streams, stop the app and Gradle: also on cancel and timeout."""
        if self.stopped:
            return
        self.stopped = True
        for reader in self.readers:
            reader.close()
        if self.device is not None:
            with contextlib.suppress(DeviceGone, Exception):
                await asyncio.to_thread(self.device.force_stop, APP_ID)
        if self.process is not None and self.process.returncode is None:
            await stop_process(self.process)
        if self.gradle_reader is not None:
            self.gradle_reader.cancel()


async def stop_process(process: asyncio.subprocess.Process, grace: float = 10.0) -> None:
    """Gradle gets a grace period to shut its emulator down, then is killed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


@dataclass(frozen=True)
class GradleLauncher:
    """`gradlew NAMEDebugAndroidTest` for a Gradle managed device."""

    testbed: Any  # testbed.Testbed
    device_name: str
    python_version: str
    ndk_version: str
    verbose: int
    env: dict[str, str]

    @property
    def project(self) -> Path:
        return self.testbed.project

    def command(self, launch: Launch, invocation: Invocation) -> list[str]:
        from .. import testbed as tb
        options = tb.GradleOptions(self.python_version, self.ndk_version,
                                   site_packages=invocation.site_packages, cwd=invocation.cwd)
        return tb.gradle_command(
            self.testbed, [f"{self.device_name}DebugAndroidTest"],
            tb.gradle_properties(self.testbed, options)
            + tb.instrumentation_properties(launch.extras), self.verbose)


# --- the factory the harness calls -------------------------------------------------------

def create_android_runners(spec: RunnerSpec, options: AndroidOptions | None = None,
                           console: Console | None = None) -> list[AndroidRunner]:
    """One runner per device; checks everything that can be checked before a run.

    The harness calls `await runner.close()` on each runner at the end: that
    shuts down the emulators `--avd` booted.
    """
    options = options or AndroidOptions()
    console = console or Console(verbose=spec.verbose)
    host: Host = spec.host  # type: ignore[assignment]
    layout: Layout = spec.layout  # type: ignore[assignment]
    if not host.is_android:
        raise UserError(f"{host} is not an Android host: --connected/--managed/--avd are for "
                        "Android hosts")
    chosen = [flag for flag, value in (("--connected", spec.connected),
                                       ("--managed", spec.managed), ("--avd", spec.avd)) if value]
    if len(chosen) != 1:
        raise UserError("choose where to run with exactly one of --connected SERIAL, "
                        f"--managed NAME or --avd NAME (got {' and '.join(chosen) or 'none'})")
    adb = Adb.from_environment()
    if spec.managed:
        return [managed_runner(spec, options, adb, host, layout)]
    if spec.connected:
        serials = list(spec.connected)
        if spec.shards not in (1, len(serials)):
            raise UserError(f"--shards {spec.shards} needs {spec.shards} devices: pass them as "
                            "--connected SERIAL1,SERIAL2,...")
        for serial in serials:
            adb.device(serial)  # fails now, clearly, if it is missing/offline/unauthorized
        targets: list[ConnectedTarget | AvdTarget] = [ConnectedTarget(adb, s) for s in serials]
    else:
        targets = list(avd_targets(spec, options, adb, host, layout, console))
    apks = testbed_apks(spec, options, host, layout, console)
    return [AndroidRunner(t.serial, t, adb=adb, spec=spec, options=options, apks=apks)
            for t in targets]


def avd_targets(spec: RunnerSpec, options: AndroidOptions, adb: Adb, host: Host,
                layout: Layout, console: Console) -> list[AvdTarget]:
    from .. import emulators
    from ..toolchains.ndk import android_home
    assert spec.avd is not None
    emulators.check_kvm(options.kvm_device)  # before creating or booting anything
    sdk = emulators.Sdk(android_home())
    emulators.ensure_avd(sdk, spec.avd, host, console,
                         options.avd_api_level or emulators.DEFAULT_AVD_API_LEVEL)
    ports = emulators.free_console_ports(adb, spec.shards)
    return [AvdTarget(adb, sdk, spec.avd, port, layout.log_path(f"emulator-{port}"),
                      read_only=spec.shards > 1) for port in ports]


def testbed_apks(spec: RunnerSpec, options: AndroidOptions, host: Host, layout: Layout,
                 console: Console) -> list[Path]:
    """The app and test APKs, built once (here) if missing or older than the Python."""
    from .. import testbed as tb
    bed = tb.Testbed(host, layout, options.testbed_project or tb.PROJECT_DIR)
    if not bed.apks_current():
        tb.build_apks(bed, tb.GradleOptions(spec.python_version, ndk_version(options)), console)
    return [bed.app_apk, bed.test_apk]


def ndk_version(options: AndroidOptions) -> str:
    from ..toolchains.ndk import DEFAULT_NDK_VERSION
    return options.ndk_version or DEFAULT_NDK_VERSION


def managed_runner(spec: RunnerSpec, options: AndroidOptions, adb: Adb, host: Host,
                   layout: Layout) -> AndroidRunner:
    from .. import testbed as tb
    assert spec.managed is not None
    if spec.shards != 1:
        raise UserError("--managed runs on one Gradle managed device: for shards use "
                        "--avd NAME --shards N or --connected A,B")
    bed = tb.Testbed(host, layout, options.testbed_project or tb.PROJECT_DIR)
    tb.require_prefix(bed)
    env = tb.gradle_env()
    tb.setup_wrapper(bed.project)
    adb.ensure_server()
    gradle = GradleLauncher(bed, spec.managed, spec.python_version, ndk_version(options),
                            spec.verbose, env)
    return AndroidRunner(f"managed-{spec.managed}", None, adb=adb, spec=spec, options=options,
                         gradle=gradle)
