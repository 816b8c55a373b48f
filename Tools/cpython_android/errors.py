"""The exceptions that reach the user.

Anything the user must fix raises `UserError` (one line, exit status 2).  A
subprocess that fails raises `CommandFailed` (command, status, log tail, log
path; exit status 1).  Only `cli` turns them into output and exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .textutil import join_command

#: Exit status for bad input, as argparse uses it.
USAGE_EXIT_STATUS = 2


class UserError(Exception):
    """Bad input or a missing prerequisite: the message says what to do."""

    exit_status = USAGE_EXIT_STATUS


class CommandFailed(Exception):
    """A subprocess exited with a non-zero status."""

    exit_status = 1

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

    def describe(self) -> str:
        lines = []
        if self.tail:
            lines.append(f"--- last lines of output ---\n{self.tail.rstrip()}\n---")
        what = f"step {self.step!r} failed: " if self.step else ""
        lines.append(f"{what}command exited with status {self.returncode}: "
                     f"{join_command(self.command)}")
        if self.log_path:
            lines.append(f"full log: {self.log_path}")
        return "\n".join(lines)
