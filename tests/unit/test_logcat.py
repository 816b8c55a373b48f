"""Logcat's binary format: every logger_entry header version is read, a message
with embedded newlines stays one message, Python's partial-line messages are
reassembled, and a logcat that refuses --binary is read as `-v tag` text.

The entries come from the ADB double's own encoder (tests/support/adb_double.py),
written from AOSP's log/log_read.h, not from the parser under test."""

from __future__ import annotations

import io

import pytest

from cpython_android.runners.logcat import (
    LogMessage,
    NotBinary,
    OutputRouter,
    app_pids,
    read_entry,
)
from support.adb_double import LogEntry, logger_entry, tag_format

PID = 4242
ENTRIES = [
    LogEntry(PID, "I", "python.stdout", "0:00:00 [1/2] test_a\n"),
    LogEntry(PID, "I", "python.stdout", "."),  # written without a newline, then flushed
    LogEntry(PID, "I", "python.stdout", "."),
    LogEntry(PID, "I", "python.stdout", ". ok\n"),
    LogEntry(PID, "W", "python.stderr", "Traceback (most recent call last):\n"),
    LogEntry(PID, "E", "DEBUG", "backtrace:\n  #00 pc 0001  libc.so\n  #01 pc 0002  app"),
    LogEntry(PID, "I", "python.stdout", "python.stdout: not a tag\n"),
    LogEntry(PID, "I", "python.testbed", "Python exited with status 3"),
    LogEntry(PID, "I", "python.stdout", "last words"),  # never finished
]


def route(items, verbose: int = 1) -> tuple[list[tuple[str, str]], OutputRouter]:
    lines: list[tuple[str, str]] = []
    router = OutputRouter(lambda line, stream: lines.append((stream, line)), verbose)
    for item in items:
        router.handle("logcat", item)
    router.handle("logcat", None)
    return lines, router


def parse_all(data: bytes) -> list[LogMessage]:
    stream = io.BytesIO(data)
    found = []
    while (entry := read_entry(stream)) is not None:
        found.append(entry)
    return found


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_every_header_version_gives_whole_messages(version):
    data = b"".join(logger_entry(e, version) for e in ENTRIES)
    messages = parse_all(data)
    assert [(m.pid, m.level, m.tag, m.message) for m in messages] == [
        (e.pid, e.level, e.tag, e.message) for e in ENTRIES]

    lines, router = route(messages)
    assert lines == [
        ("stdout", "0:00:00 [1/2] test_a"),
        ("stdout", "... ok"),
        ("stderr", "Traceback (most recent call last):"),
        ("stderr", "E/DEBUG: backtrace:\n  #00 pc 0001  libc.so\n  #01 pc 0002  app"),
        ("stdout", "python.stdout: not a tag"),
        ("stdout", "last words"),
    ]
    assert router.state.exit_status == 3


def test_text_format_splits_what_binary_keeps_whole():
    # The fallback reads what `logcat -v tag` prints: the backtrace becomes
    # three entries, the dots three lines.  That is why binary is preferred.
    text = "".join(tag_format(e) for e in ENTRIES).splitlines()
    lines, _ = route(text)
    assert ("stdout", ".") in lines
    assert ("stderr", "E/DEBUG: backtrace:") in lines
    assert ("stderr", "E/DEBUG:   #00 pc 0001  libc.so") in lines


def test_a_truncated_entry_ends_the_stream_quietly():
    data = logger_entry(ENTRIES[0], 4)
    assert parse_all(data[:-3]) == []


def test_text_is_not_taken_for_an_entry():
    with pytest.raises(NotBinary):
        read_entry(io.BytesIO(b"logcat: unrecognized option '--binary'\n"))


def test_app_pids_tell_the_copies_of_the_app_apart() -> None:
    """`logcat -d` after a run too quick for pidof: this copy's process, not another's."""
    entries = [LogMessage(522, "I", "ActivityManager",
                          "Start proc 4101:org.python.testbed/u0a190 for added application"),
               LogMessage(522, "I", "ActivityManager",
                          "Start proc 4102:org.python.testbed.s1/u0a191 for added application"),
               LogMessage(4101, "I", "python.stdout", "slot 0\n"),
               LogMessage(4102, "I", "python.stdout", "slot 1\n"),
               LogMessage(4103, "F", "libc", "Fatal signal 11 (SIGSEGV), code 1 in tid 4103 "
                          "(org.python.testbed.s1), pid 4103 (org.python.testbed.s1)")]
    assert app_pids(entries, "org.python.testbed.s1", alone=False) == [4102, 4103]
    assert app_pids(entries, "org.python.testbed", alone=False) == [4101]
    # The only app on the device: its python.* lines say it, as before.
    assert app_pids(entries[2:3], "org.python.testbed", alone=True) == [4101]
