"""A native crash report, parsed from the text a crash leaves behind.

Three sources, in any mix (one paste may hold a logcat and faulthandler's
output, or a tombstone):

- debuggerd's report, as Android writes it to logcat (tag ``DEBUG``, any of
  logcat's ``-v`` formats) and to ``/data/tombstones/tombstone_NN``: the
  ``*** *** ***`` banner, ``pid: P, tid: T, name: N  >>> PROCESS <<<``,
  ``signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x...``, ``Cause:``,
  ``Abort message: '...'`` and the crashing thread's ``backtrace:`` frames,
  ``#00 pc 00000000001d1a3c  /path/lib.so (offset 0x..) (func+12) (BuildId: hex)``
  (AOSP system/core debuggerd, libdebuggerd/tombstone_proto_to_text.cpp: the
  pc is the frame's ``rel_pc``, an address in the ELF file; the function offset
  is decimal);
- bionic's own line, ``Fatal signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault
  addr 0x0 in tid T (NAME), pid P (NAME)`` (tag ``libc``, or on stderr when
  there is no log daemon, as on the android-lab);
- faulthandler's ``Fatal Python error: ...`` and the Python frames under
  ``Current thread 0x... (most recent call first):`` (its fatal error names
  the signal, as faulthandler.c's handler table does), and qemu-user's
  ``qemu: uncaught target signal 11 (Segmentation fault)``.

Only the first thread's backtrace is kept (debuggerd prints the crashing
thread first); what the text lacks or cuts short is said in `notes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..textutil import int_or_none, shown


@dataclass
class Location:
    """One source location a symbolizer gave for a frame (several: inlined)."""

    function: str
    file: str = ""  # as the debug info names it ("" when unknown)
    line: int = 0

    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class NativeFrame:
    """One frame of a native backtrace."""

    index: int
    pc: int  # address in the ELF file (debuggerd's rel_pc)
    path: str  # the library as the device names it
    build_id: str = ""  # lower-case hex, "" when the report gives none
    map_offset: int = 0  # "(offset 0x..)": the ELF lies inside a file (an APK)
    hint: str = ""  # debuggerd's own "func+12", from the dynamic symbols
    locations: list[Location] = field(default_factory=list)  # innermost first
    note: str = ""  # why it stays unsymbolized

    @property
    def library(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class PythonFrame:
    file: str
    line: int
    function: str


@dataclass
class CrashReport:
    """What one crash left: signal, native frames, Python frames, notes."""

    signal: int | None = None
    signal_name: str = ""  # "SIGSEGV"
    code: str = ""  # "1 (SEGV_MAPERR)"
    fault_addr: str = ""
    cause: str = ""  # debuggerd's "Cause:" line
    abort_message: str = ""
    fatal_error: str = ""  # faulthandler's "Fatal Python error: ..." text
    pid: int | None = None
    tid: int | None = None
    process: str = ""
    abi: str = ""  # debuggerd's "ABI: 'arm64'"
    frames: list[NativeFrame] = field(default_factory=list)
    python_frames: list[PythonFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    debuggerd: bool = False  # the text had debuggerd's banner or header
    symbolizer: str = ""  # the program that symbolized the frames

    @property
    def empty(self) -> bool:
        return (self.signal is None and not self.fatal_error and not self.frames
                and not self.python_frames)


_BANNER = re.compile(r"\*\*\* \*\*\* \*\*\* \*\*\* \*\*\*")
# Patterns run on every line of a paste after every crash, so each is linear
# in the line: a variable part is bounded or stops at its delimiter, and what
# follows a free-text field is cut with str.partition, not `.*?`.
_HEADER = re.compile(r"pid: (\d+), tid: (\d+), name: ")
_SIGNAL = re.compile(r"\bsignal (\d+) \((\w+)\), code (-?\d+ \([^)]*\))"
                     r"(?:, fault addr (\S+))?")
_FATAL_SIGNAL = re.compile(r"\bFatal signal (\d+) \((\w+)\), code (-?\d+ \([^)]*\))"
                           r"(?:, fault addr (\S+))?(?: in tid (\d+) \((.*?)\), pid (\d+) "
                           r"\((.*?)\))?")
_ABI = re.compile(r"\bABI: '([^']*)'")
_CAUSE = re.compile(r"\bCause: (.+)$")
_ABORT = re.compile(r"\bAbort message: '(.*?)'?$")
_BACKTRACE = re.compile(r"(?:^|[\s:])backtrace:\s*$")
_FRAME = re.compile(r"#(\d+) pc ([0-9a-fA-F]{1,16})\s+(.*)$")
# Matched against a frame's rest with its trailing spaces stripped: no
# leading `\s*`, which a search would retry from every space of a long run.
_FRAME_BUILD_ID = re.compile(r"\(BuildId: ([0-9a-fA-F]{0,64})\)$")
_FRAME_FUNCTION = re.compile(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\+(\d{1,12})\)$")
_FRAME_OFFSET = re.compile(r"\(offset 0x([0-9a-fA-F]{1,16})\)$")
_FATAL_ERROR = re.compile(r"Fatal Python error: (.+)$")
_PY_THREAD = re.compile(r"(?:Current thread|Thread) 0x[0-9a-fA-F]{1,16} .{0,100}?"
                        r"\(most recent call first\):")
_PY_FRAME = re.compile(r'^\s+File "(.*)", line (\d+) in (.+)$')
_QEMU_SIGNAL = re.compile(r"\bqemu: uncaught target signal (\d+) \(")
#: faulthandler's fatal errors and their signals (Modules/faulthandler.c's
#: faulthandler_handlers).
_FAULTHANDLER_SIGNALS = {"Segmentation fault": (11, "SIGSEGV"), "Bus error": (7, "SIGBUS"),
                         "Aborted": (6, "SIGABRT"), "Illegal instruction": (4, "SIGILL"),
                         "Floating-point exception": (8, "SIGFPE")}
_SIGNAL_NAMES = {number: name for number, name in _FAULTHANDLER_SIGNALS.values()}
#: Bounds of the numbers a report holds (a larger one is not the report's):
#: Linux's pid_max limit, its real-time signals, debuggerd's frame count,
#: a C int line number.
MAX_PID, MAX_SIGNAL, MAX_FRAME, MAX_LINE_NUMBER = 2**22, 64, 99_999, 2**31 - 1


def _pid(text: str) -> int | None:
    return int_or_none(text, high=MAX_PID)


def has_python_traceback(text: str) -> bool:
    """Whether `text` holds faulthandler's traceback (its thread line)."""
    return _PY_THREAD.search(text) is not None


def parse(text: str) -> CrashReport:
    """The crash report in `text` (logcat, tombstone, faulthandler, or a mix)."""
    report = CrashReport()
    in_backtrace = backtrace_done = in_python = python_done = False
    frame_lines = 0
    for raw in text.splitlines():
        line = raw.rstrip()
        if in_python and not python_done:
            m = _PY_FRAME.match(line)
            number = None if m is None else int_or_none(m.group(2), high=MAX_LINE_NUMBER)
            if m is not None and number is not None:
                report.python_frames.append(PythonFrame(m.group(1), number, m.group(3)))
                continue
            in_python, python_done = False, bool(report.python_frames)
        if in_backtrace:
            if (m := _FRAME.search(line)) is not None:
                frame_lines += 1
                frame = _frame(m, report)
                if frame is not None:
                    report.frames.append(frame)
                continue
            if "NOTE:" in line or not line.strip() and not report.frames:
                continue
            in_backtrace, backtrace_done = False, bool(report.frames)
        if _BACKTRACE.search(line) and not backtrace_done:
            in_backtrace = True
        elif not python_done and _PY_THREAD.search(line):
            in_python = True
        else:
            _header_line(line, report)
    if in_backtrace and not report.frames:
        report.notes.append("the report ends at `backtrace:` with no frame: it was cut short")
    elif report.debuggerd and not report.frames and not backtrace_done:
        report.notes.append("debuggerd's report has no backtrace (cut short?): no native "
                            "frames to symbolize")
    if report.signal is None and report.fatal_error in _FAULTHANDLER_SIGNALS:
        report.signal, report.signal_name = _FAULTHANDLER_SIGNALS[report.fatal_error]
    if frame_lines > len(report.frames):
        report.notes.append(f"{frame_lines - len(report.frames)} backtrace line(s) could not "
                            "be read")
    return report


def _header_line(line: str, report: CrashReport) -> None:
    if _BANNER.search(line):
        report.debuggerd = True
    elif (header := _header(line)) is not None:
        report.debuggerd = True
        report.pid, report.tid, report.process = header
    elif (m := _FATAL_SIGNAL.search(line)) is not None:
        _set_signal(report, m, override=False)
        pid, tid = _pid(m.group(7) or ""), _pid(m.group(5) or "")
        if pid is not None and tid is not None and report.pid is None:
            report.tid, report.pid, report.process = tid, pid, m.group(8)
    elif (m := _SIGNAL.search(line)) is not None and ("code" in line):
        _set_signal(report, m, override=True)
    elif (m := _QEMU_SIGNAL.search(line)) is not None and report.signal is None:
        number = int_or_none(m.group(1), low=1, high=MAX_SIGNAL)
        if number is not None:
            report.signal = number
            report.signal_name = _SIGNAL_NAMES.get(number, f"signal {number}")
    elif (m := _ABI.search(line)) is not None:
        report.abi = m.group(1)
    elif (m := _CAUSE.search(line)) is not None and report.debuggerd:
        report.cause = report.cause or m.group(1)
    elif (m := _ABORT.search(line)) is not None:
        report.abort_message = report.abort_message or m.group(1)
    elif (m := _FATAL_ERROR.search(line)) is not None:
        report.fatal_error = report.fatal_error or m.group(1).strip()


def _header(line: str) -> tuple[int, int, str] | None:
    """(pid, tid, process) from `pid: P, tid: T, name: N  >>> PROCESS <<<`."""
    if (m := _HEADER.search(line)) is None:
        return None
    _, found, rest = line[m.end():].partition("  >>> ")
    process, closed, _ = rest.partition(" <<<")
    pid, tid = _pid(m.group(1)), _pid(m.group(2))
    if not (found and closed) or pid is None or tid is None:
        return None
    return pid, tid, process


def _set_signal(report: CrashReport, m: re.Match[str], *, override: bool) -> None:
    """debuggerd's `signal N` line is the authority; bionic's `Fatal signal`
    line (written first, by the process itself) fills in what is missing."""
    number = int_or_none(m.group(1), low=1, high=MAX_SIGNAL)
    if number is None or report.signal is not None and not override:
        return
    report.signal, report.signal_name, report.code = number, m.group(2), m.group(3)
    report.fault_addr = m.group(4) or report.fault_addr


def _frame(m: re.Match[str], report: CrashReport) -> NativeFrame | None:
    rest = m.group(3).rstrip()
    index = int_or_none(m.group(1), high=MAX_FRAME)
    if index is None:
        return None
    if rest.count("(") != rest.count(")"):  # the line was cut short: keep what is whole
        report.notes.append(f"backtrace frame #{index:02d} is cut short: "
                            f"{shown(m.group(0).strip(), 200)}")
        rest = rest[:rest.rfind(" (")].rstrip() if " (" in rest else rest
    build_id = hint = ""
    offset = 0
    if (b := _FRAME_BUILD_ID.search(rest)) is not None:
        build_id, rest = b.group(1).lower(), rest[:b.start()].rstrip()
    if (f := _FRAME_FUNCTION.search(rest)) is not None:
        hint, rest = f"{f.group(1)}+{f.group(2)}", rest[:f.start()].rstrip()
    if (o := _FRAME_OFFSET.search(rest)) is not None:
        offset, rest = int(o.group(1), 16), rest[:o.start()]
    path = rest.strip()
    if not path:
        return None
    if report.frames and index != report.frames[-1].index + 1:
        report.notes.append(f"backtrace frame #{index:02d} follows "
                            f"#{report.frames[-1].index:02d}: frames are missing")
    return NativeFrame(index, int(m.group(2), 16), path, build_id, offset, hint)
