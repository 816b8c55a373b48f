"""The runners' one interface: an `Invocation` in, lines streamed out, an
`Outcome` back; and `RunnerSpec`, what the user asked to run on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..console import Console
from ..hosts import Host
from ..layout import Layout
from .target import Native, Target


@dataclass(frozen=True)
class Invocation:
    """One run of the host python."""

    args: Sequence[str]  # arguments after the interpreter, e.g. ["-m", "test", "-v"]
    cwd: Path | None = None  # working directory (copied to the device on Android)
    site_packages: Path | None = None  # extra site-packages for the run
    env: dict[str, str] = field(default_factory=dict)
    # Where the target should write regrtest's --junit-xml, as a path the
    # runner gives back after the run (None: no XML wanted).
    junit_xml: Path | None = None
    timeout: float | None = None  # overall seconds before the run is killed
    # `-m test` through events_hook.py, its events file delivered at this local
    # path after the run (resume.py); `events_continue`: append to the file of
    # the previous run and skip the tests it started.
    events: Path | None = None
    events_continue: bool = False
    # --pull: paths or globs of files the run produces (relative: to the run's
    # directory), copied to `pull_to` after the run however it ended.
    pull: tuple[str, ...] = ()
    pull_to: Path | None = None


@dataclass(frozen=True)
class Outcome:
    """How a run ended."""

    returncode: int | None  # None: killed by us (timeout or interrupt)
    timed_out: bool = False
    interrupted: bool = False
    junit_xml: Path | None = None  # a local copy of the XML, if the target wrote one
    detail: str = ""  # e.g. "device disconnected", "killed by SIGSEGV"
    # The exit status of the failure that ended the run, as errors' table has it,
    # so it exits the same way in a shard or not; 0: none.  (A lost device is no
    # Outcome: the run raises errors.DeviceGone.)
    failure_status: int = 0
    # Android: debuggerd's report of a native crash (tombstone or crash log),
    # read after the app died of a signal (crash/android.py); "" elsewhere.
    crash_log: str = ""


#: Called with each output line (no trailing newline) and "stdout"/"stderr".
LineCallback = Callable[[str, str], None]


class Runner(Protocol):
    name: str  # shown in output and JUnit properties, e.g. "qemu-aarch64", "emulator-5554"

    async def run(self, invocation: Invocation, on_line: LineCallback) -> Outcome:
        """Run the python; stream lines to `on_line` as they come; kill every
        process it started if cancelled or past the invocation's timeout."""
        ...

    async def close(self) -> None:
        """Release what the runner holds (e.g. stop the emulator it booted);
        called once after its last run."""
        ...


@dataclass(frozen=True)
class RunnerSpec:
    """What the user asked to run on: everything `create_runners` needs."""

    host: Host | None  # None: the native build python (HOST `build`)
    layout: Layout
    python_version: str  # "3.13": names libpython and lib/pythonX.Y
    shards: int = 1
    # Android: test processes per device, each its own copy of the testbed app
    # (runners/slots.py); None: from the device's CPUs and the testbed's copies.
    per_device: int | None = None
    verbose: int = 0
    target: Target = Native()  # where: one typed value (target.target_of)
    ndk_version: str | None = None  # for building the testbed (None: the pinned NDK)
    testbed_project: Path | None = None  # the testbed found for the checkout (None: ours)
    console: Console = field(default_factory=Console)  # where progress is shown
    # Android: seconds without output before the device must answer `adb shell
    # echo` or count as lost (None: runners/device_loss.py's default).
    stall_timeout: float | None = None

    @property
    def native(self) -> bool:
        return self.host is None
