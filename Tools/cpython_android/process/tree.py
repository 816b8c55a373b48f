"""Process trees: finding every process a command started, and stopping them.

Every command we start runs in a session of its own (its own process group),
because it is rarely alone: make starts compilers, qemu's wrapper execs qemu,
tests start subprocesses, regrtest -j workers start their *own* sessions.
Stopping a command therefore signals its process group *and* every descendant
found in /proc, so nothing is left behind after a failure, a timeout or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

_PROC = Path("/proc")
#: The signal that cannot be caught; Windows has none, and its SIGTERM
#: (TerminateProcess) cannot be caught either.
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def _stat_fields(entry: Path) -> list[str] | None:
    """Fields 3.. of /proc/PID/stat (state, ppid, pgrp, ...), or None if gone."""
    try:
        stat = (entry / "stat").read_text()
    except OSError:
        return None  # exited meanwhile
    # The command name (field 2) may hold spaces and parentheses.
    return stat.rsplit(")", 1)[1].split()


def _processes() -> list[tuple[int, int, int]]:
    """(pid, ppid, pgrp) of every process, from /proc (empty where there is none)."""
    found = []
    for entry in _PROC.iterdir() if _PROC.is_dir() else ():
        if entry.name.isdigit() and (fields := _stat_fields(entry)) and fields[0] != "Z":
            found.append((int(entry.name), int(fields[1]), int(fields[2])))
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren, ...) from /proc."""
    children: dict[int, list[int]] = {}
    for child, parent, _ in _processes():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def group_members(pgid: int) -> list[int]:
    """The live processes of process group `pgid` (orphans included)."""
    return [pid for pid, _, group in _processes() if group == pgid]


def signal_process(pid: int, sig: signal.Signals) -> None:
    """Send `sig` to one process; a process that is gone already is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def kill_tree(pid: int, sig: signal.Signals) -> None:
    """Signal the process group led by `pid` and every descendant of `pid`."""
    targets = descendants(pid)
    if not hasattr(os, "killpg"):  # Windows (`test` from a release package): no groups
        targets.append(pid)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
    for child in targets:
        signal_process(child, sig)


def tree_alive(pid: int) -> bool:
    """Whether anything of the tree led by `pid` still runs."""
    return bool(group_members(pid) or descendants(pid))


def signal_name(number: int) -> str:
    """"SIGSEGV", or "signal 99" for a number this platform does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def describe_returncode(returncode: int) -> str:
    if returncode >= 0:
        return f"exit status {returncode}"
    return f"killed by {signal_name(-returncode)}"
