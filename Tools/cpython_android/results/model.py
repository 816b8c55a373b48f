"""One model of a regrtest run: test files (JUnit testsuites) holding test
cases (JUnit testcases), whatever the source (streamed output, regrtest's own
XML, the harness's knowledge that a process crashed or hung).

A file whose result only the harness knows (crashed, timed out, never run)
keeps that as its `status`; the cases that say so in JUnit are made from it
when asked (`TestFile.all_cases`), so marking a file twice never duplicates
a case and the message always names the latest detail.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass, field, replace

from .attempts import cases_of_attempts, next_attempt
from .cases import (
    BAD_FILE_STATUSES,
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    SKIPPED_FILE_STATUSES,
    FileState,
    LostDevice,
    Span,
    TestCase,
)
from .summary import text_summary


@dataclass
class TestFile:
    """One test file (JUnit testsuite), as regrtest names it: "test_os"."""

    __test__ = False

    name: str
    status: FileState = FileState.RUNNING
    duration: float = 0.0
    cases: list[TestCase] = field(default_factory=list)
    running_test: str | None = None  # last test started (for crash/timeout messages)
    reason: str = ""  # regrtest's words or the harness's: "Exit code -11 (SIGSEGV)"
    output: str = ""  # what the file printed outside of per-test blocks (tail kept)
    module: str = ""  # dotted module for file-level cases; derived from the cases if empty
    timeout: float | None = None
    # Crashes and hangs attributed to a test: (kind, test id or "", cause), e.g.
    # ("Crashed", "test_crash.Crash.test_segfault", "SIGSEGV"); "" when no test
    # was running (import, setUpModule, setUpClass): the file-level case says so.
    stops: list[tuple[str, str, str]] = field(default_factory=list)
    running_key: tuple[str, str] | None = None  # (classname, name) of the test started last
    # regrtest's re-run: the earlier attempts of this file (this is the last),
    # and the tests its re-run line named ("matching: test_a, Class"); attempts.py.
    earlier: list[TestFile] = field(default_factory=list)
    rerun_matching: tuple[str, ...] = ()
    # crash/: test id ("" for the file) -> "SIGSEGV in PyObject_GetAttr (...)".
    crash_frames: dict[str, str] = field(default_factory=dict)
    # ... and where its whole report was saved (crash-HOST-TEST.txt), for links.
    crash_reports: dict[str, str] = field(default_factory=dict)
    # Where and when it ran (timeline.py): seconds after its process started,
    # from regrtest's progress line, until `timeline.stamp` makes it a span.
    began_at: float | None = None
    spans: list[Span] = field(default_factory=list)

    # (classname, name) -> position of its latest case in `cases`, and how many
    # cases that covers: rebuilt when `cases` was changed directly, so a file of
    # thousands of tests is not searched for every line.
    _index: dict[tuple[str, str], int] = field(default_factory=dict, repr=False,
                                               compare=False)
    _indexed: int = field(default=0, repr=False, compare=False)

    def add_case(self, case: TestCase, *, duplicate: bool = False) -> TestCase:
        """Add `case`, or merge it into the latest case with the same class and
        name; `duplicate`: add it even so (a test that really ran twice, such
        as the same doctest collected by two suites)."""
        if self._indexed != len(self.cases):
            self._index = {c.key: i for i, c in enumerate(self.cases)}
        key = (case.classname, case.name)
        found = self._index.get(key)
        if found is not None and not duplicate:
            self.cases[found].absorb(case)
            return self.cases[found]
        self._index[key] = len(self.cases)
        self.cases.append(case)
        self._indexed = len(self.cases)
        return case

    def replace_cases(self, cases: Iterable[TestCase]) -> None:
        """The cases are `cases` (a more complete source than the output)."""
        self.cases = []
        self._index, self._indexed = {}, 0
        for case in cases:
            self.add_case(case, duplicate=True)

    def module_name(self) -> str:
        if self.module:
            return self.module
        dotted = f"test.{self.name}" if not self.name.startswith("test.") else self.name
        for case in self.cases:
            if case.classname == dotted or case.classname.startswith(dotted + "."):
                return dotted
        return self.name

    def attempts_for(self, count: int) -> list[TestFile]:
        """The first `count` attempts of this file, for a source that saw
        `count` passes of it (regrtest's XML, the events of one process); an
        attempt the output did not show is added before this one (a re-run
        only follows a failure)."""
        while len(self.earlier) + 1 < count:
            self.earlier.append(TestFile(self.name, status=FileState.FAILED))
        return [*self.earlier, self][:count]

    def all_cases(self) -> list[TestCase]:
        """One case per test (its attempts combined), plus the file-level case
        that says what went wrong (or why it was skipped, or that the file
        passed) when the individual cases do not."""
        extra = self.file_case()
        if not self.earlier:
            return [*self.cases, extra] if extra else list(self.cases)
        return cases_of_attempts(self, extra)

    def file_case(self) -> TestCase | None:
        """This attempt's file-level case, if its tests' cases do not say it all."""
        module = self.module_name()
        running = f" while running {self.running_test}" if self.running_test else ""
        tail = self.output
        if self.status in (FileState.CRASHED, FileState.TIMED_OUT) and self.stops and all(
                test for _, test, _ in self.stops):
            return None  # the tests that crashed or hung carry it, as cases of their own
        if self.status == FileState.CRASHED:
            why = self.reason or "the process ended without a result"
            return TestCase(module, "crash", status=ERROR,
                            message=f"{self.name} crashed ({why}){running}", detail=tail)
        if self.status == FileState.TIMED_OUT:
            limit = f" after {self.timeout:g} s" if self.timeout else ""
            return TestCase(module, "timeout", status=ERROR,
                            message=f"{self.name} timed out{limit}{running}", detail=tail)
        if self.status == FileState.NOT_RUN:
            return TestCase(module, "not run", status=ERROR,
                            message=f"{self.name} not run: {self.reason or 'the run ended early'}")
        if self.status == FileState.RUNNING:
            what = (": regrtest's re-run of it did not finish (the output ended); the "
                    "earlier attempts are kept" if self.earlier
                    else " has no result: the output ended")
            return TestCase(module, "incomplete", status=ERROR,
                            message=f"{self.name}{what}{running}", detail=tail)
        if self.status in BAD_FILE_STATUSES and not any(c.status in (FAILED, ERROR)
                                                       for c in self.cases):
            what = self.reason or self.status.replace("_", " ")
            return TestCase(module, str(self.status), status=ERROR,
                            message=f"{self.name} {what}", detail=tail)
        if self.status in SKIPPED_FILE_STATUSES and not self.cases:
            what = self.reason or self.status.replace("_", " ")
            return TestCase(module, str(self.status), status=SKIPPED, message=what)
        if not self.cases:  # a result without per-test detail (a log without -v)
            return TestCase(module, self.name, time=self.duration, status=PASSED,
                            message=self.reason)
        return None

    @property
    def device(self) -> str | None:
        """The device or process that ran it last."""
        return self.spans[-1].device if self.spans else None

    @property
    def started(self) -> float | None:
        return self.spans[0].started if self.spans else None

    @property
    def ended(self) -> float | None:
        return self.spans[-1].ended if self.spans else None

    def settled_spans(self) -> list[Span]:
        """Its spans, each with a status (an unsettled one is this file's)."""
        return [s if s.status else replace(s, status=str(self.status)) for s in self.spans]

    @property
    def failed(self) -> bool:
        return self.status in BAD_FILE_STATUSES or any(
            c.status in (FAILED, ERROR) for c in self.cases)


@dataclass(frozen=True)
class Counts:
    """Test files and test cases by outcome."""

    files: int = 0
    files_passed: int = 0
    files_failed: int = 0
    files_skipped: int = 0
    files_env_changed: int = 0
    crashed: tuple[str, ...] = ()
    timed_out: tuple[str, ...] = ()
    not_run: tuple[str, ...] = ()
    tests: int = 0
    tests_passed: int = 0
    tests_failed: int = 0
    tests_errored: int = 0
    tests_skipped: int = 0
    # regrtest's re-run (test ids): passed on a later attempt; failed every attempt.
    flaky: tuple[str, ...] = ()
    failed_every_attempt: tuple[str, ...] = ()
    files_without_detail: int = 0  # files whose one case stands for all their tests


@dataclass
class RunResults:
    """The whole run, files in the order their results came."""

    files: dict[str, TestFile] = field(default_factory=dict)
    #: regrtest's --fail-env-changed: a file that altered the environment fails the run.
    fail_env_changed: bool = False
    #: Test files regrtest announced ("[n/N]") that never reported: N minus those seen.
    missing_files: int = 0
    #: Failed files regrtest's re-run announced but never started (output ended).
    rerun_missing: int = 0
    #: regrtest's --fail-rerun: a test that passed only when re-run fails the run.
    fail_rerun: bool = False
    #: The harness's own re-run of files that failed in a process a crash ended
    #: before regrtest re-ran them: each file here is a later attempt (merge()).
    rerun: bool = False
    #: Devices that went away mid-run (their unfinished files ran elsewhere).
    lost_devices: list[LostDevice] = field(default_factory=list)

    def file(self, name: str) -> TestFile:
        """The file called `name`, created (still running) if new."""
        found = self.files.get(name)
        if found is None:
            found = self.files[name] = TestFile(name)
        return found

    def counts(self) -> Counts:
        files = list(self.files.values())
        cases = [c for f in files for c in f.all_cases()]
        rerun = [c for c in cases if c.earlier] if any(f.earlier for f in files) else []

        def tests(status: str) -> int:
            return sum(1 for c in cases if c.status == status)

        def named(status: str) -> tuple[str, ...]:
            return tuple(f.name for f in files if f.status == status)

        return Counts(
            files=len(files) + self.missing_files,
            files_passed=sum(1 for f in files if not self.file_failed(f)
                             and f.status not in SKIPPED_FILE_STATUSES),
            files_failed=sum(1 for f in files if self.file_failed(f)) + self.missing_files,
            files_skipped=sum(1 for f in files if f.status in SKIPPED_FILE_STATUSES),
            files_env_changed=sum(1 for f in files if f.status == FileState.ENV_CHANGED),
            crashed=named(FileState.CRASHED),
            timed_out=named(FileState.TIMED_OUT),
            not_run=named(FileState.NOT_RUN),
            tests=len(cases),
            tests_passed=tests(PASSED),
            tests_failed=tests(FAILED),
            tests_errored=tests(ERROR),
            tests_skipped=tests(SKIPPED),
            flaky=tuple(c.id for c in rerun if c.flaky),
            failed_every_attempt=tuple(c.id for c in rerun if c.failed_every_attempt),
            files_without_detail=sum(1 for f in files if not f.cases
                                     and f.status not in SKIPPED_FILE_STATUSES),
        )

    def file_failed(self, f: TestFile) -> bool:
        return f.failed or (self.fail_env_changed and f.status == FileState.ENV_CHANGED)

    def ran_nothing(self) -> bool:
        """No test file ran any test: everything was skipped, not run, or absent."""
        return not any(f.status not in SKIPPED_FILE_STATUSES | {FileState.NOT_RUN}
                       for f in self.files.values())

    def exit_status(self) -> int:
        """0 only if some test ran and nothing failed, errored, crashed or timed out."""
        if self.ran_nothing() or self.missing_files:
            return 1
        return 1 if any(self.file_failed(f) or (self.fail_rerun and f.earlier)
                        for f in self.files.values()) else 0

    def summary(self) -> str:
        """The end-of-run summary (summary.py)."""
        return text_summary(self)


def mark_crashed(results: RunResults, file: str, detail: str) -> None:
    """`file` crashed: `detail` names the signal or exit code ("killed by SIGSEGV")."""
    f = results.file(file)
    f.status = FileState.CRASHED
    f.reason = _merge_reason(f.reason, detail)


def mark_timed_out(results: RunResults, file: str, timeout: float) -> None:
    """`file` was still running after `timeout` seconds and was stopped."""
    f = results.file(file)
    f.status = FileState.TIMED_OUT
    f.timeout = timeout


def mark_not_run(results: RunResults, files: Iterable[str], reason: str) -> None:
    """`files` never ran (the run ended early): listed as errors, never dropped.
    A file that already has a result keeps it.  Files named here stand for the
    ones the output only counted (`missing_files`)."""
    added = 0
    for name in files:
        if name not in results.files:
            results.files[name] = TestFile(name, status=FileState.NOT_RUN, reason=reason)
            added += 1
    results.missing_files = max(0, results.missing_files - added)


def merge(parts: Iterable[RunResults], continued: Set[str] = frozenset()) -> RunResults:
    """Shards or resumed runs as one run.  A later real result for a file replaces
    an earlier one, except for the files in `continued` (a fresh process ran the
    rest of them after a crash: their parts join); "not run" never replaces a
    real result."""
    merged = RunResults()
    for part in parts:
        merged.fail_env_changed = merged.fail_env_changed or part.fail_env_changed
        merged.fail_rerun = merged.fail_rerun or part.fail_rerun
        merged.missing_files += part.missing_files
        merged.rerun_missing += part.rerun_missing
        merged.lost_devices += part.lost_devices
        for name, f in part.files.items():
            old = merged.files.get(name)
            if old is not None and FileState.NOT_RUN == f.status != old.status:
                if f.spans:  # e.g. a lost device's stretch, after the run elsewhere
                    merged.files[name] = _after(f, old)
                continue
            if old is not None and part.rerun:
                merged.files[name] = next_attempt(old, f)
            elif old and name in continued:
                merged.files[name] = continue_file(old, f)
            else:  # a later run replaces it; the timeline keeps where the first one ran
                merged.files[name] = _after(old, f) if old is not None and old.spans else f
    return merged


def continue_file(before: TestFile, rest: TestFile) -> TestFile:
    """A file that crashed or hung (`before`) and the resumed run of its other
    tests (`rest`) as one file: every case, every stop; still failed."""
    combined = TestFile(before.name, status=before.status, duration=before.duration,
                        reason=before.reason, output=before.output, module=before.module,
                        timeout=before.timeout, stops=list(before.stops),
                        crash_frames={**before.crash_frames, **rest.crash_frames},
                        crash_reports={**before.crash_reports, **rest.crash_reports},
                        began_at=before.began_at,
                        spans=[*before.settled_spans(), *rest.spans])
    for case in [*before.cases, *rest.cases]:
        combined.add_case(case)
    combined.stops += rest.stops
    # regrtest's re-run attempts, either side of the resume.
    combined.earlier = [*before.earlier, *rest.earlier]
    combined.rerun_matching = before.rerun_matching or rest.rerun_matching
    combined.duration += rest.duration
    if rest.status in (FileState.CRASHED, FileState.TIMED_OUT) or not before.stops:
        combined.status, combined.reason = rest.status, rest.reason
        combined.timeout, combined.output = rest.timeout, rest.output or before.output
    return combined


def _after(before: TestFile, later: TestFile) -> TestFile:
    """`later` (a run of the file elsewhere, e.g. after its device was lost),
    keeping the spans of `before` for the timeline."""
    spans = sorted([*before.settled_spans(), *later.spans], key=lambda s: s.started)
    return replace(later, spans=spans)


def _merge_reason(old: str, new: str) -> str:
    if not old or old in new:
        return new
    if not new or new in old:
        return old
    return f"{old}; {new}"
