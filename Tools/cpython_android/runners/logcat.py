"""The device's streams (logcat, `am instrument`, Gradle) and where their
lines go: Python's own output to the user, with its tags stripped; other
lines hidden unless -v (fatal ones always); what they say about how the run
ended recorded in a `RunState`.

Logcat is read in its binary format (`logcat --binary`, as upstream's
test runner does), so each message arrives whole with its priority and tag:
a message with embedded newlines stays one message, text is never taken
for a tag, and Python's output, which the app logs a line (or a partial
line) per message, is reassembled into lines.  Only if the device refuses
`--binary` is `-v tag` text read instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from ..textutil import LineSplitter, int_or_none
from .base import LineCallback

PYTHON_TAGS = {"python.stdout": "stdout", "python.stderr": "stderr"}
EXIT_MARKER = re.compile(r"Python exited with status (-?\d+)")
FATAL_SIGNAL = re.compile(r"Fatal signal (\d+) \((\w+)\)")
EXIT_STATUS = re.compile(r"INSTRUMENTATION_STATUS: pythonExitStatus=(-?\d+)")
SHORT_MSG = re.compile(r"INSTRUMENTATION_RESULT: shortMsg=(.*)")
# `am instrument`'s last line, and what it says when Android's system server died.
RESULT_CODE = re.compile(r"^INSTRUMENTATION_CODE: (-?\d+)")
ABORTED = re.compile(r"^INSTRUMENTATION_ABORTED: (.*)")
INSTRUMENTATION_FAILED = re.compile(r"INSTRUMENTATION_STATUS: Error=(.*)|"
                                    r"INSTRUMENTATION_FAILED: (.*)")
# Noisy and rarely useful (test_syslog writes thousands of lines): shown with -vv.
NOISE = "from python test_syslog"


# --- the binary format --------------------------------------------------------
#
# Each entry is a header, then `len` bytes of payload.  The header is AOSP's
# `struct logger_entry` (system/logging/liblog/include/log/log_read.h),
# little-endian:
#
#   u16 len        payload length
#   u16 hdr_size   header length: 0 in v1 (whose header is 20 bytes; this
#                  field was padding), 24 in v2 (+ u32 euid) and v3
#                  (+ u32 lid, the log buffer), 28 in v4 (+ u32 lid, u32 uid)
#   i32 pid, u32 tid, u32 sec, u32 nsec
#   ...            the version's extra fields, skipped by hdr_size
#
# The payload is `u8 priority`, the tag and NUL, then the message (usually
# NUL-terminated).  Priorities are android/log.h's: 2 verbose ... 7 fatal.

ENTRY_PREFIX = struct.Struct("<HH")
ENTRY_COMMON = struct.Struct("<iIII")  # pid, tid, sec, nsec
V1_HEADER_SIZE = 4 + ENTRY_COMMON.size
MAX_HEADER_SIZE = 100  # v4 is 28; anything far larger is not a logger_entry
LEVELS = {2: "V", 3: "D", 4: "I", 5: "W", 6: "E", 7: "F"}


def split_logcat_line(line: str) -> tuple[str, str, str] | None:
    """(level, tag, message) of a `logcat -v tag` line, `P/tag     : message`
    (the tag padded to 8 columns).  The tag ends at the first colon, found
    with str.partition: linear on any line, where `(.*?) *:` retried a long
    run of spaces from each of its positions."""
    if len(line) < 2 or line[0] not in "VDIWEFAS" or line[1] != "/":
        return None
    tag, colon, message = line[2:].partition(":")
    if not colon:
        return None
    return line[0], tag.rstrip(" "), message[1:] if message.startswith(" ") else message


@dataclass(frozen=True)
class LogMessage:
    pid: int
    level: str  # V D I W E F
    tag: str
    message: str


#: ActivityManager's line when it starts an app's process ("Start proc
#: 1234:org.python.testbed/u0a190 for added application ...").
PROCESS_START = re.compile(r"Start proc (\d+):([\w.]+)/")


def app_pids(entries: list[LogMessage], app_id: str, alone: bool) -> list[int]:
    """The PIDs of `app_id`'s processes in a logcat dump, in order: those
    ActivityManager started for it or whose native crash names it; and, when
    it is the only testbed app on the device (`alone`), any that logged Python's tags."""
    pids = []
    for e in entries:
        start = PROCESS_START.search(e.message) if e.tag == "ActivityManager" else None
        if ((start and start.group(2) == app_id)
                or (e.tag == "libc" and f"pid {e.pid} ({app_id})" in e.message)
                or (alone and e.tag.startswith("python."))):
            pids.append(int(start.group(1)) if start else e.pid)
    return pids


class NotBinary(ValueError):
    """The stream is not logcat's binary format (e.g. logcat's usage text)."""


def valid_prefix(prefix: bytes) -> bool:
    length, header = ENTRY_PREFIX.unpack(prefix)
    return header == 0 or V1_HEADER_SIZE <= header <= MAX_HEADER_SIZE


def read_entry(stream: IO[bytes]) -> LogMessage | None:
    """One entry from `stream`; None at a clean end.  NotBinary if the bytes
    cannot be a logger_entry."""
    prefix = stream.read(ENTRY_PREFIX.size)
    if len(prefix) < ENTRY_PREFIX.size:
        return None
    if not valid_prefix(prefix):
        raise NotBinary(prefix)
    length, header = ENTRY_PREFIX.unpack(prefix)
    rest = stream.read((header or V1_HEADER_SIZE) - ENTRY_PREFIX.size + length)
    if len(rest) < (header or V1_HEADER_SIZE) - ENTRY_PREFIX.size + length:
        return None  # cut off: the stream ended mid-entry
    pid = ENTRY_COMMON.unpack_from(rest)[0]
    payload = rest[(header or V1_HEADER_SIZE) - ENTRY_PREFIX.size:]
    return decode_payload(pid, payload)


def decode_payload(pid: int, payload: bytes) -> LogMessage:
    priority = payload[0] if payload else 0
    tag, _, message = payload[1:].partition(b"\0")
    if message.endswith(b"\0"):
        message = message[:-1]
    return LogMessage(pid, LEVELS.get(priority, "?"), tag.decode("utf-8", "replace"),
                      message.decode("utf-8", "replace"))


#: What a stream reader queues: a text line, a binary log message, or None (ended).
Item = str | LogMessage | None


@dataclass
class RunState:
    """What the streams told us so far."""

    exit_status: int | None = None  # from the app's "Python exited" line
    reported_status: int | None = None  # from INSTRUMENTATION_STATUS: pythonExitStatus
    fatal: str | None = None  # the first F/ line
    signal_number: int | None = None
    short_msg: str | None = None
    failed: str | None = None  # instrumentation could not start
    finished: bool = False  # `am instrument` printed its INSTRUMENTATION_CODE
    aborted: str | None = None  # INSTRUMENTATION_ABORTED's reason ("System has crashed.")
    python_output: bool = False
    instrumentation: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)


class LineReader:
    """Reads a blocking adb stream in a thread; lines (then None) go to an asyncio queue.

    With `fallback`, the stream is logcat's binary format: entries are queued
    as `LogMessage`s, and if the first bytes are not an entry (the device's
    logcat refused --binary), `fallback()` opens the text stream read instead."""

    def __init__(self, connection: Any, source: str, queue: asyncio.Queue[tuple[str, Item]],
                 loop: asyncio.AbstractEventLoop,
                 fallback: Callable[[], Any] | None = None) -> None:
        self.connection = connection
        self.fallback = fallback
        self.thread = threading.Thread(target=self._read, args=(source, queue, loop),
                                       daemon=True, name=f"adb-{source}")
        self.thread.start()

    def _read(self, source: str, queue: asyncio.Queue[tuple[str, Item]],
              loop: asyncio.AbstractEventLoop) -> None:
        def put(item: tuple[str, Item]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, item)

        try:
            if self.fallback is not None and self._read_binary(source, put):
                return
            with self.connection.conn.makefile("rb") as stream:
                for raw in stream:
                    put((source, raw.decode("utf-8", "replace").rstrip("\r\n")))
        except (OSError, ValueError):
            pass  # closed under us, or the device went away
        finally:
            put((source, None))

    def _read_binary(self, source: str, put: Callable[[tuple[str, Item]], None]) -> bool:
        """Entries until the end (True), or False after switching to text."""
        assert self.fallback is not None
        with self.connection.conn.makefile("rb") as stream:
            try:
                while (entry := read_entry(stream)) is not None:
                    put((source, entry))
                return True
            except NotBinary:
                pass
        self.close()
        self.connection = self.fallback()
        put((source, "logcat refused --binary: reading `logcat -v tag` text instead"))
        return False

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
        self.partial: dict[str, LineSplitter[str]] = {}  # stream: its line not ended yet

    def handle(self, source: str, line: Item) -> bool:
        if line is None:
            if source == "logcat":
                self.flush_python()
            return source != "logcat"
        if isinstance(line, LogMessage):
            self.handle_message(line)
        elif source == "logcat":
            self.handle_logcat(line)
        elif source == "instrumentation":
            self.handle_instrumentation(line)
        else:  # Gradle: shown with -v, and SDK installs (minutes long) always
            self.emit(line, "stdout", hidden=not (self.verbose or
                                                  line.startswith('Preparing "Install')))
        return False

    def handle_logcat(self, line: str) -> None:
        """A `-v tag` text line: one line of one message."""
        fields = split_logcat_line(line)
        if fields is None:  # a continuation line of a multi-line message (not Python's)
            self.emit(line, "stdout", hidden=not self.verbose)
            return
        level, tag, message = fields
        if tag in PYTHON_TAGS:
            self.python_line(message, PYTHON_TAGS[tag])
            return
        self.other_message(level, tag, message, line)

    def handle_message(self, entry: LogMessage) -> None:
        """A binary entry: Python's output is reassembled into lines (the app
        logs a line, or what was written of one, per message)."""
        if entry.tag in PYTHON_TAGS:
            stream = PYTHON_TAGS[entry.tag]
            for line in self.partial.setdefault(stream, LineSplitter("")).feed(entry.message):
                self.python_line(line, stream)
            return
        message = entry.message.rstrip("\n")
        self.other_message(entry.level, entry.tag, message, f"{entry.level}/{entry.tag}: {message}")

    def flush_python(self) -> None:
        """The stream ended: what Python wrote of a last line is still output."""
        for stream, lines in list(self.partial.items()):
            if rest := lines.rest():
                self.python_line(rest, stream)
        self.partial.clear()

    def python_line(self, text: str, stream: str) -> None:
        self.state.python_output = True
        if NOISE in text and self.verbose < 2:
            return
        self.on_line(text, stream)

    def other_message(self, level: str, tag: str, message: str, line: str) -> None:
        if tag == "python.testbed" and (m := EXIT_MARKER.search(message)) and (
                status := int_or_none(m.group(1), low=-2**31, high=2**31 - 1)) is not None:
            self.state.exit_status = status
            return
        if level == "F":
            self.state.fatal = self.state.fatal or line
            if (m := FATAL_SIGNAL.search(message)) and self.state.signal_number is None:
                self.state.signal_number = int_or_none(m.group(1), low=1, high=64)
        stream = "stderr" if level in ("W", "E", "F") else "stdout"
        self.emit(line, stream, hidden=not (self.verbose or level == "F"))

    def handle_instrumentation(self, line: str) -> None:
        self.state.instrumentation.append(line)
        if (m := EXIT_STATUS.search(line)) and (
                status := int_or_none(m.group(1), low=-2**31, high=2**31 - 1)) is not None:
            self.state.reported_status = status
        elif RESULT_CODE.search(line):
            self.state.finished = True
        elif m := ABORTED.search(line):
            self.state.aborted = m.group(1).strip()
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
