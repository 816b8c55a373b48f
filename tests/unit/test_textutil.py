"""The one reader of numbers from text (issue 30): bounded digits, ranges,
types, and one clear error; and the parsers that use it on hostile lines."""

from __future__ import annotations

import re

import pytest

from cpython_android.crash import parse
from cpython_android.results import RegrtestParser
from cpython_android.results.events import read_events
from cpython_android.runners.logcat import split_logcat_line
from cpython_android.textutil import (
    LineSplitter,
    NumberError,
    int_or_none,
    read_float,
    read_int,
)

HUGE = "9" * 5000


@pytest.mark.parametrize("text, low, high, value", [
    ("0", 0, 10, 0), ("10", 0, 10, 10), ("-3", -5, 5, -3), ("007", 0, 10, 7),
])
def test_read_int_accepts_ascii_digits_in_range(text, low, high, value):
    assert read_int(text, "a count", low=low, high=high) == value


@pytest.mark.parametrize("text", [
    "", "-", "+", "11", "-1", "²", "١", "1.0", " 1", "1 ", "+-1", "0x1", HUGE, "1_0",
])
def test_read_int_refuses_in_one_line_naming_what(text):
    with pytest.raises(NumberError) as e:
        read_int(text, "the port", low=0, high=10)
    message = str(e.value)
    assert message.startswith("the port ") and "\n" not in message and len(message) < 200


def test_read_int_refuses_5000_digits_before_int_sees_them():
    with pytest.raises(NumberError, match="5,000 characters"):
        read_int(HUGE, "the count")
    assert int_or_none(HUGE) is None and int_or_none("12") == 12


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "-5.0", "1e999", HUGE, "zz", "٣"])
def test_read_float_refuses_what_is_not_a_finite_time(text):
    with pytest.raises(NumberError):
        read_float(text, "time")


def test_read_float_reads_a_time():
    assert read_float("1.25", "time") == 1.25 and read_float(" 2 ", "time") == 2.0


@pytest.mark.parametrize("line", [
    f"0:00:01 [1/{HUGE}] test_os",
    f"Re-running {HUGE} failed tests in verbose mode",
    f"Timeout ({HUGE}:00:00)!",
    f"0:00:01 [1/1] test_os passed in {HUGE} sec",
])
def test_regrtest_lines_with_huge_numbers_are_output_not_tracebacks(line):
    parser = RegrtestParser()
    parser.feed("0:00:00 Run 1 test sequentially")
    parser.feed("0:00:00 [1/1] test_os")
    parser.feed(line)
    results = parser.finish()
    assert "test_os" in results.files


@pytest.mark.parametrize("text", [
    f"pid: {HUGE}, tid: 1, name: x  >>> p <<<",
    f"Fatal signal {HUGE} (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0",
    f"Fatal signal 11 (SIGSEGV), code 1 (X), fault addr 0x0 in tid {HUGE} (a), pid 1 (b)",
    f"signal {HUGE} (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0",
    f"qemu: uncaught target signal {HUGE} (Segmentation fault)",
    f"backtrace:\n  #{HUGE} pc 0000000000001000  /system/lib64/libc.so",
    f'Current thread 0x1 (most recent call first):\n  File "x.py", line {HUGE} in f',
])
def test_crash_reports_with_huge_numbers_parse_without_them(text):
    report = parse(text)
    assert report.pid is None and report.signal in (None, 11)
    assert report.frames == [] and report.python_frames == []


@pytest.mark.parametrize("empty", ["", b""])
def test_line_splitter_joins_a_line_spread_over_chunks(empty):
    def conv(text):
        return text if isinstance(empty, str) else text.encode()
    lines = LineSplitter(empty)
    got = []
    for chunk in ["ab", "c", "d\ne", "", "\n\nf", "g"]:
        got += lines.feed(conv(chunk))
    assert got == [conv("abcd"), conv("e"), conv("")] and lines.rest() == conv("fg")
    assert lines.rest() == conv("")


OLD_LOGCAT_LINE = re.compile(r"([VDIWEFAS])/(.*?) *: ?(.*)", re.DOTALL)


@pytest.mark.parametrize("line", [
    "I/python.stdout: hello", "E/DEBUG   : pid: 1", "F/libc    :  two spaces", "I/x:",
    "I/x", "X/tag: m", "I/a: b: c", "W/  : m", "I/tag   :no space", "", "I",
])
def test_logcat_lines_split_as_the_pattern_did(line):
    m = OLD_LOGCAT_LINE.fullmatch(line)
    assert split_logcat_line(line) == (None if m is None else m.groups())


def test_an_event_whose_time_is_no_time_is_not_an_event(tmp_path):
    events = tmp_path / "events.jsonl"
    lines = ['{"e": "file", "t": "abc", "id": "test_os"}', '{"e": "file", "t": NaN}',
             '{"e": "file", "t": 1e999}', f'{{"e": "file", "t": {HUGE}}}',
             '{"e": "run", "t": 1.5}']
    events.write_text("\n".join(lines) + "\n")
    log, offset = read_events(events)
    assert log.runs == 1 and offset == events.stat().st_size
