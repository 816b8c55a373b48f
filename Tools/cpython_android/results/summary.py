"""What a run's results say to people: the end-of-run text summary (`test`,
`results`, `ci`) and the Markdown job summary for GitHub Actions
(`GITHUB_STEP_SUMMARY`)."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError
from ..safefiles import append_whole
from .cases import (
    ERROR,
    FAILED,
    UNFINISHED_FILE_STATUSES,
    FileState,
    TestCase,
)

if TYPE_CHECKING:
    from .model import RunResults, TestFile

#: Tests listed by name in the Markdown summary, per section (GitHub caps a step's
#: summary at 1 MiB; a run with thousands of failures says how many more).
MARKDOWN_LIST_LIMIT = 50
SLOWEST_FILES = 10


def _one_line(text: str) -> str:
    return " ".join(text.split())


def first_line(text: str) -> str:
    """The first non-empty line of a message or traceback."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def stop_lines(f: TestFile) -> list[str]:
    """"Crashed: ...", "Timed out: ..." lines for a file that stopped the process."""
    named_stops = [stop for stop in f.stops if stop[1]]
    # A crash with a native report (crash/) names its top frame.
    lines = [f"{test} crashed: {f.crash_frames[test]}"
             if kind == "Crashed" and test in f.crash_frames else f"{kind}: {test} ({cause})"
             for kind, test, cause in named_stops]
    if named_stops and len(named_stops) == len(f.stops):
        return lines
    label = {FileState.CRASHED: "Crashed", FileState.TIMED_OUT: "Timed out",
             FileState.RUNNING: "No result"}.get(f.status)
    if label:
        top = f": {f.crash_frames['']}" if f.status == FileState.CRASHED and "" in f.crash_frames \
            else ""
        lines.append(f"{label}: {_one_line(f.all_cases()[-1].message)}{top}")
    return lines


def text_summary(results: RunResults) -> str:
    c = results.counts()
    detail = (f" ({c.files_without_detail} test file(s) without per-test detail: one case "
              "each)" if c.files_without_detail else "")
    lines = [
        f"Test files: {c.files} total, {c.files_passed} passed, {c.files_failed} failed, "
        f"{c.files_skipped} skipped"
        + (f", {c.files_env_changed} altered the environment" if c.files_env_changed else ""),
        f"Tests: {c.tests} total, {c.tests_passed} passed, {c.tests_failed} failed, "
        f"{c.tests_errored} errors, {c.tests_skipped} skipped{detail}",
    ]
    for f in results.files.values():
        lines += stop_lines(f)
    lines += [lost.line() for lost in results.lost_devices]
    if c.not_run:
        lines.append(f"Not run ({len(c.not_run)}): {' '.join(c.not_run)}")
    if results.missing_files:
        lines.append(f"Not run: {results.missing_files} more test file(s) regrtest announced "
                     "never reported (the output ends early)")
    if results.rerun_missing:
        lines.append(f"Re-run not finished: {results.rerun_missing} failed test file(s) "
                     "regrtest was about to re-run never started (the output ends early); "
                     "their first attempt stands")
    failed = [f.name for f in results.files.values() if results.file_failed(f)
              and f.status not in UNFINISHED_FILE_STATUSES | {FileState.NOT_RUN}]
    if failed:
        lines.append(f"Failed ({len(failed)}): {' '.join(failed)}")
    # Test ids, unlike file names, may hold spaces ("test_x (subtest n=1)").
    if c.flaky:
        lines.append(f"Flaky, passed when re-run ({len(c.flaky)}): {', '.join(c.flaky)}")
    if c.failed_every_attempt:
        lines.append(f"Failed every attempt ({len(c.failed_every_attempt)}): "
                     f"{', '.join(c.failed_every_attempt)}")
    if results.ran_nothing():
        lines.append("No tests ran: this counts as a failure (check the test selection "
                     "and that the test files exist on the target)")
    lines.append("Result: " + ("SUCCESS" if results.exit_status() == 0 else "FAILURE"))
    return "\n".join(lines)


# --- GitHub Actions' job summary ------------------------------------------------

#: Characters a test's name or message could use to start Markdown of its own in
#: a cell: emphasis, links, code, strikethrough, a new column.
_MARKDOWN_PUNCTUATION = str.maketrans({c: "\\" + c for c in "\\`*_[]|~"})
_MAX_CELL = 300


def markdown_cell(text: str, *, code: bool = False) -> str:
    """`text` (which a test controls: its name, its messages) as one GitHub
    table cell that shows exactly that text: one line, no live HTML, no
    Markdown of its own, no extra column.  `code` shows it as a code span,
    fenced with more backticks than it holds (no escape works inside one,
    except GitHub's `\\|` for a table)."""
    text = _one_line(text)
    text = text[:_MAX_CELL] + "…" if len(text) > _MAX_CELL else text
    if code:
        fence = "`" * (1 + max((len(run) for run in re.findall("`+", text)), default=0))
        pad = " " if text[:1] == "`" or text[-1:] == "`" else ""  # stripped by the reader
        piped = text.replace("|", "\\|")
        return f"{fence}{pad}{piped}{pad}{fence}" if text else ""
    return html.escape(text, quote=False).translate(_MARKDOWN_PUNCTUATION)


def _table_row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _case_rows(cases: list[TestCase], message_of) -> list[str]:  # noqa: ANN001
    rows = [_table_row(markdown_cell(c.id, code=True), markdown_cell(message_of(c)))
            for c in cases[:MARKDOWN_LIST_LIMIT]]
    if len(cases) > MARKDOWN_LIST_LIMIT:
        rows.append(f"| … and {len(cases) - MARKDOWN_LIST_LIMIT} more | |")
    return rows


def _section(title: str, cases: list[TestCase], message_of) -> list[str]:  # noqa: ANN001
    if not cases:
        return []
    return ["", f"### {title} ({len(cases)})", "", "| Test | First line |", "| --- | --- |",
            *_case_rows(cases, message_of)]


def _message(case: TestCase) -> str:
    return first_line(case.message) or first_line(case.detail)


def _first_failure(case: TestCase) -> str:
    attempt = case.earlier[0]
    return f"attempt 1: {_message(attempt)}"


def markdown_summary(results: RunResults, title: str = "Test results") -> str:
    """The run as Markdown: counts, the failed / flaky / crashed / not-run tests
    with their first message line, and the slowest test files."""
    c = results.counts()
    cases = [case for f in results.files.values() for case in f.all_cases()]
    stopped = {test for f in results.files.values() for _, test, _ in f.stops if test}
    bad = [case for case in cases if case.status in (FAILED, ERROR)]
    crashed = [case for case in bad if case.id in stopped or case.name in ("crash", "timeout")]
    not_run = [case for case in bad if case.message.startswith("not run") or
               case.name == "not run"]
    failed = [case for case in bad if case not in crashed and case not in not_run]
    result = "SUCCESS" if results.exit_status() == 0 else "FAILURE"
    lines = [f"## {title}: {result}", "",
             "| | Total | Passed | Failed | Errors | Skipped | Flaky |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
             f"| Test files | {c.files} | {c.files_passed} | {c.files_failed} | | "
             f"{c.files_skipped} | |",
             f"| Tests | {c.tests} | {c.tests_passed} | {c.tests_failed} | {c.tests_errored} | "
             f"{c.tests_skipped} | {len(c.flaky)} |"]
    lines += _section("Failed", failed, _message)
    lines += _section("Flaky: failed, then passed when re-run",
                      [case for case in cases if case.flaky], _first_failure)
    frames = {test: frame for f in results.files.values()
              for test, frame in f.crash_frames.items() if test}
    lines += _section("Crashed or timed out", crashed,
                      lambda c: " — ".join(filter(None, [_message(c), frames.get(c.id)])))
    lines += _section("Not run", not_run, _message)
    return "\n".join([*lines, *_slowest_files(results)]) + "\n"


def _file_time(f: TestFile) -> float:
    """regrtest's time for the file, else its tests' (sequential regrtest shows a
    file's time only when it is slow)."""
    return f.duration or sum(case.time for case in f.all_cases())


def _slowest_files(results: RunResults) -> list[str]:
    timed = sorted(((_file_time(f), f) for f in results.files.values()),
                   key=lambda pair: pair[0], reverse=True)
    rows = [_table_row(markdown_cell(f.name, code=True), f"{seconds:.2f} s",
                       markdown_cell(f.status.replace("_", " ")))
            for seconds, f in timed[:SLOWEST_FILES]]
    if not rows:
        return []
    return ["", "### Slowest test files", "", "| Test file | Time | Result |",
            "| --- | ---: | --- |", *rows]


def append_job_summary(results: RunResults, title: str = "Test results",
                       environ: os._Environ[str] | dict[str, str] | None = None) -> Path | None:
    """Append the Markdown summary to `$GITHUB_STEP_SUMMARY`, when set; its path.
    A summary that cannot be written never changes how the run went."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    try:  # whole or not at all: a full disk never leaves half a row
        append_whole(Path(target), markdown_summary(results, title), "the job summary")
    except (OSError, UserError):
        return None
    return Path(target)
