"""The events file `events_hook.py` writes on the target, into the result model.

One JSON object a line, appended by the target as each test starts and ends
(see events_hook.py for why that survives crashes).  A shard's resumed runs
append to the same file, so it is read from an offset: each run's part on its
own.  Events give every test that ran, with its time and traceback, and the
test that started and never stopped (the one a crash or hang stopped).
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..textutil import NumberError, read_float
from .cases import (
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    UNFINISHED_FILE_STATUSES,
    FileState,
    TestCase,
)
from .lines import doctest_key
from .model import RunResults, TestFile

# outcome -> (case status, message when the outcome alone is the message)
_OUTCOMES = {"passed": (PASSED, ""), "failed": (FAILED, ""), "error": (ERROR, ""),
             "skipped": (SKIPPED, ""), "xfail": (PASSED, "expected failure"),
             "xpass": (FAILED, "unexpected success")}
# `setUpClass (test.test_x.Class)`: unittest's id for a class or module fixture.
_FIXTURE_ID = re.compile(r"(\S+) \(([A-Za-z_][\w.]*)\)")
_SIGNAL = re.compile(r"\bSIG[A-Z0-9]+\b")


def case_key(test_id: str) -> tuple[str, str]:
    """(classname, name) of a unittest id, as the -v output parser names it."""
    m = _FIXTURE_ID.fullmatch(test_id)
    if m is not None:
        return m.group(2), m.group(1)
    return doctest_key(test_id)


@dataclass
class FileEvents:
    """One test file's events in one run: its cases per pass (regrtest's
    re-run of failed tests in the same process is a second pass)."""

    name: str
    passes: list[list[TestCase]] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)  # ids, after regrtest's filters
    started: list[str] = field(default_factory=list)
    running: str | None = None  # started, not stopped: what a crash interrupted
    ended: bool = False
    # Each pass's (start, end) on the target's clock (end None: it never ended).
    times: list[tuple[float, float | None]] = field(default_factory=list)

    def add(self, case: TestCase) -> None:
        """A result of this pass (a test that ran twice in one pass is twice here)."""
        if not self.passes:
            self.new_pass()
        self.passes[-1].append(case)

    def new_pass(self) -> None:
        self.passes.append([])
        self.ended = False

    @property
    def cases(self) -> list[TestCase]:
        """The last pass's results."""
        return self.passes[-1] if self.passes else []


@dataclass
class EventLog:
    """What one run's events say."""

    files: dict[str, FileEvents] = field(default_factory=dict)
    xml_error: str = ""  # regrtest's own XML writer failed at the end: its error
    runs: int = 0  # target processes that started (regrtest may re-exec itself)
    started_at: float | None = None  # the first process's start, on the target's clock
    _current: FileEvents | None = None
    _started_at: dict[str, float] = field(default_factory=dict)
    # Subtest outcomes of the running test, folded into its one case at its end.
    _subtests: dict[str, list[TestCase]] = field(default_factory=dict)

    def feed(self, event: dict[str, object]) -> None:
        kind, now = event.get("e"), read_float(str(event.get("t") or 0), "an event's time")
        test_id = str(event.get("id", ""))
        if kind == "run":
            self.runs += 1
            self._current = None
            self.started_at = now if self.started_at is None else self.started_at
        elif kind == "file":
            name = str(event.get("name"))
            self._current = self.files.setdefault(name, FileEvents(name))
            self._current.new_pass()
            self._current.times.append((now, None))
        elif kind == "xml_error":
            self.xml_error = str(event.get("error", ""))
        elif (current := self._current) is None:
            return  # tests outside a test file: not regrtest's
        elif kind == "file_end":
            current.ended, current.running = True, None
            if current.times:
                current.times[-1] = (current.times[-1][0], now)
        elif kind == "plan":
            current.planned += [str(i) for i in event.get("ids") or ()]  # type: ignore[attr-defined]
        elif kind == "start":
            current.started.append(test_id)
            current.running = test_id
            self._started_at[test_id] = now
        elif kind == "stop":
            current.running = None
            if subtests := self._subtests.pop(test_id, None):  # no result of its own
                passed = self._case({**event, "outcome": "passed"}, test_id, now)
                current.add(fold_subtests(passed, subtests))
        elif kind == "sub":
            self._subtests.setdefault(test_id, []).append(self._case(event, test_id, now))
        elif kind == "end" and event.get("outcome") == "skipped" and \
                _FIXTURE_ID.fullmatch(test_id):
            # `setUpClass (mod.Class)` raised SkipTest: none of its tests started,
            # and regrtest counts neither them nor it; a fixture's error stays a case.
            return
        elif kind == "end":
            case = self._case(event, test_id, now)
            current.add(fold_subtests(case, self._subtests.pop(test_id, [])))

    def _case(self, event: dict[str, object], test_id: str, now: float) -> TestCase:
        classname, name = case_key(test_id)
        if event.get("e") == "sub":
            sub = str(event.get("sub", ""))
            name = f"{name} (subtest {sub[1:-1] if sub.startswith('(') else sub})"
        status, message = _OUTCOMES.get(str(event.get("outcome")), (ERROR, ""))
        started = self._started_at.get(test_id)
        return TestCase(classname, name, time=max(0.0, now - started) if started else 0.0,
                        status=status, message=message or str(event.get("msg", "")),
                        detail=str(event.get("tb", "")))


def fold_subtests(case: TestCase, subtests: list[TestCase]) -> TestCase:
    """One case per test, as regrtest counts them (`Total tests: run=` counts a
    test once, whatever its subtests did): a skipped or failed subtest makes
    the test's case skipped or failed (the worst wins), and its message names
    each such subtest.  unittest reports no result of the test itself then, so
    `case` may be a bare "passed" made from the test's stop event."""
    for sub in subtests:
        case.absorb(sub)
    if subtests:
        case.message = "; ".join(
            f"{sub.name.removeprefix(case.name).strip()}: {sub.status}"
            + (f" ({sub.message})" if sub.message else "") for sub in subtests)
        case.detail = "\n\n".join(filter(None, [case.detail, *(s.detail for s in subtests)]))
    return case


def read_events(path: Path, offset: int = 0) -> tuple[EventLog, int]:
    """The events from byte `offset` on, and the offset after the last whole line."""
    log = EventLog()
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return log, offset
    end = data.rfind(b"\n") + 1  # a line cut short by a crash is not an event
    for raw in data[:end].splitlines():
        try:
            event = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            continue
        if isinstance(event, dict):
            with contextlib.suppress(NumberError):  # a time that is none: not an event
                log.feed(event)
    return log, offset + end


def apply_events(results: RunResults, log: EventLog) -> None:
    """The events' cases replace those read from the output (events have them
    all, with times and tracebacks, -v or not)."""
    for name, events in log.files.items():
        is_new = name not in results.files
        # Pass n is attempt n: a re-run in worker processes (no events) is the
        # output's alone.
        attempts = results.file(name).attempts_for(len(events.passes))
        for n, (attempt, cases) in enumerate(zip(attempts, events.passes, strict=True)):
            if cases:
                attempt.replace_cases(cases)
            if log.started_at is not None and n < len(events.times):
                _place(attempt, log.started_at, *events.times[n])
            if is_new and (events.ended or attempt is not attempts[-1]):
                bad = any(c.status in (FAILED, ERROR) for c in cases)
                attempt.status = FileState.FAILED if bad else FileState.PASSED
        f = attempts[-1] if attempts else results.file(name)
        if events.running and f.status in UNFINISHED_FILE_STATUSES:
            f.running_key = case_key(events.running)
            f.running_test = events.running


def _place(f: TestFile, run_started: float, began: float, ended: float | None) -> None:
    """When the file ran, to the target clock's precision (regrtest's progress
    line has whole seconds, and a file's time only past 30 s): seconds after
    its process started, as `timeline.stamp` reads them."""
    f.began_at = max(0.0, began - run_started)
    if ended is not None and ended >= began:
        f.duration = ended - began


def attribute_stop(f: TestFile, *, idle_known: bool = False) -> tuple[str, str] | None:
    """Make the test that was running when `f` crashed or hung a case of its own
    (an error naming the cause, the output's tail as text); return its key.
    With no test known, the file-level case stays; `idle_known`: the events
    show no test was running (import, setUpModule, setUpClass), and it says so."""
    if f.status not in (FileState.CRASHED, FileState.TIMED_OUT):
        return None
    kind = "Crashed" if f.status == FileState.CRASHED else "Timed out"
    if f.status == FileState.CRASHED:
        signal = _SIGNAL.search(f.reason)
        cause = signal.group() if signal else (f.reason or "the process ended")
        message = f"crashed: {f.reason or 'the process ended without a result'}"
    else:
        cause = f"{f.timeout:g} s" if f.timeout else "timeout"
        message = f"timed out after {f.timeout:g} s" if f.timeout else "timed out"
    key = f.running_key
    if key is None:
        if not any(not test for _, test, _ in f.stops):
            f.stops.append((kind, "", cause))
            if idle_known and f.status == FileState.CRASHED:
                f.reason = (f"{f.reason}; no test was running (import, setUpModule or "
                            "setUpClass)")
        return None
    test_id = f"{key[0]}.{key[1]}"
    if any(test == test_id for _, test, _ in f.stops):
        return key
    f.add_case(TestCase(key[0], key[1], status=ERROR, message=message, detail=f.output))
    f.stops.append((kind, test_id, cause))
    f.running_test, f.running_key = None, None
    return key


def attribute_stops(results: RunResults) -> None:
    """`attribute_stop` for every file that crashed or hung (e.g. -j output),
    in any attempt (a crash before regrtest's re-run)."""
    for f in results.files.values():
        for attempt in [*f.earlier, f]:
            attribute_stop(attempt)
