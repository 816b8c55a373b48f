"""regrtest results: streamed output and regrtest's own XML in, one model,
JUnit XML and the HTML report out.  See `model` (the data), `regrtest` (the
output parser), `junit` (XML in and out), `junit_in` (our own JUnit back in),
`timeline` (where and when each file ran) and `html`; `convert_log` is the
`android.py results` command.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .cases import FileState, LostDevice
from .events import apply_events, attribute_stop, attribute_stops, read_events
from .html import html_path, write_html
from .junit import MAX_SECONDS, merge_regrtest_xml, write_junit
from .junit_in import read_junit
from .model import (
    Counts,
    RunResults,
    TestCase,
    TestFile,
    mark_crashed,
    mark_not_run,
    mark_timed_out,
    merge,
)
from .regrtest import RegrtestParser, apply_regrtest_options, parse_log
from .summary import append_job_summary, markdown_summary
from .timeline import stamp

__all__ = [
    "append_job_summary", "apply_events", "apply_regrtest_options", "markdown_summary",
    "attribute_stop", "attribute_stops", "read_events", "html_path", "read_junit", "stamp",
    "write_html",
    "Counts", "FileState", "LostDevice", "RegrtestParser", "RunResults", "TestCase", "TestFile",
    "convert_log",
    "mark_crashed", "mark_not_run", "mark_timed_out", "merge", "merge_regrtest_xml",
    "parse_log", "write_junit",
]


def convert_log(log: Path, junit_xml: Path | None, regrtest_xml: Path | None = None,
                html: Path | None = None) -> RunResults:
    """A saved regrtest output (plus, if given, the XML regrtest wrote) to JUnit XML
    at `junit_xml` (None: only the results) and the HTML report at `html`; a
    JUnit file android.py wrote is read back as it is (to make its report)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
        stat = log.stat()
    except OSError as e:
        raise UserError(f"cannot read the log {log}: {e.strerror or e}") from None
    if text.lstrip().startswith("<"):  # XML: the JUnit of an earlier run
        if regrtest_xml is not None:
            raise UserError(f"{log} is a JUnit file already: --regrtest-xml is for a log")
        results, run = read_junit(log)
        if junit_xml is not None:
            write_junit(results, junit_xml, run)
        if html is not None:
            write_html(results, html, run)
        return results
    if regrtest_xml is not None and not regrtest_xml.is_file():
        raise UserError(f"--regrtest-xml {regrtest_xml} is not a file")
    results = parse_log(text)
    # A log has regrtest's elapsed times only: its end is the file's last change.
    last = min(max((f.began_at + f.duration for f in results.files.values()
                    if f.began_at is not None), default=0.0), MAX_SECONDS)
    stamp(results, "regrtest", stat.st_mtime - last, stat.st_mtime)
    if regrtest_xml is not None:
        try:
            merge_regrtest_xml(results, regrtest_xml)
        except ValueError as e:  # e.g. time="zz"
            raise UserError(f"--regrtest-xml {regrtest_xml}: not a JUnit file regrtest "
                            f"wrote ({' '.join(str(e).split())})") from None
    # A crashed or hung file: with -v its last test line without a result names
    # the test (a case of its own); without -v the file-level case names the file.
    attribute_stops(results)
    if junit_xml is not None:
        write_junit(results, junit_xml, {"source": str(log)})
    if html is not None:
        write_html(results, html, {"source": str(log)})
    return results
