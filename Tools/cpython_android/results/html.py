"""One self-contained HTML page of a run (`test`, `ci`, `results`, `report`):
the headline, the per-device timeline (html_timeline.py), the tables of
failed, flaky, crashed, timed-out and not-run tests with their first message
line and traceback, the slowest files and every file.

Self-contained and static: inline CSS, no script, no external URL, so it
reads the same from a buildbot artifact, a downloaded zip or with scripts
off.  Everything from the run (test names, messages, output) is escaped
(`html_timeline.text`); long output is cut to its head and tail, and long
tables to their first rows (the JUnit has them all), which keeps a
40,000-test run a small page (benchmarks/report.py).
"""

from __future__ import annotations

import datetime
import os
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

from ..errors import UserError
from ..safefiles import atomic_write
from .cases import ERROR, FAILED, FileState, TestCase
from .html_timeline import clock, text, timeline_html
from .model import RunResults, TestFile
from .summary import first_line

#: Rows per table, characters per message line, per traceback or report shown.
ROW_LIMIT = 500
LINE_LIMIT = 300
DETAIL_LIMIT = 20_000
SLOWEST = 15

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;
text-align:left;vertical-align:top;max-width:50em;overflow-wrap:break-word}th{background:#f3f3f3}
pre{white-space:pre-wrap;word-break:break-all;max-height:30em;overflow:auto;background:#f7f7f7;
margin:.3em 0;padding:.4em}
.lane{display:flex;border-bottom:1px solid #ddd}.who{width:12em;flex:none;overflow:hidden;
text-overflow:ellipsis;white-space:nowrap;font-size:12px;padding-right:.5em}
.bars{position:relative;flex:1;min-width:30em}.axis{display:flex;justify-content:space-between;
margin-left:12em;font-size:11px;color:#666}
.bar{position:absolute;height:16px;overflow:hidden;font-size:10px;line-height:16px;
color:#000;text-decoration:none;white-space:nowrap;border-right:1px solid #fff;
box-sizing:border-box}
.s-passed{background:#8fd18f}.s-failed,.s-uncaught_exception,.s-refleak,.s-worker_bug{background:#f08080}
.s-crashed{background:#c0392b;color:#fff}.s-timed_out{background:#f0a030}
.s-skipped,.s-resource_denied,.s-no_tests{background:#d0d0d0}.s-env_changed{background:#f0e060}
.s-interrupted,.s-running,.s-not_run{background:#b39ddb}
.lost{background:repeating-linear-gradient(45deg,#555,#555 4px,#999 4px,#999 8px);color:#fff}
.cut{border-right:3px solid #000}.again{outline:2px dashed #333;outline-offset:-2px}
.key span{display:inline-block;padding:0 .5em;margin-right:.3em;font-size:12px;position:static}
.bad{color:#b00}.good{color:#070}
"""


def html_path(junit_xml: Path | None, html: Path | None, *, off: bool = False) -> Path | None:
    """Where the report goes: `--html PATH`, else beside the JUnit file with
    `.html` for `.xml`; None with `--no-html` or neither."""
    if off:
        return None
    if html is not None or junit_xml is None:
        return html
    return junit_xml.with_suffix(".html") if junit_xml.suffix == ".xml" else \
        junit_xml.with_name(junit_xml.name + ".html")


def write_html(results: RunResults, path: Path, run: Mapping[str, str] | None = None, *,
               logs: Mapping[str, Path] | None = None) -> None:
    """The report of `results` at `path` (written whole, then renamed);
    `run`: the run's own properties (command, runners, ...) for the headline;
    `logs`: each runner's log file, linked relative to the page."""
    page = html_report(results, run or {}, path.parent, logs=logs)
    try:  # whole or not at all; a full disk is no_space's one line
        atomic_write(path, page.encode("utf-8", "replace"), "the HTML report")
    except OSError as e:
        raise UserError(f"cannot write the HTML report {path}: {e.strerror or e}") from None


def html_report(results: RunResults, run: Mapping[str, str], where: Path | None = None, *,
                logs: Mapping[str, Path] | None = None) -> str:
    """The whole page; `where`: its directory (saved crash reports and the
    runners' `logs` are linked relative to it)."""
    files = list(results.files.values())
    anchors = {f.name: f"file-{i}" for i, f in enumerate(files)}
    failed = results.exit_status() != 0
    verdict = '<span class="bad">FAILED</span>' if failed else '<span class="good">passed</span>'
    parts = [
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Test run: "
        f"{'FAILED' if failed else 'passed'}</title><style>{_CSS}</style></head><body>",
        f"<h1>Test run: {verdict}</h1>", _headline(results, run, _log_links(logs or {}, where)),
        "<h2 id=timeline>Timeline</h2>", _legend(), timeline_html(results, anchors),
        *_problem_tables(results, files, anchors, where),
        "<h2 id=slowest>Slowest files</h2>",
        _table(["File", "Time", "Status", "Device"],
               ([_file_link(f, anchors), clock(_seconds(f)), _status(f), text(f.device or "")]
                for f in sorted(files, key=_seconds, reverse=True)[:SLOWEST]), len(files)),
        "<h2 id=files>Every file</h2>", _files_table(files, anchors),
        "</body></html>\n",
    ]
    return "\n".join(parts)


def _log_links(logs: Mapping[str, Path], where: Path | None) -> str:
    """Each runner's log, as links relative to the page's directory."""
    links = ((label, _relative(path, where)) for label, path in logs.items())
    return " ".join(f'<a href="{text(quote(href))}">{text(label)}</a>'
                    for label, href in links if href)


def _relative(path: Path | str, where: Path | None) -> str:
    """`path` relative to the page's directory, "" where there is none (another
    drive on Windows, or no page directory)."""
    if where is None:
        return ""
    try:
        return Path(os.path.relpath(path, where)).as_posix()
    except ValueError:
        return ""


def _headline(results: RunResults, run: Mapping[str, str], log_links: str = "") -> str:
    c = results.counts()
    spans = [s for f in results.files.values() for a in [*f.earlier, f] for s in a.spans]
    devices = sorted({s.device for s in spans}) or run.get("runners", "").split()
    rows = [("Host", run.get("host") or socket.gethostname()),
            ("Devices", " ".join(devices) or "-"),
            ("Command", run.get("command") or run.get("source") or "-")]
    if spans:
        start = min(s.started for s in spans)
        when = datetime.datetime.fromtimestamp(start, datetime.UTC).strftime(
            "%Y-%m-%d %H:%M:%S UTC")
        rows.append(("Started", when))
        rows.append(("Wall time", clock(max(s.ended for s in spans) - start)))
    rows += [
        ("Test files", f"{c.files} total, {c.files_passed} passed, {c.files_failed} failed, "
         f"{c.files_skipped} skipped"),
        ("Tests", f"{c.tests} total, {c.tests_passed} passed, {c.tests_failed} failed, "
         f"{c.tests_errored} errors, {c.tests_skipped} skipped, {len(c.flaky)} flaky"),
        ("Exit status", str(results.exit_status())),
        *(("Lost device", lost.line()) for lost in results.lost_devices),
    ]
    rows += [(key, value) for key, value in run.items()
             if key not in {"host", "command", "runners", "source"}]
    body = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>" for k, v in rows)
    if log_links:  # already HTML: each label escaped in _log_links
        body += f"<tr><th>Logs</th><td>{log_links}</td></tr>"
    return f"<table class=headline>{body}</table>"


def _legend() -> str:
    keys = [("passed", "passed"), ("failed", "failed"), ("crashed", "crashed"),
            ("timed_out", "timed out"), ("skipped", "skipped"), ("env_changed", "env changed"),
            ("interrupted", "interrupted / not finished")]
    spans = "".join(f'<span class="bar s-{k}">{v}</span>' for k, v in keys)
    return (f'<p class=key>{spans}<span class="bar lost">device lost</span>'
            '<span class="bar s-passed again">resumed / re-run</span>'
            '<span class="bar s-passed cut">cut short</span></p>')


def _problem_tables(results: RunResults, files: list[TestFile],
                    anchors: Mapping[str, str], where: Path | None) -> list[str]:
    cases = [(f, c) for f in files for c in f.all_cases()]
    failed = [(f, c) for f, c in cases if c.status in (FAILED, ERROR)]
    flaky = [(f, c) for f, c in cases if c.flaky]
    stopped = {kind: [(f, test, cause) for f in files for k, test, cause in _stops(f) if k == kind]
               for kind in ("Crashed", "Timed out")}
    not_run = [f for f in files if f.status == FileState.NOT_RUN]
    return [
        f"<h2 id=failed>Failed tests ({len(failed)})</h2>",
        _table(["Test", "File", "Message", "Traceback"],
               ([text(c.id), _file_link(f, anchors), _line(c.message or c.detail),
                 _details(c.detail)] for f, c in failed), len(failed)),
        f"<h2 id=flaky>Flaky tests ({len(flaky)})</h2>",
        _table(["Test", "File", "Attempts"],
               ([text(c.id), _file_link(f, anchors), _attempts(c)] for f, c in flaky), len(flaky)),
        f"<h2 id=crashed>Crashed ({len(stopped['Crashed'])})</h2>",
        _table(["Test", "File", "Top frame / cause", "Report"],
               ([text(test or "(no test running)"), _file_link(f, anchors),
                 _line(f.crash_frames.get(test, cause)),
                 _saved(f.crash_reports.get(test), where) + _details(_stop_text(f, test))]
                for f, test, cause in stopped["Crashed"]), len(stopped["Crashed"])),
        f"<h2 id=timed-out>Timed out ({len(stopped['Timed out'])})</h2>",
        _table(["Test", "File", "Limit", "Traceback"],
               ([text(test or "(no test running)"), _file_link(f, anchors), text(cause),
                 _details(_stop_text(f, test))] for f, test, cause in stopped["Timed out"]),
               len(stopped["Timed out"])),
        f"<h2 id=not-run>Not run ({len(not_run) + results.missing_files})</h2>",
        _table(["File", "Why"], ([_file_link(f, anchors), _line(f.reason)] for f in not_run),
               len(not_run)),
    ]


def _saved(report: str | None, where: Path | None) -> str:
    """A link to a saved crash report, relative to the page (it moves with the
    logs directory, as an artifact does); "" if it is gone."""
    if report is None or not Path(report).is_file() or not (relative := _relative(report, where)):
        return ""
    return f'<a href="{text(quote(relative))}">{text(Path(report).name)}</a>'


def _stops(f: TestFile) -> list[tuple[str, str, str]]:
    """The crashes and hangs of `f`; one the file itself stands for if none was named."""
    stops = list(f.stops)
    kind = {FileState.CRASHED: "Crashed", FileState.TIMED_OUT: "Timed out"}.get(f.status)
    if kind and not any(k == kind for k, _, _ in stops):
        stops.append((kind, "", f.reason or (f"{f.timeout:g} s" if f.timeout else "")))
    return stops


def _stop_text(f: TestFile, test: str) -> str:
    """The crashed or hung case's text: its traceback and the crash report."""
    for case in f.all_cases():
        if (test and case.id == test) or (not test and case.name in ("crash", "timeout")):
            return case.detail or case.message
    return f.output


def _attempts(case: TestCase) -> str:
    items = [f"<li>attempt {i}: {text(a.status)}: {_line(a.message or a.detail)}"
             f"{_details(a.detail)}</li>" for i, a in enumerate(case.earlier, 1)]
    items.append(f"<li>attempt {len(case.earlier) + 1}: {text(case.status)}</li>")
    return f"<ol>{''.join(items)}</ol>"


def _line(message: str) -> str:
    """The first line of a message, cut to LINE_LIMIT characters."""
    line = first_line(message)
    return text(line if len(line) <= LINE_LIMIT else f"{line[:LINE_LIMIT]}...")


def _details(detail: str) -> str:
    """Long text one click away (a <details> element works without script)."""
    if not detail:
        return ""
    if len(detail) > DETAIL_LIMIT:
        cut = len(detail) - DETAIL_LIMIT
        head = DETAIL_LIMIT // 5
        detail = (f"{detail[:head]}\n[... {cut} characters cut: the JUnit has them all ...]\n"
                  f"{detail[-(DETAIL_LIMIT - head):]}")
    lines = detail.count("\n") + 1
    return f"<details><summary>{lines} line(s)</summary><pre>{text(detail)}</pre></details>"


def _table(head: list[str], rows: Iterable[list[str]], total: int) -> str:
    if total == 0:
        return "<p>None.</p>"
    out = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for n, row in enumerate(rows):
        if n == ROW_LIMIT:
            break
        out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    out.append("</table>")
    if total > ROW_LIMIT:
        out.append(f"<p>... and {total - ROW_LIMIT} more (the JUnit file lists them all).</p>")
    return "".join(out)


def _files_table(files: list[TestFile], anchors: Mapping[str, str]) -> str:
    spans = [s for f in files for s in f.spans]
    t0 = min((s.started for s in spans), default=0.0)
    rows = []
    for f in files:
        where = " ".join(dict.fromkeys(s.device for a in [*f.earlier, f] for s in a.spans))
        start = f"+{clock(f.started - t0)}" if f.started is not None else ""
        rows.append(f'<tr id="{anchors[f.name]}"><td>{text(f.name)}</td><td>{_status(f)}</td>'
                    f"<td>{len(f.all_cases())}</td><td>{clock(_seconds(f))}</td>"
                    f"<td>{text(where)}</td><td>{start}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("File", "Status", "Tests", "Time", "Device(s)",
                                            "Start"))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _file_link(f: TestFile, anchors: Mapping[str, str]) -> str:
    return f'<a href="#{anchors[f.name]}">{text(f.name)}</a>'


def _status(f: TestFile) -> str:
    return text(str(f.status).replace("_", " "))


def _seconds(f: TestFile) -> float:
    return f.duration or sum(s.seconds for s in f.spans)
