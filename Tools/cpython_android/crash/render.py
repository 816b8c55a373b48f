"""A crash report as people read it: the text for JUnit's `<error>` and
crash-HOST-TEST.txt, and the one phrase for the summary line
("SIGSEGV in PyObject_GetAttr (Objects/object.c:1252)")."""

from __future__ import annotations

import re

from .report import CrashReport, NativeFrame

#: Where a standard library file's name starts ("ctypes/__init__.py").
_STDLIB = re.compile(r"/lib/python3\.\d+t?/(.*)$")


def signal_text(report: CrashReport) -> str:
    if report.signal_name:
        return report.signal_name
    if report.fatal_error:
        return f"Fatal Python error: {report.fatal_error}"
    return "crash"


def top_frame(report: CrashReport) -> str:
    """What crashed where, in one phrase: the innermost symbolized native
    frame of the build (the function the pc is in, at its line there: a
    helper inlined into it, such as Py_TYPE, is in the report), else
    debuggerd's own name for frame #00, else the innermost Python frame."""
    what = signal_text(report)
    for frame in report.frames:
        if frame.locations:
            loc = frame.locations[-1]
            where = loc.where()
            return f"{what} in {loc.function}" + (f" ({where})" if where else "")
    if report.frames and report.frames[0].hint:
        first = report.frames[0]
        return f"{what} in {first.hint} ({first.library})"
    if report.python_frames:
        py = report.python_frames[0]
        return f"{what} in {py.function} ({python_file(py.file)}:{py.line}, Python)"
    return what


def python_file(path: str) -> str:
    m = _STDLIB.search(path)
    return m.group(1) if m else path


def format_report(report: CrashReport, *, title: str = "Native crash report",
                  python_above: bool = False) -> str:
    """The whole report as text (`python_above`: the text it follows already
    holds faulthandler's traceback, which is then not repeated)."""
    lines = [f"{title}: {top_frame(report)}"]
    if report.signal is not None:
        fault = f", fault addr {report.fault_addr}" if report.fault_addr else ""
        code = f", code {report.code}" if report.code else ""
        lines.append(f"signal {report.signal} ({report.signal_name}){code}{fault}")
    for label, value in (("Cause", report.cause), ("Abort message", report.abort_message),
                         ("Fatal Python error", report.fatal_error), ("ABI", report.abi)):
        if value:
            lines.append(f"{label}: {value}")
    if report.pid is not None:
        lines.append(f"pid {report.pid}, tid {report.tid} ({report.process})")
    if report.frames:
        tool = f", with {report.symbolizer}" if report.symbolizer else ""
        lines += ["", "Native backtrace (symbolized against the build's unstripped files, "
                  f"matched by BuildId{tool}):"]
        for frame in report.frames:
            lines += _frame_lines(frame)
    elif report.debuggerd or report.signal is not None:
        lines += ["", "Native backtrace: none in the report (debuggerd writes one on a "
                  "device; faulthandler gives only the Python frames)"]
    if report.python_frames and python_above:
        lines += ["", f"Python traceback: faulthandler's, above ({len(report.python_frames)} "
                  "frames)"]
    elif report.python_frames:
        lines += ["", "Python traceback (faulthandler, most recent call first):"]
        lines += [f'  File "{f.file}", line {f.line} in {f.function}'
                  for f in report.python_frames]
    if report.notes:
        lines += ["", "Notes:", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def _frame_lines(frame: NativeFrame) -> list[str]:
    head = f"  #{frame.index:02d} pc {frame.pc:016x}  {frame.path}"
    if frame.hint:
        head += f" ({frame.hint})"
    if not frame.locations:
        return [head, f"        {frame.note}"] if frame.note else [head]
    lines = [head]
    for depth, loc in enumerate(frame.locations):
        inlined = " (inlined)" if depth < len(frame.locations) - 1 else ""
        where = f" at {loc.where()}" if loc.where() else ""
        lines.append(f"        {loc.function}{where}{inlined}")
    return lines
