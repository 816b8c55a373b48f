"""When a device is lost, as opposed to a python that crashed or is stuck.

A run on a device ends with `DeviceGone` (errors.py), and only then, when
the device is lost, so the harness can run the unfinished files elsewhere.
`DeviceGone.how` says which of the three ways it was lost:

- `Loss.DISCONNECTED`: adb lists the device offline or not at all (its
  streams end, or a request fails);
- `Loss.NO_RESULT`: the app's process ended with no exit status and no fatal
  signal, and `am instrument` was aborted ("INSTRUMENTATION_ABORTED: System
  has crashed.": Android's system server died, as in python/cpython#142387)
  or cut off before its INSTRUMENTATION_CODE, even if adb still answers;
- `Loss.STALLED`: no output at all for the stall limit (`--stall-timeout`,
  default STALL_SECONDS) and no answer to `adb shell echo` within
  devices.PROBE_SECONDS.

What stays a crash: the app's process died and `am instrument` said so
("Process crashed.": with bionic's F/libc line and a tombstone for a native
crash, without them after os._exit or the low-memory killer).  Android saw
the app die, so the test file crashed and is resumed on the same device.  A
device that answers while python is silent is a python stuck in a test:
regrtest's --timeout ends that, not this.
"""

from __future__ import annotations

import asyncio

from ..devices import PROBE_SECONDS, Adb, Device
from ..errors import DeviceGone, Loss
from .logcat import RunState

#: Silence (no line from logcat or `am instrument`) after which the device is
#: asked whether it still answers.  regrtest prints a line per test file, and
#: a file that runs longer keeps the device answering, so this only costs a
#: probe; it bounds how long a hung device holds its files.
STALL_SECONDS = 300.0


def without_result(state: RunState) -> str | None:
    """Why a run that ended with no exit status and no fatal signal means a
    lost device; None when `am instrument` reported the app's end (a crash)."""
    if state.aborted:
        return f"`am instrument` aborted: {state.aborted}"
    if not state.finished and not state.short_msg:
        return "`am instrument` ended before its result"
    return None


async def check_listed(adb: Adb, serial: str) -> None:
    """DeviceGone unless adb lists the device as ready ("device")."""
    if not await asyncio.to_thread(adb.is_connected, serial):
        raise DeviceGone(f"device {serial} disconnected: adb lists it offline or not at all",
                         serial=serial, how=Loss.DISCONNECTED)


async def check_answering(adb: Adb, device: Device | None, silent_for: float) -> None:
    """After `silent_for` seconds without output: DeviceGone unless the device
    is listed and answers `adb shell echo` within PROBE_SECONDS.  (None: no
    device found yet, as while Gradle boots one: nothing to ask.)"""
    if device is None:
        return
    await check_listed(adb, device.serial)
    if not await asyncio.to_thread(device.answers, PROBE_SECONDS):
        raise DeviceGone(f"device {device.serial} stopped answering: no output for "
                         f"{silent_for:.0f} s (--stall-timeout), and `adb shell echo` got no "
                         f"answer within {PROBE_SECONDS:.0f} s", serial=device.serial,
                         how=Loss.STALLED)
