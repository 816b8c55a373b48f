"""The exceptions that reach the user, and the one place that formats them.

Every error meant for the user derives from `ToolError` and carries its exit
status, so CI can branch on it (cibuildwheel's `FatalError` family is the
model).  The same failure exits the same way wherever it happens:

====  =======================  ================================================
2     `UserError`              bad input: an option, a name, a file the user gave
3     `SetupError`             this machine lacks something: an SDK, NDK, JDK,
                               KVM, a program or package, a build not made yet
4     `InfrastructureError`    a device, emulator, Gradle, sdkmanager, adb or
                               the network failed (`DeviceGone`, and
                               `InfrastructureFailed` with its command)
1     `CommandFailed`          a command failed: its command, status, output
                               tail and log path
====  =======================  ================================================

`test` itself exits with regrtest's status (0 passed, 2 tests failed, 3
environment changed, 4 no tests ran, 5 re-run failed), and 130 after SIGINT
or SIGTERM.  `report()` turns any of them into the text and exit status that
the command line, the invoke tasks, the nox sessions and the test harness
all show.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from .textutil import join_command

#: The program name every error line starts with.
PROG = "android.py"
#: Exit status for bad input, as argparse uses it.
USAGE_EXIT_STATUS = 2
#: Exit status when this machine lacks something the command needs.
SETUP_EXIT_STATUS = 3
#: Exit status when a device, emulator, Gradle or the network failed.
INFRASTRUCTURE_EXIT_STATUS = 4
#: A full disk, a full quota, a file size limit.
NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
#: Exit status after SIGINT/SIGTERM, as a shell reports it.
INTERRUPTED_EXIT_STATUS = 130


class ToolError(Exception):
    """An error meant for the user: a one-line message and an exit status."""

    exit_status = 1
    #: Shown as one line on stderr (a CommandFailed shows its output tail too).
    one_line = True

    @property
    def message(self) -> str:
        """One line: what went wrong and, where possible, what to do."""
        return " ".join(str(self).split("\n")[:1]) or type(self).__name__

    def describe(self) -> str:
        """Everything the user should see (may be several lines)."""
        return error_line(self.message)


class UserError(ToolError):
    """Bad input: the message says what is wrong and what to do."""

    exit_status = USAGE_EXIT_STATUS


class SetupError(ToolError):
    """This machine lacks something (an SDK, a JDK, KVM, a program, a build not
    made yet): the message says what to install or run."""

    exit_status = SETUP_EXIT_STATUS


class InfrastructureError(ToolError):
    """A device, an emulator, Gradle, sdkmanager, adb or the network failed:
    trying again (or on another machine) may work."""

    exit_status = INFRASTRUCTURE_EXIT_STATUS


class Loss(Enum):
    """How a device was lost (`DeviceGone.how`); the value is said in messages."""

    #: adb lists it offline or not at all, or its connection dropped.
    DISCONNECTED = "disconnected"
    #: The app's process ended with no exit status and no crash, and `am
    #: instrument` was aborted or cut off (Android's system server died:
    #: "INSTRUMENTATION_ABORTED: System has crashed."), though adb may still answer.
    NO_RESULT = "ended the run without a result"
    #: No output for the stall limit, and no answer to `adb shell echo`.
    STALLED = "stopped answering"


class DeviceGone(InfrastructureError):
    """The device was lost during an operation: it disconnected (or the adb
    server went away), stopped answering, or ended the app without a result.
    A runner's run ends with it, and only with it, when its device is lost:
    the harness can run the unfinished files elsewhere.  `serial` names the
    device ("" if unknown), `how` says which loss."""

    def __init__(self, message: str, *, serial: str = "",
                 how: Loss = Loss.DISCONNECTED) -> None:
        super().__init__(message)
        self.serial = serial
        self.how = how


class CommandFailed(ToolError):
    """A subprocess exited with a non-zero status."""

    exit_status = 1
    one_line = False

    def __init__(
        self,
        command: Sequence[str | Path],
        returncode: int,
        *,
        log_path: Path | None = None,
        tail: str = "",
        step: str | None = None,
    ) -> None:
        self.command = [str(c) for c in command]
        self.returncode = returncode
        self.log_path = log_path
        self.tail = tail
        self.step = step
        super().__init__(self.describe())

    @property
    def message(self) -> str:
        what = f"step {self.step!r} failed: " if self.step else ""
        return (f"{what}command exited with status {self.returncode}: "
                f"{join_command(self.command)}")

    def describe(self) -> str:
        lines = []
        if self.tail:
            lines.append(f"--- last lines of output ---\n{self.tail.rstrip()}\n---")
        lines.append(self.message)
        if self.log_path:
            lines.append(f"full log: {self.log_path}")
        return "\n".join(lines)


class InfrastructureFailed(InfrastructureError, CommandFailed):
    """A command of the infrastructure (Gradle, sdkmanager, avdmanager, the
    emulator) failed: shown as a `CommandFailed`, exit status 4."""

    @classmethod
    def of(cls, failure: CommandFailed) -> InfrastructureFailed:
        return cls(failure.command, failure.returncode, log_path=failure.log_path,
                   tail=failure.tail, step=failure.step)


class EmulatorFailed(InfrastructureFailed):
    """The emulator exited or did not boot in time: its log tail says why."""

    def __init__(self, command: list[str], returncode: int, *, log_path: Path, tail: str,
                 reason: str) -> None:
        self.reason = reason
        super().__init__(command, returncode, log_path=log_path, tail=tail)

    @property
    def message(self) -> str:
        return self.reason

    def describe(self) -> str:
        return (f"--- last lines of the emulator's output ---\n{self.tail.rstrip()}\n---\n"
                f"{self.reason}\nfull log: {self.log_path}")


def error_line(message: str) -> str:
    """`android.py: error: MESSAGE`: how every error line looks."""
    return f"{PROG}: error: {message}"


@dataclass(frozen=True)
class ErrorReport:
    """What to print on stderr, and the exit status."""

    text: str
    exit_status: int


def report(error: BaseException) -> ErrorReport:
    """The one formatting of an error that ends a command.

    Raises `error` again if it is not one of ours (a bug: its traceback
    should be seen)."""
    if isinstance(error, ToolError) and error.one_line:
        # One line, whatever the message quotes (a parser's or the OS's text).
        text = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
        return ErrorReport(error_line(text or type(error).__name__), error.exit_status)
    if isinstance(error, ToolError):
        return ErrorReport(error.describe(), error.exit_status)
    if isinstance(error, KeyboardInterrupt):
        return ErrorReport(f"{PROG}: interrupted", INTERRUPTED_EXIT_STATUS)
    if isinstance(error, OSError) and error.errno in NO_SPACE_ERRNOS:
        # A full disk is its own diagnosis wherever it happens (safefiles).
        return report(no_space(error, Path(error.filename or "."), "the command"))
    if isinstance(error, OSError):
        # The file system or a program said no (permissions, a full disk, a
        # missing program): one line.
        where = f": {error.filename}" if error.filename else ""
        return ErrorReport(error_line(f"{error.strerror or error}{where} (-v shows the traceback)"),
                      1)
    raise error


# --- a full disk: its own diagnosis wherever it happens (safefiles uses it too) ---

def free_mb(path: Path) -> int | None:
    """Free space (MB) on the file system holding `path` (or its nearest parent)."""
    for place in (path, *path.parents):
        try:
            return shutil.disk_usage(place).free // (1 << 20)
        except OSError:
            continue
    return None


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding `path` (or its nearest parent)."""
    place = path.absolute()
    while not os.path.ismount(place) and place != place.parent:
        place = place.parent
    return place


def no_space(error: OSError, path: Path, doing: str) -> UserError:
    """The one diagnosis of a full disk (or quota, or file size limit)."""
    free = free_mb(path)
    room = f"free {free} MB" if free is not None else "free space unknown"
    why = "" if error.errno == errno.ENOSPC else f", {error.strerror}"
    return UserError(f"no space left on {mount_point(path)}: {room}{why} (writing {path}); "
                     f"{doing} was not finished and nothing good was deleted: free some "
                     "space and run again")
