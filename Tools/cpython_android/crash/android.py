"""What an Android device keeps of a native crash, read without root.

debuggerd's ``crash_dump`` writes its report to logcat's ``crash`` buffer
(tag ``DEBUG``) under its own pid, so the ``logcat --pid`` stream that
carries Python's output never shows it: after a crash it is read again with
``logcat -d -b crash`` and cut down to the report of the app's pid.  The
tombstone itself (``/data/tombstones/tombstone_NN``) is read when the device
lets the shell list that directory (emulators and userdebug builds); on a
user build it does not, and the logcat report (the same lines) is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Runs argv in the device's shell; its stdout ("" when refused).
Shell = Callable[[list[str]], str]

TOMBSTONES = "/data/tombstones"
_BANNER = "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***"
_TOMBSTONE = re.compile(r"^tombstone_\d+$")


def crash_text(shell: Shell, pid: int | None) -> str:
    """The device's report of the crash of `pid`: the tombstone if readable,
    else debuggerd's lines in the crash log; "" when there is none."""
    tombstone = _tombstone(shell, pid)
    if tombstone:
        return tombstone
    log = shell(["logcat", "-d", "-b", "crash", "-v", "threadtime"])
    return report_of_pid(log, pid)


def report_of_pid(log: str, pid: int | None) -> str:
    """The last debuggerd report in `log` (for `pid`, when given), with the
    libc "Fatal signal" line before it."""
    lines = log.splitlines()
    starts = [i for i, line in enumerate(lines) if _BANNER in line]
    for start in reversed(starts):
        end = next((i for i in starts if i > start), len(lines))
        block = lines[start:end]
        if pid is None or any(f"pid: {pid}," in line for line in block[:12]):
            fatal = [line for line in lines[:start] if "Fatal signal" in line
                     and (pid is None or f"pid {pid} " in line)]
            return "\n".join([*fatal[-1:], *block]) + "\n"
    return ""


def _tombstone(shell: Shell, pid: int | None) -> str:
    listing = shell(["ls", "-t", TOMBSTONES])  # newest first: debuggerd reuses the names
    names = [n for n in listing.split() if _TOMBSTONE.match(n)]
    for name in names[:3]:
        text = shell(["cat", f"{TOMBSTONES}/{name}"])
        if _BANNER in text and (pid is None or f"pid: {pid}," in text):
            return text
    return ""
