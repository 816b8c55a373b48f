"""regrtest's output, one line at a time: the patterns and small parsers
that recognise progress lines, test-case lines, durations and tracebacks.
Moved unchanged from results/regrtest.py (the parser that holds state)."""

from __future__ import annotations

import re
from collections import deque

from ..textutil import read_float
from .cases import (
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    FileState,
)

#: Lines of a file's loose output kept for crash and failure details.

_PROGRESS = re.compile(
    r"(?:\d+:\d\d:\d\d )(?:load avg: [\d.]+ )?\[\s*(\d+)(?:/(\d+))?(?:/\d+)?\] (\S+)(?: (.*))?$")
_RUN_HEADER = re.compile(r"(?:\d+:\d\d:\d\d )(?:load avg: [\d.]+ )?Run (?:\d+ tests?|tests) "
                         r"(sequentially|in parallel)(?:.*?\(timeout: ([^,)]+))?")
# "Re-running 2 failed tests in verbose mode [in subprocesses]" (not the
# per-file "Re-running test_x in verbose mode (matching: ...)").
_RERUN_HEADER = re.compile(r"Re-running (\d+) failed tests? in verbose mode")
_RUNNING_LINE = re.compile(r"\d+:\d\d:\d\d (?:load avg: [\d.]+ )?running \(\d+\): ")
_DURATION = (r"\d+ ms|\d+(?:\.\d+)? sec|\d+ min(?: \d+ sec)?|\d+ hour(?: \d+ min)?")
_TRAILING_DURATION = re.compile(rf"(?: in ({_DURATION})| \(({_DURATION})\))$")
# Bounded digits, each starting a number: linear on any text, and a
# 5,000-digit "duration" (not regrtest's) is no duration at all.
_DURATION_PART = re.compile(r"(?<![\d.])(\d{1,12}(?:\.\d{1,9})?) (ms|sec|min|hour)", re.ASCII)
# "name (dotted.id)" optionally followed by a subtest description.
_CASE_HEAD = re.compile(r"(\S+) \(([A-Za-z_][\w.]*)\)(?: (.+?))?")
# ` *+` (possessive): a line of many spaces and no " ..." fails in linear time.
_CASE_LINE = re.compile(r"( *+)(.+?) \.\.\.(?: (.*))?$")
_ERROR_HEADER = re.compile(r"(ERROR|FAIL|UNEXPECTED SUCCESS): (.+)$")
_TIMEOUT_LINE = re.compile(r"Timeout \((\d+):(\d\d):(\d\d)\)!$")
_FRAME = re.compile(r'\s*File "([^"]*)", line \d+,? in (\S+)')
_RAN_LINE = re.compile(r"Ran \d+ tests? in ")
_SEPARATOR_EQ = "=" * 70
_SEPARATOR_DASH = "-" * 70

_VERBOSE_STATUS = {
    "ok": (PASSED, ""),
    "FAIL": (FAILED, ""),
    "ERROR": (ERROR, ""),
    "expected failure": (PASSED, "expected failure"),
    "unexpected success": (FAILED, "unexpected success"),
}


def parse_duration(text: str) -> float:
    """regrtest's `format_duration` back to seconds: "2 min 1 sec" -> 121.0."""
    scale = {"ms": 0.001, "sec": 1.0, "min": 60.0, "hour": 3600.0}
    return sum(read_float(n, "a duration") * scale[unit]
               for n, unit in _DURATION_PART.findall(text))


def _file_status(text: str) -> tuple[FileState, str]:
    """The result words after a file name -> (file status, regrtest's reason)."""
    if text.startswith("passed"):
        return FileState.PASSED, ""
    if text.startswith("failed"):
        detail = text[len("failed"):].strip().strip("()")
        special = {"uncaught exception": FileState.UNCAUGHT, "reference leak": FileState.REFLEAK,
                   "env changed": FileState.ENV_CHANGED}
        return special.get(detail, FileState.FAILED), text
    if text.startswith("skipped (resource denied)"):
        return FileState.RESOURCE_DENIED, "resource denied"
    if text.startswith("skipped"):
        return FileState.SKIPPED, ""
    if text.startswith("worker non-zero exit code"):
        inner = text[len("worker non-zero exit code"):].strip()
        why = inner[1:-1] if inner.startswith("(") else "worker non-zero exit code"
        return FileState.CRASHED, why
    if text.startswith("timed out"):
        return FileState.TIMED_OUT, text
    if text.startswith("ran no tests"):
        return FileState.NO_TESTS, "ran no tests"
    if text.startswith("interrupted"):
        return FileState.INTERRUPTED, "interrupted"
    if text.startswith("worker bug"):
        return FileState.WORKER_BUG, text
    return FileState.FAILED, text


def _split_case_head(text: str) -> tuple[str, str, str] | None:
    """`test_y (mod.Class.test_y) (x=1)` -> (classname, name, subtest) or None."""
    m = _CASE_HEAD.fullmatch(text)
    if m is None:
        return None
    name, ident, sub = m.group(1), m.group(2), m.group(3) or ""
    if ident.endswith("." + name):
        classname = ident[: -len(name) - 1]
    else:  # setUpClass (mod.Class), setUpModule (mod), or an older id format
        classname = ident
    if sub:
        inner = sub[1:-1] if sub.startswith("(") and sub.endswith(")") else sub
        name = f"{name} (subtest {inner})"
    return classname, name, sub


def _doctest_head(head: str) -> tuple[str, str, str] | None:
    """`Doctest: test.test_x.Class.method` -> ("test.test_x.Class", "method", "");
    a module's own doctest, `Doctest: json`, -> ("json", "json", "") as in XML."""
    if not head.startswith("Doctest: "):
        return None
    ident = head[len("Doctest: "):].strip()
    if not ident or " " in ident:
        return None
    classname, name = doctest_key(ident)
    return classname, name, ""


def doctest_key(ident: str) -> tuple[str, str]:
    """(classname, name) of a test id; a dotless id (a module's doctest) is both,
    so the -v output and regrtest's XML name it alike."""
    classname, _, name = ident.rpartition(".")
    return (classname, name) if classname else (ident, ident)


def _verbose_status(text: str) -> tuple[str, str] | None:
    """`ok`, `FAIL`, `skipped 'why'`, ... -> (case status, message); None if not a status."""
    found = _VERBOSE_STATUS.get(text)
    if found is not None:
        return found
    if text.startswith("skipped"):
        reason = text[len("skipped"):].strip()
        if len(reason) >= 2 and reason[0] == reason[-1] and reason[0] in "'\"":
            reason = reason[1:-1]
        return SKIPPED, reason
    return None


def _test_from_traceback(lines: deque[str]) -> str | None:
    """The test method in a faulthandler traceback: the frame just above
    unittest's `_callTestMethod` (frames are listed most recent first)."""
    previous: tuple[str, str] | None = None
    for line in lines:
        m = _FRAME.match(line)
        if m is None:
            previous = None
            continue
        path, func = m.groups()
        if func == "_callTestMethod" and previous is not None:
            module = previous[0].rsplit("/", 1)[-1].removesuffix(".py")
            return f"{previous[1]} (in {module}.py)"
        previous = (path, func)
    return None
