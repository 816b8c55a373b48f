"""Where long work shows where it is.

Every step prints its name and log path when it starts, and its elapsed time
when it ends.  On a terminal a live line shows the last line of output; on CI
(and any stream that is not a TTY, such as a buildbot log) output is plain and
line-buffered, with a heartbeat line now and then so a quiet step is not
mistaken for a hung one.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .textutil import format_duration

HEARTBEAT_SECONDS = 60.0


def is_live_terminal(stream: TextIO) -> bool:
    """A live progress line only on an interactive terminal, never on CI."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


@dataclass
class Step:
    """One running step: feed it output lines; it keeps the progress line fresh."""

    console: Console
    name: str
    log_path: Path | None
    started: float = field(default_factory=time.monotonic)
    last_line: str = ""
    _last_heartbeat: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def output(self, line: str) -> None:
        """One line of the step's output (already written to its log)."""
        line = line.rstrip()
        if line:
            self.last_line = line
        if self.console.verbose:
            self.console.write(line)
        else:
            self.tick()

    def tick(self) -> None:
        """Refresh the live line, or print a heartbeat on a plain stream."""
        if self.console.live:
            self.console.show_live(f"[{format_duration(self.elapsed)}] {self.name}: "
                                   f"{self.last_line}")
        elif time.monotonic() - self._last_heartbeat >= self.console.heartbeat:
            self._last_heartbeat = time.monotonic()
            self.console.write(f"... {self.name}: still running after "
                               f"{format_duration(self.elapsed)}: {self.last_line[:120]}")


class Console:
    """Output for humans; one per command-line invocation (no global state)."""

    def __init__(self, stream: TextIO | None = None, err: TextIO | None = None, *,
                 verbose: int = 0, live: bool | None = None,
                 heartbeat: float = HEARTBEAT_SECONDS) -> None:
        self.stream = stream or sys.stdout
        self.err = err or sys.stderr
        self.verbose = verbose
        self.live = is_live_terminal(self.stream) if live is None else live
        self.heartbeat = heartbeat
        self._lock = threading.Lock()
        self._live_shown = False

    def write(self, text: str) -> None:
        with self._lock:
            self._clear_live()
            self.stream.write(text + "\n")
            self.stream.flush()

    def warn(self, text: str) -> None:
        with self._lock:
            self._clear_live()
            self.err.write(text + "\n")
            self.err.flush()

    def show_live(self, text: str) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        with self._lock:
            self.stream.write("\r\x1b[K" + text[:width])
            self.stream.flush()
            self._live_shown = True

    def _clear_live(self) -> None:
        if self._live_shown:
            self.stream.write("\r\x1b[K")
            self._live_shown = False

    @contextmanager
    def step(self, name: str, log_path: Path | None = None) -> Iterator[Step]:
        """Announce a step, time it, and say how it ended."""
        where = f" (log: {log_path})" if log_path else ""
        self.write(f"==> {name}{where}")
        step = Step(self, name, log_path)
        try:
            yield step
        except BaseException:
            self.write(f"<== {name}: FAILED after {format_duration(step.elapsed)}{where}")
            raise
        self.write(f"<== {name}: done in {format_duration(step.elapsed)}{where}")

    def skipped(self, name: str, reason: str) -> None:
        self.write(f"==> {name}: up to date ({reason})")
