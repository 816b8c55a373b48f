"""The vocabulary of results: a test case (one JUnit testcase), its statuses
(JUnit's), and a test file's states (regrtest's own plus the ones only the
harness knows)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Case statuses (JUnit's vocabulary).
PASSED = "passed"
FAILED = "failed"
ERROR = "error"
SKIPPED = "skipped"

class FileState(StrEnum):
    """A test file's state: regrtest's own (lower-cased) plus the ones only the
    harness knows.  A StrEnum: its values are the words JUnit and the summary show."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    RESOURCE_DENIED = "resource_denied"
    ENV_CHANGED = "env_changed"
    NO_TESTS = "no_tests"  # regrtest: "ran no tests"
    UNCAUGHT = "uncaught_exception"  # regrtest: "failed (uncaught exception)", e.g. import error
    REFLEAK = "refleak"
    INTERRUPTED = "interrupted"
    WORKER_BUG = "worker_bug"
    CRASHED = "crashed"
    TIMED_OUT = "timed_out"
    NOT_RUN = "not_run"
    RUNNING = "running"  # started, no result yet (only while streaming)


#: File statuses that make the run fail.
BAD_FILE_STATUSES = frozenset({
    FileState.FAILED, FileState.UNCAUGHT, FileState.REFLEAK, FileState.INTERRUPTED,
    FileState.WORKER_BUG, FileState.CRASHED, FileState.TIMED_OUT, FileState.NOT_RUN,
    FileState.RUNNING})
#: File states of a process that ended inside the file, or had not ended.
UNFINISHED_FILE_STATUSES = frozenset({FileState.RUNNING, FileState.CRASHED, FileState.TIMED_OUT})
#: File statuses meaning "this file did not run its tests" (not a failure in itself).
SKIPPED_FILE_STATUSES = frozenset({
    FileState.SKIPPED, FileState.RESOURCE_DENIED, FileState.NO_TESTS})

@dataclass(frozen=True)
class Span:
    """One stretch of a test file on one device or process: a bar of the
    report's timeline, a `span` property of its JUnit testsuite.  A file that
    crashed and was resumed, or ran again elsewhere after its device was lost,
    has one per stretch (timeline.py)."""

    device: str  # the runner that ran it: "emulator-5554", "lab-x86_64-2"
    started: float  # epoch seconds
    ended: float
    status: str = ""  # the stretch's FileState value; "": its file's (not settled yet)
    lost: bool = False  # the device was lost while this stretch ran

    @property
    def seconds(self) -> float:
        return max(0.0, self.ended - self.started)


_SEVERITY = {PASSED: 0, SKIPPED: 1, FAILED: 2, ERROR: 3}


@dataclass(slots=True)  # a run has tens of thousands: slots keep them small and quick
class TestCase:
    """One JUnit testcase."""

    __test__ = False  # not a pytest test class

    classname: str  # "test.test_x.ClassName"; file-level cases: "test.test_x"
    name: str  # "test_method", "setUpClass", "test_y (subtest x=1)", "crash", "not run"
    time: float = 0.0
    status: str = PASSED  # passed | failed | error | skipped
    message: str = ""
    detail: str = ""  # traceback / output
    # Earlier failed attempts (regrtest's --rerun), oldest first: flaky if this,
    # the last attempt, passed.  A tuple: no list made for each case run once.
    earlier: tuple[TestCase, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.classname, self.name)

    @property
    def id(self) -> str:
        return f"{self.classname}.{self.name}" if self.classname != self.name else self.name

    @property
    def flaky(self) -> bool:
        """Failed, then passed (or was skipped) when regrtest ran it again."""
        return bool(self.earlier) and self.status not in (FAILED, ERROR)

    @property
    def failed_every_attempt(self) -> bool:
        return bool(self.earlier) and self.status in (FAILED, ERROR)

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


@dataclass(frozen=True)
class LostDevice:
    """A device that went away during the run, and what that cost."""

    device: str  # the runner's name, e.g. "emulator-5556"
    detail: str  # how it went: "device emulator-5556 disconnected (...)"
    running: str | None  # the test file it was running, if any
    handed_back: tuple[str, ...]  # files it had not finished: the other devices got them
    seconds: float  # the lost batch's work, from its start to the loss

    def line(self) -> str:
        running = f" while running {self.running}" if self.running else ""
        back = (f"; {len(self.handed_back)} unfinished test file(s) went back to the pool"
                if self.handed_back else "")
        return (f"Lost device {self.device}{running} ({self.detail}): "
                f"{self.seconds:.0f} s of its work lost{back}")
