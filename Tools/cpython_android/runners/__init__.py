"""Runners: "run this host python with these arguments on this target, stream
its output, tell me how it ended".

One interface (`Runner`), one module per target kind: `qemu` (GNU cross hosts
under qemu-user), `native` (the build python) and `android` (a device or
emulator through adb and the testbed app).  The harness (sharding, resume
after a crash, JUnit) sits above it and never asks which kind it drives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


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


@dataclass(frozen=True)
class Outcome:
    """How a run ended."""

    returncode: int | None  # None: killed by us (timeout or interrupt)
    timed_out: bool = False
    interrupted: bool = False
    junit_xml: Path | None = None  # a local copy of the XML, if the target wrote one
    detail: str = ""  # e.g. "device disconnected", "killed by SIGSEGV"


#: Called with each output line (no trailing newline) and "stdout"/"stderr".
LineCallback = Callable[[str, str], None]


class Runner(Protocol):
    name: str  # shown in output and JUnit properties, e.g. "qemu-aarch64", "emulator-5554"

    async def run(self, invocation: Invocation, on_line: LineCallback) -> Outcome:
        """Run the python; stream lines to `on_line` as they come; kill every
        process it started if cancelled or past the invocation's timeout."""
        ...
