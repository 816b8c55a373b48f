"""regrtest's re-run of failed tests (`--rerun`, implied by --fast-ci and
--slow-ci) as one result per test, the way Maven Surefire reports reruns.

regrtest runs every failed test file once more, in verbose mode, and only
its failed tests when it can name them.  Each source we read (the streamed
output, regrtest's own XML, the events hook) gives one *attempt* of a file per
pass; `TestFile.earlier` keeps the earlier attempts and the file itself is the
last one.  `combine` turns them into one case per test:

- a test that failed and then passed is one passing case whose `earlier`
  lists each failed attempt (JUnit `<flakyFailure>`/`<flakyError>`);
- a test that failed every time is one failing case, the last attempt's,
  whose `earlier` lists the attempts before it (`<rerunFailure>`/`<rerunError>`).

A failed attempt no test can be blamed for (a plain, non-verbose log; a file
that failed to import) stays on the file: its file-level case carries it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from .cases import ERROR, FAILED, PASSED, TestCase

if TYPE_CHECKING:
    from .model import TestFile

# A count starts a number and has bounded digits: findall is linear on any reason.
_COUNTS = re.compile(r"(?<!\d)(\d{1,9}) (failure|error)s?", re.ASCII)
_FRAME = re.compile(r'^  File "[^"]*", line \d+, in (\w+)$', re.MULTILINE)


def next_attempt(before: TestFile, after: TestFile) -> TestFile:
    """`after`, a later run of the file `before`, with `before` (and the attempts
    before it) as its earlier attempts."""
    earlier = [*before.earlier, replace(before, earlier=[]), *after.earlier]
    return replace(after, earlier=earlier)


def later_attempt(before: TestCase, after: TestCase) -> TestCase:
    """`after` (a later run of the same test) carrying `before`'s failure, if
    it failed, and the failures before that."""
    kept = before.earlier
    if before.status in (FAILED, ERROR):
        kept = (*kept, replace(before, earlier=()))
    return replace(after, earlier=(*kept, *after.earlier))


def combine(attempts: list[TestFile]) -> tuple[list[TestCase], list[TestCase]]:
    """The attempts' cases as one case per test, in the order tests first ran,
    and the earlier failed attempts no test could be blamed for (file level)."""
    merged: dict[tuple[str, str, int], TestCase] = {}
    unblamed: list[TestCase] = []
    previous: TestFile | None = None
    for attempt in attempts:
        seen: Counter[tuple[str, str]] = Counter()
        # The previous attempt's failure is a test's when one of its tests failed.
        blamed = previous is not None and any(c.status in (FAILED, ERROR)
                                              for c in previous.cases)
        guessed = _blamed_without_detail(previous, attempt) if previous and not blamed else set()
        for case in attempt.cases:
            key = (*case.key, seen[case.key])  # a test that ran twice in one pass
            seen[case.key] += 1
            before = merged.get(key)
            if before is None and previous is not None and (
                    _rerun_for(attempt, case) or case.key in guessed):
                before, blamed = _unseen_failure(previous, like=case), True
            merged[key] = case if before is None else later_attempt(before, case)
        if previous is not None and previous.failed and not blamed:
            unblamed.append(file_attempt_case(previous))
        previous = attempt
    return list(merged.values()), unblamed


def _blamed_without_detail(previous: TestFile, attempt: TestFile) -> set[tuple[str, str]]:
    """The tests of `attempt` (a re-run that shows each test) that `previous`, a
    failed attempt without per-test detail, failed in: the one test its lone
    traceback ran in ("test test_x failed -- Traceback ... in test_y"), or the
    tests failing now when they match its counts ("1 error, 1 failure")."""
    if not previous.failed or any(c.status in (FAILED, ERROR) for c in previous.cases):
        return set()
    counts = Counter({kind: int(n) for n, kind in _COUNTS.findall(previous.reason)})
    if sum(counts.values()) == 1 and " failed -- Traceback" in previous.output:
        frames = set(_FRAME.findall(previous.output))
        named = {c.key for c in attempt.cases if c.name in frames}
        if len(named) == 1:
            return named
    failing = [c for c in attempt.cases if c.status in (FAILED, ERROR)]
    now = Counter("error" if c.status == ERROR else "failure" for c in failing)
    return {c.key for c in failing} if failing and now == counts else set()


def cases_of_attempts(f: TestFile, extra: TestCase | None) -> list[TestCase]:
    """`f`'s attempts as one case per test, and `extra`, the last attempt's
    file-level case, carrying the earlier failures no test is blamed for."""
    cases, unblamed = combine([*f.earlier, f])
    failing = [c for c in cases if c.status in (FAILED, ERROR)]
    if unblamed and not extra and failing:
        # Failed before and failed again, no test to blame for the earlier
        # attempts: the first test failing now carries them (re-run attempts).
        first = cases.index(failing[0])
        cases[first] = replace(failing[0], earlier=(*unblamed, *failing[0].earlier))
    elif unblamed:  # failed, then passed, no test to blame: the file's own case
        extra = extra or TestCase(f.module_name(), f.name, status=PASSED, message=f.reason)
        extra.earlier = (*unblamed, *extra.earlier)
    return [*cases, extra] if extra else cases


def _rerun_for(attempt: TestFile, case: TestCase) -> bool:
    """Whether regrtest re-ran `case` because it had failed: its re-run line
    named it ("matching: test_x, ClassName")."""
    if not attempt.rerun_matching:
        return False
    parts = {case.name.split(" ", 1)[0], *case.classname.split(".")}
    return any(name in parts for name in attempt.rerun_matching)


def _unseen_failure(attempt: TestFile, like: TestCase | None = None) -> TestCase:
    """What a failed attempt without per-test detail says of a test regrtest
    named for its re-run (`like`, its later attempt): that it failed, with the
    file's words and output.  An error or a failure by regrtest's counts
    ("1 error, 1 failure": the kind the test's later failure was)."""
    counts = {kind: int(n) for n, kind in _COUNTS.findall(attempt.reason)}
    if like is not None and like.status in (FAILED, ERROR) and counts.get(
            "error" if like.status == ERROR else "failure"):
        status = like.status
    else:
        status = ERROR if counts.get("error") and not counts.get("failure") else FAILED
    what = f"{attempt.reason}" if attempt.reason else attempt.status.replace("_", " ")
    classname, name = like.key if like is not None else (attempt.module_name(), attempt.name)
    return TestCase(classname, name, time=attempt.duration, status=status,
                    message=f"{attempt.name} {what} (regrtest showed no per-test detail)",
                    detail=attempt.output)


def file_attempt_case(attempt: TestFile) -> TestCase:
    """An earlier attempt of a whole file as one failed result: its file-level
    case (crashed, timed out, uncaught exception) when it has one."""
    return attempt.file_case() or _unseen_failure(attempt)
