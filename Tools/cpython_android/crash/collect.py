"""After a crash: the report, symbolized, where people look.

`CrashSymbols` is what a run needs to symbolize its crashes (the build's
directories, the host, the NDK, where reports go); making it costs nothing:
the build's files are read (for their BuildIds) only when a crash comes.
`report_crash` turns the text a crash left (the output's tail with
faulthandler's and bionic's lines; on Android debuggerd's logcat lines or a
tombstone) into the report text and the summary's phrase, and saves the
report as ``cross-build/logs/crash-HOST-TEST.txt``.  It never raises for bad
input: what it could not do is a note in the report.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..hosts import Host
from ..results.events import case_key
from ..toolchains.ndk import ANDROID_HOME_ENV, DEFAULT_NDK_VERSION
from .elf import BuildIdIndex
from .render import format_report, top_frame
from .report import CrashReport, has_python_traceback, parse
from .symbolize import Symbolizer, find_symbolizer, symbolize

if TYPE_CHECKING:
    from ..layout import Layout
    from ..results import TestFile

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class CrashSymbols:
    """How to symbolize one host's crashes (cheap to make: nothing is read yet)."""

    host_name: str  # "x86_64-linux-android", "aarch64-linux-gnu", "build"
    host: Host | None  # None: the native build python
    roots: tuple[Path, ...]  # the build's prefix and build tree
    logs_dir: Path
    ndk_dir: Path | None = None
    search_path: str | None = None  # PATH for the symbolizer (None: ours)
    _index: BuildIdIndex | None = field(default=None, repr=False)
    _symbolizer: tuple[Symbolizer | None, str] | None = field(default=None, repr=False)

    @property
    def index(self) -> BuildIdIndex:
        if self._index is None:
            self._index = BuildIdIndex(self.roots)
        return self._index

    def symbolizer(self) -> tuple[Symbolizer | None, str]:
        if self._symbolizer is None:
            self._symbolizer = find_symbolizer(self.host, self.ndk_dir, self.search_path)
        return self._symbolizer


def for_layout(layout: Layout, host: Host | None, ndk_version: str | None = None
               ) -> CrashSymbols:
    """The crash symbols of `host`'s build (None: the build python) in `layout`."""
    if host is None:
        return CrashSymbols("build", None, (layout.build_dir,), layout.logs_dir)
    return CrashSymbols(host.triplet, host, (layout.prefix(host), layout.host_dir(host)),
                        layout.logs_dir, ndk_dir=_ndk_dir(host, ndk_version))


def _ndk_dir(host: Host, ndk_version: str | None) -> Path | None:
    if not host.is_android:
        return None
    home = os.environ.get(ANDROID_HOME_ENV)
    return Path(home) / "ndk" / (ndk_version or DEFAULT_NDK_VERSION) if home else None


@dataclass(frozen=True)
class CrashSummary:
    text: str  # the whole report
    top: str  # "SIGSEGV in PyObject_GetAttr (Objects/object.c:1252)"
    path: Path | None  # where it was saved (None: could not be written)
    report: CrashReport


def analyse(text: str, symbols: CrashSymbols) -> CrashReport:
    """Parse and symbolize `text`; never raises for bad input."""
    report = parse(text)
    if report.frames:
        symbolizer, why = symbols.symbolizer()
        symbolize(report, symbols.index, symbolizer, why)
    return report


def report_crash(text: str, symbols: CrashSymbols, test: str, *, python_above: bool = False
                 ) -> CrashSummary | None:
    """The crash in `text` (None when it shows none), saved for `test`
    (whole); the summary's text leaves out the Python traceback when it is
    to follow one (`python_above`)."""
    report = analyse(text, symbols)
    if report.empty:
        return None
    title = f"{test or 'the run'} crashed"
    saved = body = format_report(report, title=title)
    if python_above:
        body = format_report(report, title=title, python_above=True)
    path: Path | None = symbols.logs_dir / f"crash-{symbols.host_name}-{_safe(test)}.txt"
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(saved + "\n--- the text it was made from ---\n" + text, encoding="utf-8")
    except OSError as e:
        body += f"\n(could not save the report as {path}: {e.strerror or e})\n"
        path = None
    return CrashSummary(body, top_frame(report), path, report)


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("_")[:150] or "run"


def attach(f: TestFile, test_id: str | None, symbols: CrashSymbols, device_text: str = ""
           ) -> CrashSummary | None:
    """The crash of `f` (its test `test_id`, or the file itself) into the
    result model: the report appended to the crashed case's text (JUnit's
    `<error>`), its top frame for the summary line.  The output the case
    holds (faulthandler's and bionic's lines) and the device's report
    (`device_text`) are its sources.  Never raises for bad input."""
    case = None
    if test_id:
        key = case_key(test_id)
        case = next((c for c in reversed(f.cases) if c.key == key), None)
    output = case.detail if case is not None else f.output
    # faulthandler's traceback is in the output already: not twice in <error>.
    summary = report_crash("\n".join(filter(None, [output, device_text])), symbols,
                           test_id or f.name, python_above=has_python_traceback(output))
    if summary is None:
        return None
    text = summary.text
    if case is not None:
        case.detail = f"{case.detail.rstrip()}\n\n{text}" if case.detail else text
    else:
        f.output = f"{f.output.rstrip()}\n\n{text}" if f.output else text
    f.crash_frames[test_id or ""] = summary.top
    if summary.path is not None:
        f.crash_reports[test_id or ""] = str(summary.path)
    return summary


def symbolize_command(text: str, symbols: CrashSymbols, source: str) -> tuple[str, int]:
    """`android.py symbolize`: the report of the crash pasted in `text` (from
    `source`, for the message) and the exit status (1: no crash in it)."""
    report = analyse(text, symbols)
    if report.empty:
        return (f"no crash report in {source}: expected debuggerd's logcat lines or a "
                "tombstone (`backtrace:` and `#00 pc ...` frames), bionic's `Fatal signal` "
                "line or faulthandler's `Fatal Python error`\n", 1)
    return format_report(report, title="Crash"), 0
