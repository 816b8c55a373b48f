"""One model of a regrtest run: test files (JUnit testsuites) holding test
cases (JUnit testcases), whatever the source (streamed output, regrtest's own
XML, the harness's knowledge that a process crashed or hung).

A file whose result only the harness knows (crashed, timed out, never run)
keeps that as its `status`; the cases that say so in JUnit are made from it
when asked (`TestFile.all_cases`), so marking a file twice never duplicates
a case and the message always names the latest detail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Case statuses (JUnit's vocabulary).
PASSED = "passed"
FAILED = "failed"
ERROR = "error"
SKIPPED = "skipped"

# File statuses: regrtest's own (lower-cased) plus the ones only the harness knows.
FILE_PASSED = "passed"
FILE_FAILED = "failed"
FILE_SKIPPED = "skipped"
FILE_RESOURCE_DENIED = "resource_denied"
FILE_ENV_CHANGED = "env_changed"
FILE_NO_TESTS = "no_tests"  # regrtest: "ran no tests"
FILE_UNCAUGHT = "uncaught_exception"  # regrtest: "failed (uncaught exception)", e.g. import error
FILE_REFLEAK = "refleak"
FILE_INTERRUPTED = "interrupted"
FILE_WORKER_BUG = "worker_bug"
FILE_CRASHED = "crashed"
FILE_TIMED_OUT = "timed_out"
FILE_NOT_RUN = "not_run"
FILE_RUNNING = "running"  # started, no result yet (only while streaming)

#: File statuses that make the run fail.
BAD_FILE_STATUSES = frozenset({FILE_FAILED, FILE_UNCAUGHT, FILE_REFLEAK, FILE_INTERRUPTED,
                               FILE_WORKER_BUG, FILE_CRASHED, FILE_TIMED_OUT, FILE_NOT_RUN,
                               FILE_RUNNING})
#: File statuses meaning "this file did not run its tests" (not a failure in itself).
SKIPPED_FILE_STATUSES = frozenset({FILE_SKIPPED, FILE_RESOURCE_DENIED, FILE_NO_TESTS})

_SEVERITY = {PASSED: 0, SKIPPED: 1, FAILED: 2, ERROR: 3}


@dataclass
class TestCase:
    """One JUnit testcase."""

    __test__ = False  # not a pytest test class

    classname: str  # "test.test_x.ClassName"; file-level cases: "test.test_x"
    name: str  # "test_method", "setUpClass", "test_y (subtest x=1)", "crash", "not run"
    time: float = 0.0
    status: str = PASSED  # passed | failed | error | skipped
    message: str = ""
    detail: str = ""  # traceback / output

    @property
    def key(self) -> tuple[str, str]:
        return (self.classname, self.name)

    def absorb(self, other: TestCase) -> None:
        """Fill in what `other` (the same test from another source) knows and we do not."""
        if other.time and not self.time:
            self.time = other.time
        if _SEVERITY[other.status] > _SEVERITY[self.status]:
            self.status = other.status
            self.message = other.message or self.message
            self.detail = other.detail or self.detail
        elif other.status == self.status:
            self.message = self.message or other.message
            self.detail = self.detail or other.detail


@dataclass
class TestFile:
    """One test file (JUnit testsuite), as regrtest names it: "test_os"."""

    __test__ = False

    name: str
    status: str = FILE_RUNNING
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
    continues: bool = False  # a resumed run of the rest of this file: merged, not replaced
    # Native crash reports (crash/): test id ("" for the file) -> the top frame,
    # "SIGSEGV in PyObject_GetAttr (Objects/object.c:1252)", for the summary.
    crash_frames: dict[str, str] = field(default_factory=dict)

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

    def all_cases(self) -> list[TestCase]:
        """The cases, plus the file-level case that says what went wrong (or why it
        was skipped) when the individual cases do not."""
        extra = self._file_case()
        return [*self.cases, extra] if extra else list(self.cases)

    def _file_case(self) -> TestCase | None:
        module = self.module_name()
        running = f" while running {self.running_test}" if self.running_test else ""
        tail = self.output
        if self.status in (FILE_CRASHED, FILE_TIMED_OUT) and self.stops and all(
                test for _, test, _ in self.stops):
            return None  # the tests that crashed or hung carry it, as cases of their own
        if self.status == FILE_CRASHED:
            why = self.reason or "the process ended without a result"
            return TestCase(module, "crash", status=ERROR,
                            message=f"{self.name} crashed ({why}){running}", detail=tail)
        if self.status == FILE_TIMED_OUT:
            limit = f" after {self.timeout:g} s" if self.timeout else ""
            return TestCase(module, "timeout", status=ERROR,
                            message=f"{self.name} timed out{limit}{running}", detail=tail)
        if self.status == FILE_NOT_RUN:
            return TestCase(module, "not run", status=ERROR,
                            message=f"{self.name} not run: {self.reason or 'the run ended early'}")
        if self.status == FILE_RUNNING:
            return TestCase(module, "incomplete", status=ERROR,
                            message=f"{self.name} has no result: the output ended{running}",
                            detail=tail)
        has_bad_case = any(c.status in (FAILED, ERROR) for c in self.cases)
        if self.status in BAD_FILE_STATUSES and not has_bad_case:
            what = self.reason or self.status.replace("_", " ")
            return TestCase(module, self.status, status=ERROR,
                            message=f"{self.name} {what}", detail=tail)
        if self.status in SKIPPED_FILE_STATUSES and not self.cases:
            what = self.reason or self.status.replace("_", " ")
            return TestCase(module, self.status, status=SKIPPED, message=what)
        return None

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


@dataclass
class RunResults:
    """The whole run, files in the order their results came."""

    files: dict[str, TestFile] = field(default_factory=dict)
    #: regrtest's --fail-env-changed: a file that altered the environment fails the run.
    fail_env_changed: bool = False
    #: Test files regrtest announced ("[n/N]") that never reported: N minus those seen.
    missing_files: int = 0

    def file(self, name: str) -> TestFile:
        """The file called `name`, created (still running) if new."""
        found = self.files.get(name)
        if found is None:
            found = self.files[name] = TestFile(name)
        return found

    def counts(self) -> Counts:
        files = list(self.files.values())
        cases = [c for f in files for c in f.all_cases()]

        def tests(status: str) -> int:
            return sum(1 for c in cases if c.status == status)

        def named(status: str) -> tuple[str, ...]:
            return tuple(f.name for f in files if f.status == status)

        return Counts(
            files=len(files) + self.missing_files,
            files_passed=sum(1 for f in files if not self._file_failed(f)
                             and f.status not in SKIPPED_FILE_STATUSES),
            files_failed=sum(1 for f in files if self._file_failed(f)) + self.missing_files,
            files_skipped=sum(1 for f in files if f.status in SKIPPED_FILE_STATUSES),
            files_env_changed=sum(1 for f in files if f.status == FILE_ENV_CHANGED),
            crashed=named(FILE_CRASHED),
            timed_out=named(FILE_TIMED_OUT),
            not_run=named(FILE_NOT_RUN),
            tests=len(cases),
            tests_passed=tests(PASSED),
            tests_failed=tests(FAILED),
            tests_errored=tests(ERROR),
            tests_skipped=tests(SKIPPED),
        )

    def _file_failed(self, f: TestFile) -> bool:
        return f.failed or (self.fail_env_changed and f.status == FILE_ENV_CHANGED)

    def ran_nothing(self) -> bool:
        """No test file ran any test: everything was skipped, not run, or absent."""
        return not any(f.status not in SKIPPED_FILE_STATUSES | {FILE_NOT_RUN}
                       for f in self.files.values())

    def exit_status(self) -> int:
        """0 only if some test ran and nothing failed, errored, crashed or timed out."""
        if self.ran_nothing() or self.missing_files:
            return 1
        return 1 if any(self._file_failed(f) for f in self.files.values()) else 0

    def summary(self) -> str:
        c = self.counts()
        lines = [
            f"Test files: {c.files} total, {c.files_passed} passed, {c.files_failed} failed, "
            f"{c.files_skipped} skipped"
            + (f", {c.files_env_changed} altered the environment" if c.files_env_changed else ""),
            f"Tests: {c.tests} total, {c.tests_passed} passed, {c.tests_failed} failed, "
            f"{c.tests_errored} errors, {c.tests_skipped} skipped",
        ]
        for f in self.files.values():
            named_stops = [stop for stop in f.stops if stop[1]]
            lines.extend(f"{test} crashed: {f.crash_frames[test]}" if test in f.crash_frames
                         and kind == "Crashed" else f"{kind}: {test} ({cause})"
                         for kind, test, cause in named_stops)
            if named_stops and len(named_stops) == len(f.stops):
                continue
            if f.status == FILE_CRASHED:
                top = f": {f.crash_frames['']}" if "" in f.crash_frames else ""
                lines.append(f"Crashed: {_one_line(f.all_cases()[-1].message)}{top}")
            elif f.status == FILE_TIMED_OUT:
                lines.append(f"Timed out: {_one_line(f.all_cases()[-1].message)}")
            elif f.status == FILE_RUNNING:
                lines.append(f"No result: {_one_line(f.all_cases()[-1].message)}")
        if c.not_run:
            lines.append(f"Not run ({len(c.not_run)}): {' '.join(c.not_run)}")
        if self.missing_files:
            lines.append(f"Not run: {self.missing_files} more test file(s) regrtest announced "
                         "never reported (the output ends early)")
        failed = [f.name for f in self.files.values() if self._file_failed(f)
                  and f.status not in (FILE_CRASHED, FILE_TIMED_OUT, FILE_NOT_RUN, FILE_RUNNING)]
        if failed:
            lines.append(f"Failed ({len(failed)}): {' '.join(failed)}")
        if self.ran_nothing():
            lines.append("No tests ran: this counts as a failure (check the test selection "
                         "and that the test files exist on the target)")
        lines.append("Result: " + ("SUCCESS" if self.exit_status() == 0 else "FAILURE"))
        return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def mark_crashed(results: RunResults, file: str, detail: str) -> None:
    """`file` crashed: `detail` names the signal or exit code ("killed by SIGSEGV")."""
    f = results.file(file)
    f.status = FILE_CRASHED
    f.reason = _merge_reason(f.reason, detail)


def mark_timed_out(results: RunResults, file: str, timeout: float) -> None:
    """`file` was still running after `timeout` seconds and was stopped."""
    f = results.file(file)
    f.status = FILE_TIMED_OUT
    f.timeout = timeout


def mark_not_run(results: RunResults, files: Iterable[str], reason: str) -> None:
    """`files` never ran (the run ended early): listed as errors, never dropped.
    A file that already has a result keeps it.  Files named here stand for the
    ones the output only counted (`missing_files`)."""
    added = 0
    for name in files:
        if name not in results.files:
            results.files[name] = TestFile(name, status=FILE_NOT_RUN, reason=reason)
            added += 1
    results.missing_files = max(0, results.missing_files - added)


def merge(parts: Iterable[RunResults]) -> RunResults:
    """Shards or resumed runs as one run.  A later real result for a file replaces
    an earlier one; "not run" never replaces a real result."""
    merged = RunResults()
    for part in parts:
        merged.fail_env_changed = merged.fail_env_changed or part.fail_env_changed
        merged.missing_files += part.missing_files
        for name, f in part.files.items():
            old = merged.files.get(name)
            if old is not None and f.status == FILE_NOT_RUN and old.status != FILE_NOT_RUN:
                continue
            merged.files[name] = continue_file(old, f) if old and f.continues else f
    return merged


def continue_file(before: TestFile, rest: TestFile) -> TestFile:
    """A file that crashed or hung (`before`) and the resumed run of its other
    tests (`rest`) as one file: every case, every stop; still failed."""
    combined = TestFile(before.name, status=before.status, duration=before.duration,
                        reason=before.reason, output=before.output, module=before.module,
                        timeout=before.timeout, stops=list(before.stops),
                        crash_frames={**before.crash_frames, **rest.crash_frames})
    for case in [*before.cases, *rest.cases]:
        combined.add_case(case)
    combined.stops += rest.stops
    combined.duration += rest.duration
    if rest.status in (FILE_CRASHED, FILE_TIMED_OUT) or not before.stops:
        combined.status, combined.reason = rest.status, rest.reason
        combined.timeout, combined.output = rest.timeout, rest.output or before.output
    return combined


def _merge_reason(old: str, new: str) -> str:
    if not old or old in new:
        return new
    if not new or new in old:
        return old
    return f"{old}; {new}"
