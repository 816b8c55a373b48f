"""The device's streams (logcat, `am instrument`, Gradle) and where their
lines go: Python's own output to the user, with its tags stripped; other
lines hidden unless -v (fatal ones always); what they say about how the run
ended recorded in a `RunState`.  Moved unchanged from runners/android.py
(the line handlers were `Session` methods)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from . import LineCallback

PYTHON_TAGS = {"python.stdout": "stdout", "python.stderr": "stderr"}
EXIT_MARKER = re.compile(r"Python exited with status (-?\d+)")
FATAL_SIGNAL = re.compile(r"Fatal signal (\d+) \((\w+)\)")
# `logcat -v tag`: "P/tag     : message" (the tag is padded to 8 columns).
LOGCAT_LINE = re.compile(r"([VDIWEFAS])/(.*?) *: ?(.*)", re.DOTALL)
EXIT_STATUS = re.compile(r"INSTRUMENTATION_STATUS: pythonExitStatus=(-?\d+)")
SHORT_MSG = re.compile(r"INSTRUMENTATION_RESULT: shortMsg=(.*)")
INSTRUMENTATION_FAILED = re.compile(r"INSTRUMENTATION_STATUS: Error=(.*)|"
                                    r"INSTRUMENTATION_FAILED: (.*)")
# Noisy and rarely useful (test_syslog writes thousands of lines): shown with -vv.
NOISE = "from python test_syslog"


@dataclass
class RunState:
    """What the streams told us so far."""

    exit_status: int | None = None  # from the app's "Python exited" line
    reported_status: int | None = None  # from INSTRUMENTATION_STATUS: pythonExitStatus
    fatal: str | None = None  # the first F/ line
    signal_number: int | None = None
    short_msg: str | None = None
    failed: str | None = None  # instrumentation could not start
    python_output: bool = False
    instrumentation: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


class LineReader:
    """Reads a blocking adb stream in a thread; lines (then None) go to an asyncio queue."""

    def __init__(self, connection: Any, source: str, queue: asyncio.Queue[tuple[str, str | None]],
                 loop: asyncio.AbstractEventLoop) -> None:
        self.connection = connection
        self.thread = threading.Thread(target=self._read, args=(source, queue, loop),
                                       daemon=True, name=f"adb-{source}")
        self.thread.start()

    def _read(self, source: str, queue: asyncio.Queue[tuple[str, str | None]],
              loop: asyncio.AbstractEventLoop) -> None:
        def put(item: tuple[str, str | None]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, item)

        try:
            with self.connection.conn.makefile("rb") as stream:
                for raw in stream:
                    put((source, raw.decode("utf-8", "replace").rstrip("\r\n")))
        except (OSError, ValueError):
            pass  # closed under us, or the device went away
        finally:
            put((source, None))

    def close(self) -> None:
        with contextlib.suppress(OSError, Exception):
            self.connection.conn.shutdown(socket.SHUT_RDWR)  # wakes the reading thread
        with contextlib.suppress(OSError, Exception):
            self.connection.close()



class OutputRouter:
    """Routes each stream line and records what it says in `state`."""

    def __init__(self, on_line: LineCallback, verbose: int) -> None:
        self.on_line = on_line
        self.verbose = verbose
        self.state = RunState()

    def handle(self, source: str, line: str | None) -> bool:
        if line is None:
            return source != "logcat"
        if source == "logcat":
            self.handle_logcat(line)
        elif source == "instrumentation":
            self.handle_instrumentation(line)
        else:  # Gradle: shown with -v, and SDK installs (minutes long) always
            self.emit(line, "stdout", hidden=not (self.verbose or
                                                  line.startswith('Preparing "Install')))
        return False

    def handle_logcat(self, line: str) -> None:
        match = LOGCAT_LINE.fullmatch(line)
        if match is None:  # a continuation line of a multi-line message (not Python's)
            self.emit(line, "stdout", hidden=not self.verbose)
            return
        level, tag, message = match.groups()
        if tag in PYTHON_TAGS:
            self.state.python_output = True
            if NOISE in message and self.verbose < 2:
                return
            self.on_line(message, PYTHON_TAGS[tag])
            return
        if tag == "python.testbed" and (m := EXIT_MARKER.search(message)):
            self.state.exit_status = int(m.group(1))
            return
        if level == "F":
            self.state.fatal = self.state.fatal or line
            if (m := FATAL_SIGNAL.search(message)) and self.state.signal_number is None:
                self.state.signal_number = int(m.group(1))
        stream = "stderr" if level in ("W", "E", "F") else "stdout"
        self.emit(line, stream, hidden=not (self.verbose or level == "F"))

    def handle_instrumentation(self, line: str) -> None:
        self.state.instrumentation.append(line)
        if m := EXIT_STATUS.search(line):
            self.state.reported_status = int(m.group(1))
        elif m := SHORT_MSG.search(line):
            self.state.short_msg = m.group(1).strip()
        elif m := INSTRUMENTATION_FAILED.search(line):
            self.state.failed = self.state.failed or (m.group(1) or m.group(2)).strip()
        if self.verbose:
            self.on_line(line, "stdout")

    def emit(self, line: str, stream: str, hidden: bool = False) -> None:
        if hidden:
            self.state.hidden.append(line)
        else:
            self.on_line(line, stream)

    def show_hidden(self) -> None:
        """If Python never spoke, the hidden lines are the only clue: show them."""
        if not self.state.python_output and self.state.hidden:
            for line in self.state.hidden:
                self.on_line(line, "stderr")
            self.state.hidden.clear()
