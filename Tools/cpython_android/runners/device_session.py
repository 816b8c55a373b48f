"""One invocation on one device: what to launch (`plan_launch`), then a
`Session` that starts the app (or Gradle), finds its PID, streams logcat,
collects the outcome and the JUnit file, and cleans up.  Moved unchanged
from runners/android.py."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..crash.android import crash_text
from ..devices import Device, DeviceGone
from ..errors import InfrastructureError, Loss, UserError
from ..process import aio
from ..process.aio import AsyncProcess
from ..process.tree import signal_name
from ..resume import HOOK_MODULE, hook_argv
from ..safefiles import contained
from ..testbed import DEFAULT_APP, TestbedApp
from .base import Invocation, LineCallback, Outcome
from .device_loss import check_answering, check_listed, without_result
from .gradle import GRADLE_GRACE_SECONDS, GradleSession
from .logcat import Item, LineReader, LogMessage, NotBinary, OutputRouter, app_pids, read_entry

if TYPE_CHECKING:
    from .android import AndroidRunner

AFTER_EXIT_SECONDS = 10.0  # how long to wait for `am instrument` once Python has exited


@dataclass
class Launch:
    """What to start on the device, derived from an Invocation."""

    extras: dict[str, str]
    junit_remote: str | None = None
    junit_local: Path | None = None
    events_remote: str | None = None  # events_hook.py's file (resume.py), one per runner
    events_local: Path | None = None
    events_continue: bool = False


def plan_launch(invocation: Invocation, name: str, run_number: int = 1,
                app: TestbedApp = DEFAULT_APP) -> Launch:
    """Instrumentation arguments for `am instrument -e` (or Gradle's -P...), files in
    `app`'s external files directory."""
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
    remote = str(app.external_files / f"junit-{safe(name)}-{run_number}.xml")
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
        launch.events_remote = str(app.external_files / f"events-{safe(name)}.jsonl")
        launch.events_local, launch.events_continue = invocation.events, invocation.events_continue
        hooked = hook_argv(["-m", "test", *rest], ["-m", HOOK_MODULE], launch.events_remote,
                           invocation.events_continue)
        launch.extras["pythonModule"], rest = HOOK_MODULE, hooked[2:]
    if rest:  # an empty extra would reach Gradle as `-P...pythonArgs=`: leave it out
        launch.extras["pythonArgs"] = shlex.join(rest)
    if invocation.env:
        launch.extras["pythonEnv"] = shlex.join(f"{k}={v}" for k, v in invocation.env.items())
    return launch


def glob_for_shell(pattern: str) -> str:
    """`pattern` for `sh -c`: its glob characters (* ? [ ]) left to the shell,
    every other run of characters single-quoted, so `;`, `$(...)`, spaces
    and quotes in it are only file name characters."""
    return "".join(part if part in GLOB_CHARS else shlex.quote(part)
                   for part in re.split(r"([*?\[\]])", pattern) if part)


GLOB_CHARS = frozenset("*?[]")


def safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)



class Session(GradleSession):
    """One invocation on one device: start, stream, collect, clean up."""

    def __init__(self, runner: AndroidRunner, launch: Launch, on_line: LineCallback) -> None:
        self.runner = runner
        self.launch = launch
        self.on_line = on_line
        self.output = OutputRouter(on_line, runner.spec.verbose)
        self.device: Device | None = None
        self.readers: list[LineReader] = []
        self.process: AsyncProcess | None = None
        self.gradle_reader: asyncio.Task[None] | None = None  # held: the loop keeps weak refs
        self.queue: asyncio.Queue[tuple[str, Item]] = asyncio.Queue()
        self.junit_pulled: Path | None = None
        self.events_pulled = False
        self.invocation: Invocation | None = None
        self.stopped = False
        self.pid: int | None = None  # the app's, once found
        self.lost = False  # the device was lost (DeviceGone)

    async def run(self, invocation: Invocation) -> Outcome:
        runner = self.runner
        self.invocation = invocation
        try:
            if runner.gradle is not None:
                await self.start_gradle(invocation)
            else:
                self.device = await asyncio.to_thread(runner.prepare)
                await asyncio.to_thread(self.push_inputs, invocation)
                self.start_instrumentation()
            pid = self.pid = await self.find_pid()
            if pid is None:
                return await self.ended_without_pid()
            self.start_logcat(pid)
            await self.pump()
            return await self.outcome()
        except DeviceGone:
            self.lost = True  # stop() asks it nothing more
            self.output.show_hidden()
            raise

    # -- starting --
    def push_inputs(self, invocation: Invocation) -> None:
        assert self.device is not None
        device, app = self.device, self.runner.app
        device.force_stop(app.app_id)  # an earlier, unclean run must not show its output
        if self.launch.junit_remote:
            device.shell(["rm", "-f", self.launch.junit_remote])
        if self.launch.events_remote and not self.launch.events_continue:
            device.shell(["rm", "-f", self.launch.events_remote])
        for local, key, name in ((invocation.cwd, "pythonCwd", "cwd"),
                                 (invocation.site_packages, "pythonSitePackages",
                                  "site-packages")):
            if local is not None:
                remote = app.external_files / safe(self.runner.name) / name
                device.push_tree(local, remote)
                self.launch.extras[key] = str(remote)

    def start_instrumentation(self) -> None:
        assert self.device is not None
        command = ["am", "instrument", "-w", "-r"]
        for key, value in self.launch.extras.items():
            command += ["-e", key, value]
        command.append(self.runner.app.instrumentation)
        self.readers.append(LineReader(self.device.open_stream(command), "instrumentation",
                                       self.queue, asyncio.get_running_loop()))

    async def find_pid(self) -> int | None:
        """Poll `pidof` until the app runs; None if the instrumentation ended first."""
        assert self.device is not None
        options = self.runner.options
        loop = asyncio.get_running_loop()
        deadline = loop.time() + options.startup_timeout
        self.output.emit("Waiting for the app to start: this may take several minutes", "stdout",
                  hidden=not self.output.verbose)
        while loop.time() < deadline:
            if await self.drain_nowait():
                return None  # the instrumentation (or Gradle) ended: the app is not coming
            pid = await asyncio.to_thread(self.device.pid_of, self.runner.app.app_id)
            if pid is not None:
                self.output.emit(f"PID: {pid}", "stdout", hidden=not self.output.verbose)
                return pid
            await asyncio.sleep(options.pid_poll)
        raise InfrastructureError(f"the testbed app did not start on {self.device.serial} within "
                                  f"{options.startup_timeout:.0f} s")

    def start_logcat(self, pid: int) -> None:
        """`logcat --pid PID --binary` (API 24+ has both), as upstream; `-v tag`
        text only if the device refuses --binary."""
        device = self.device
        assert device is not None
        stream = device.open_stream(["logcat", "--pid", str(pid), "--binary"])
        self.readers.append(LineReader(
            stream, "logcat", self.queue, asyncio.get_running_loop(),
            fallback=lambda: device.open_stream(["logcat", "-v", "tag", "--pid", str(pid)])))

    # -- streaming --
    async def drain_nowait(self) -> bool:
        """Handle what is queued; True if the launcher (instrumentation/Gradle) has ended."""
        ended = False
        while not self.queue.empty():
            source, line = self.queue.get_nowait()
            ended |= self.output.handle(source, line)
        return ended

    async def pump(self) -> None:
        """Until Python's exit line and the launcher's end, or silence after the end."""
        launcher_done = logcat_done = False
        loop = asyncio.get_running_loop()
        exited_at: float | None = None
        while not (launcher_done and logcat_done):
            if launcher_done and self.output.state.exit_status is not None:
                break  # Python said it exited, and the instrumentation is over
            stall: float | None = None  # while python runs, silence only makes us ask the device
            if launcher_done:
                timeout = self.runner.options.drain_idle
            elif exited_at is not None:
                timeout = max(0.0, exited_at + AFTER_EXIT_SECONDS - loop.time())
            else:
                timeout = stall = self.runner.options.stall_timeout
            try:
                source, line = await asyncio.wait_for(self.queue.get(), timeout)
            except TimeoutError:
                if stall is None:
                    break
                await check_answering(self.runner.adb, self.device, stall)  # or DeviceGone
                continue
            if line is None:
                if source == "logcat":
                    logcat_done = True
                else:
                    launcher_done = True
                continue
            self.output.handle(source, line)
            if self.output.state.exit_status is not None and exited_at is None:
                exited_at = loop.time()
                await self.pull_junit()  # now: a managed emulator may vanish right after

    # -- ending --
    async def ended_without_pid(self) -> Outcome:
        await self.drain_nowait()
        if self.output.state.failed:
            raise InfrastructureError(f"the instrumentation did not start on {self.serial}: "
                                      f"{self.output.state.failed} (is the testbed installed? run "
                                      "`android.py build-testbed HOST`)")
        await check_listed(self.runner.adb, self.serial)
        await self.replay_logged()
        return await self.outcome()

    async def replay_logged(self) -> None:
        """The app started and ended between two `pidof` polls (a crash at its
        start, a short -c): what it logged is still in logcat's buffer.  The
        last app process's entries (the one that logged python.* tags, or whose
        libc crash line names the app) go through the output as if streamed."""
        device = self.device
        if device is None:
            return

        def dump() -> list[LogMessage]:
            try:
                stream = device.open_stream(["logcat", "-d", "--binary"])
                with stream.conn.makefile("rb") as raw:
                    return list(iter(lambda: read_entry(raw), None))
            except (DeviceGone, NotBinary, OSError):
                return []  # nothing more to learn: the outcome says what it can

        entries = await asyncio.to_thread(dump)
        # logcat -d holds every app's entries: the other slots' too.
        app = app_pids(entries, self.runner.app.app_id, alone=self.runner.apps_on_device == 1)
        if app:
            for entry in entries:
                if entry.pid == app[-1]:
                    self.output.handle("logcat", entry)
            self.output.handle("logcat", None)  # a last line without its newline

    @property
    def serial(self) -> str:
        return self.device.serial if self.device else self.runner.name

    async def outcome(self) -> Outcome:
        state = self.output.state
        junit = await self.pull_junit()
        await self.pull_files()
        status = state.exit_status if state.exit_status is not None else state.reported_status
        if status is not None:
            if status != 0:
                self.output.show_hidden()
            return Outcome(status, junit_xml=junit)
        if state.signal_number is not None:
            name = signal_name(state.signal_number)
            return Outcome(-state.signal_number, junit_xml=junit,
                           detail=f"killed by {name}: {state.fatal}",
                           crash_log=await self.crash_log())
        await check_listed(self.runner.adb, self.serial)
        self.output.show_hidden()
        if self.process is not None and self.process.returncode not in (None, 0):
            return Outcome(self.process.returncode, junit_xml=junit,
                           detail=f"Gradle exited with status {self.process.returncode}")
        if self.runner.gradle is None and (why := without_result(state)):
            raise DeviceGone(f"device {self.serial} {Loss.NO_RESULT.value}: the app's process "
                             f"ended with no exit status and no crash, and {why}",
                             serial=self.serial, how=Loss.NO_RESULT)
        what = state.short_msg or state.fatal or "no exit status from the app"
        return Outcome(1, junit_xml=junit, detail=f"the app ended abnormally: {what}")

    async def crash_log(self) -> str:
        """debuggerd's report of the app's native crash, read without root
        (the tombstone, else logcat's crash buffer: crash/android.py)."""
        device = self.device
        if device is None:
            return ""

        def shell(argv: list[str]) -> str:
            try:
                result = device.shell(argv, timeout=30)
            except DeviceGone:
                return ""
            return result.stdout if result.returncode == 0 else ""

        return await asyncio.to_thread(crash_text, shell, self.pid)

    async def pull_files(self) -> list[Path]:
        """--pull: the device files each pattern matches (absolute, or relative to
        the run's --cwd copy, else to the app's external files directory), after
        the run however it ended."""
        invocation, device = self.invocation, self.device
        if invocation is None or device is None or invocation.pull_to is None:
            return []
        pulled = []
        try:
            for pattern in invocation.pull:
                # Relative paths are the run's own: in the copy of --cwd when one
                # was pushed (read as the app), else in the external files directory.
                as_app = invocation.cwd is not None and not pattern.startswith("/")
                app = self.runner.app
                base = app.cwd_copy if as_app else app.external_files
                remote = pattern if pattern.startswith("/") else f"{base}/{pattern}"
                # The device's shell expands the glob, and nothing else: every
                # other character is quoted (glob_for_shell).
                reader = app.app_id if as_app else None
                paths = await asyncio.to_thread(device.matching, glob_for_shell(remote), reader)
                for path in paths:
                    local = contained(invocation.pull_to,
                                      invocation.pull_to / PurePosixPath(path).name,
                                      "--pull's copy of")
                    if await asyncio.to_thread(device.pull, path, local, reader):
                        pulled.append(local)
        except DeviceGone:
            pass
        return pulled

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
        if self.device is not None and not self.lost:
            with contextlib.suppress(DeviceGone, Exception):
                await asyncio.to_thread(self.device.force_stop, self.runner.app.app_id)
        if self.process is not None and self.process.returncode is None:
            await aio.stop_process_tree(self.process, GRADLE_GRACE_SECONDS)
        if self.gradle_reader is not None:
            self.gradle_reader.cancel()
