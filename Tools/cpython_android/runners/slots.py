"""Several test processes per Android device (`test --per-device N`): how many,
and the device target the N runners of one device share.

Each process is its own copy of the testbed app (testbed.TestbedApp: its own
application ID, process and data directories; build.gradle.kts's flavors), so a
device runs N shards side by side.  The default is the device's CPUs, capped by
the copies the built testbed holds (one unless built with `build-testbed
--per-device N`): an upstream-style run stays one process on `org.python.testbed`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from ..errors import UserError

if TYPE_CHECKING:
    from ..devices import Device
    from .android import AndroidOptions

#: Test processes per CPU at most: regrtest's files wait on I/O, sleeps and
#: subprocesses a good part of the time, but more than this only contend.
PROCESSES_PER_CPU = 2


def plural(count: int, word: str, words: str = "") -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def choose(asked: int | None, held: int, cpus: Mapping[str, int | None]) -> int:
    """Test processes per device: `asked` (--per-device), checked against the apps the
    testbed holds and the devices' CPUs; else the fewest CPUs of the devices, at most
    `held` (a device whose CPUs are unknown counts as one)."""
    if asked is None:
        return max(1, min([held, *(count or 1 for count in cpus.values())]))
    if asked > held:
        raise UserError(f"--per-device {asked}: the built testbed holds {plural(held, 'app')} "
                        f"per device; build it for more with `android.py build-testbed HOST "
                        f"--per-device {asked}`, or ask for at most {held}")
    for serial, count in cpus.items():
        if count and asked > PROCESSES_PER_CPU * count:
            raise UserError(f"--per-device {asked}: device {serial} has "
                            f"{plural(count, 'CPU')}, too few for more than "
                            f"{PROCESSES_PER_CPU * count} test processes; ask for fewer")
    return asked


def describe(count: int, asked: int | None, held: int, cpus: Mapping[str, int | None]) -> str:
    """The choice and why, one line (shown before the run, as the inferred HOST is)."""
    if asked is not None:
        why = "--per-device"
    else:
        why = "; ".join(f"{serial}: {plural(n, 'CPU') if n else 'CPUs unknown'}"
                        for serial, n in cpus.items())
        why += f"; the testbed holds {plural(held, 'app')}"
    return f"per device: {plural(count, 'test process', 'test processes')} ({why})"


class DeviceTarget(Protocol):
    @property
    def serial(self) -> str: ...

    def acquire(self, options: AndroidOptions) -> Device: ...

    def release(self) -> None: ...


class SharedTarget:
    """One device's target, used by the runners of its N apps: acquired one at a
    time (one emulator boot, not N), released when the last of them is done."""

    def __init__(self, target: DeviceTarget, users: int) -> None:
        self.target = target
        self.users = users
        self.lock = threading.Lock()

    @property
    def serial(self) -> str:
        return self.target.serial

    def acquire(self, options: AndroidOptions) -> Device:
        with self.lock:
            return self.target.acquire(options)

    def release(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users == 0:
                self.target.release()
