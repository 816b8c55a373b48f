"""Read regrtest's streamed output (plain or -v, sequential or -j) into `RunResults`.

The parser is incremental: the harness feeds lines as they come, asks which
file is running (to name it if the process dies), and calls `finish()` at the
end.  Formats (CPython 3.13 libregrtest, see FACTS.md):

- progress: `0:00:01 load avg: 1.37 [ 2/5/1] test_x failed (2 errors) in 1.2 sec`;
  sequential runs print `[n/N] test_x` before the file's output and the result
  line after it; with -j the result line comes first and the output after it.
- -v: `test_y (test.test_x.Class.test_y) ... ok`, subtests indented with their
  parameters, a docstring test's description on the next line, blocks
  `ERROR: name (id)` / `FAIL: ...` / `UNEXPECTED SUCCESS: ...` with tracebacks.
- a crash: `Fatal Python error: ...` then a faulthandler traceback; a hang:
  `Timeout (0:00:05)!` then the traceback.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..textutil import int_or_none
from .attempts import next_attempt
from .cases import (
    ERROR,
    FAILED,
    UNFINISHED_FILE_STATUSES,
    FileState,
    TestCase,
)
from .lines import (
    _CASE_HEAD,
    _CASE_LINE,
    _ERROR_HEADER,
    _PROGRESS,
    _RAN_LINE,
    _RERUN_HEADER,
    _RUN_HEADER,
    _RUNNING_LINE,
    _SEPARATOR_DASH,
    _SEPARATOR_EQ,
    _TIMEOUT_LINE,
    _TRAILING_DURATION,
    _doctest_head,
    _file_status,
    _split_case_head,
    _test_from_traceback,
    _verbose_status,
    parse_duration,
)

#: Lines of a file's loose output kept for crash and failure details.
from .lines import doctest_key as doctest_key  # junit.py's name for it
from .model import RunResults, TestFile

OUTPUT_TAIL_LINES = 300
#: The largest count (tests, hours) a regrtest line is read with; a larger one
#: is not regrtest's (a test printed it).
MAX_COUNT = 10**9

@dataclass
class _FileState:
    """What the parser knows about one file beyond the model."""

    output: deque[str] = field(default_factory=lambda: deque(maxlen=OUTPUT_TAIL_LINES))
    fatal: str = ""  # "Fatal Python error: Segmentation fault"
    timeout: float | None = None  # from a faulthandler "Timeout (0:00:05)!" line
    pending: tuple[str, str] | None = None  # (classname, name) of a test with no status yet
    pending_has_subtests: bool = False
    pending_head: str = ""  # a docstring test's "name (id)" line, description follows
    completed: set[tuple[str, str]] = field(default_factory=set)  # tests with a status line


class RegrtestParser:
    """Feed regrtest output line by line; `finish()` gives the results."""

    def __init__(self) -> None:
        self.results = RunResults()
        self.current_file: str | None = None  # sequential: the file running now
        self.finished_files: list[str] = []
        self.parallel = False
        self.timeout: float | None = None  # regrtest's --timeout, from its header
        self.total: int | None = None  # N in "[n/N]" of the first pass
        self._announced: set[str] = set()
        self._owner: str | None = None  # the file the next output lines belong to
        self._states: dict[str, _FileState] = {}
        self._block: TestCase | None = None  # ERROR/FAIL block being read
        self._block_lines: list[str] = []
        self._block_file = ""
        self._expect_block_header = False
        self._rerun = False  # regrtest's re-run of failed files has begun
        self._rerun_total = 0  # N in "Re-running N failed tests"
        self._rerun_started: set[str] = set()

    # --- lines ---------------------------------------------------------------

    def feed(self, line: str) -> None:
        line = line.rstrip("\r\n")
        if line[:1].isdigit():
            m = _PROGRESS.match(line)
            if m is not None:
                self._progress(m.group(2), m.group(3), m.group(4) or "", _elapsed(line))
                return
            if self._header(line) or _RUNNING_LINE.match(line):
                return  # "Run N tests ...", or -j's "running (2): test_a (30 sec), ..."
        if line.startswith("== Tests result:"):
            self._end_block()
            self._owner = None
            self.current_file = None
            return
        if self._owner is not None:
            self._file_line(self._owner, line)

    def _header(self, line: str) -> bool:
        m = _RUN_HEADER.match(line)
        if m is None:
            rerun = _RERUN_HEADER.search(line)
            count = None if rerun is None else int_or_none(rerun.group(1), high=MAX_COUNT)
            if count is not None:
                self._rerun, self._rerun_total = True, count
            return False
        self.parallel = m.group(1) == "in parallel"
        if m.group(2) and self.timeout is None:
            self.timeout = parse_duration(m.group(2))
        return True

    def _progress(self, total: str | None, name: str, rest: str, elapsed: float) -> None:
        self._end_block()
        if total and self.total is None:
            self.total = int_or_none(total, high=MAX_COUNT)
        if not self._rerun:
            self._announced.add(name)
        elif not rest.startswith("running ("):
            self._rerun_started.add(name)
        if not rest:  # sequential: the file starts now
            self._start(name)
            self.results.file(name).began_at = elapsed
            self.current_file = self._owner = name
            return
        if rest.startswith("running ("):
            return
        started_here = name == self.current_file
        if not started_here:  # -j: the result comes first, the output after it
            self._start(name)
        self._result(name, rest)
        f = self.results.file(name)
        if f.began_at is None:
            f.began_at = max(0.0, elapsed - f.duration)
        self.current_file = None
        self._owner = None if started_here else name

    def _start(self, name: str) -> None:
        old = self.results.files.get(name)
        if old is not None and old.status != FileState.RUNNING:
            del self.results.files[name]
            if self._rerun:  # regrtest's re-run: a new attempt, the old one kept
                self._finish_file(old, self._states.get(name))
                self.results.files[name] = next_attempt(old, TestFile(name))
            # else the same file ran twice in one pass (-F): the last run counts
        self.results.file(name)
        self._states[name] = _FileState()

    def _result(self, name: str, text: str) -> None:
        text = text.split(" -- running (", 1)[0]
        f = self.results.file(name)
        m = _TRAILING_DURATION.search(text)
        if m is not None:
            f.duration = parse_duration(m.group(1) or m.group(2))
            if not text.startswith("timed out"):
                text = text[: m.start()]
        status, reason = _file_status(text)
        self._close_pending(name)
        f.status, f.reason = status, reason or f.reason
        if status == FileState.TIMED_OUT:
            f.timeout = f.duration or self.timeout
        self.finished_files.append(name)

    # --- a file's own output -------------------------------------------------

    def _file_line(self, name: str, line: str) -> None:
        state = self._states.get(name)
        if state is None:
            state = self._states[name] = _FileState()
        if self._expect_block_header:
            self._expect_block_header = False
            m = _ERROR_HEADER.match(line)
            if m is not None:
                self._begin_block(name, m.group(1), m.group(2))
                return
        if line == _SEPARATOR_EQ:
            self._end_block()
            self._expect_block_header = True
            return
        if self._block is not None:
            if line == _SEPARATOR_DASH and not self._block_lines:
                return  # the rule under the block's header
            if line == _SEPARATOR_DASH or _RAN_LINE.match(line):
                self._end_block()
            else:
                self._block_lines.append(line)
                return
        if " ..." in line and self._case_line(name, state, line):
            return
        if state.pending_head:
            state.pending_head = ""
        if state.pending is not None and not state.pending_has_subtests:
            found = _verbose_status(line.strip())
            if found is not None:
                self._complete(name, state, state.pending, found)
                return
        m = _CASE_HEAD.fullmatch(line)
        if m is not None and m.group(3) is None:
            # Perhaps a docstring test: "name (id)" now, "Description ... ok" next.
            state.pending_head = line
        self._loose(name, state, line)

    def _case_line(self, name: str, state: _FileState, line: str) -> bool:
        m = _CASE_LINE.match(line)
        if m is None:
            return False
        indent, head, status_text = m.group(1), m.group(2), (m.group(3) or "").strip()
        parsed = _split_case_head(head.strip())
        if parsed is None and state.pending_head:
            parsed = _split_case_head(state.pending_head)
            if parsed is None:
                return False
        elif parsed is None:
            if indent or _verbose_status(status_text) is None:
                return False
            parsed = _doctest_head(head) or (self.results.file(name).module_name(), head, "")
        state.pending_head = ""
        classname, case_name, sub = parsed
        f = self.results.file(name)
        key = (classname, case_name)
        if sub:
            state.pending_has_subtests = True
        else:
            self._close_pending(name)
            state.pending = key
            state.pending_has_subtests = False
            f.running_test = f"{classname}.{case_name}"
        found = _verbose_status(status_text)
        if found is not None:
            self._complete(name, state, key, found, subtest=bool(sub))
        elif status_text:  # the test printed something, or crashed: "Fatal Python error"
            self._loose(name, state, status_text)
        return True

    def _complete(self, name: str, state: _FileState, key: tuple[str, str],
                  found: tuple[str, str], *, subtest: bool = False) -> None:
        status, message = found
        f = self.results.file(name)
        # A second status line for the same test is a second test (regrtest counts it).
        f.add_case(TestCase(key[0], key[1], status=status, message=message),
                   duplicate=key in state.completed)
        state.completed.add(key)
        if not subtest:
            state.pending = None
            f.running_test = None

    def _close_pending(self, name: str) -> None:
        """A test line with no status yet is over (the next test began)."""
        state = self._states.get(name)
        if state is not None:
            state.pending = None
            state.pending_has_subtests = False

    def _loose(self, name: str, state: _FileState, line: str) -> None:
        state.output.append(line)
        if line.startswith("Fatal Python error:"):
            state.fatal = state.fatal or line
        elif line.startswith("Timeout ("):
            m = _TIMEOUT_LINE.match(line)
            hours = None if m is None else int_or_none(m.group(1), high=MAX_COUNT)
            if m is not None and hours is not None:
                state.timeout = hours * 3600 + int(m.group(2)) * 60 + int(m.group(3))
        elif line.startswith(f"{name} skipped -- "):
            self.results.file(name).reason = line.split(" -- ", 1)[1]
        elif line.startswith(f"Re-running {name} in verbose mode (matching: "):
            matching = line.split("(matching: ", 1)[1].rstrip(")")
            self.results.file(name).rerun_matching = tuple(matching.split(", "))

    # --- ERROR/FAIL blocks ---------------------------------------------------

    def _begin_block(self, name: str, kind: str, head: str) -> None:
        parsed = _split_case_head(head) or _doctest_head(head)
        if parsed is None:
            classname, case_name = self.results.file(name).module_name(), head
        else:
            classname, case_name, _ = parsed
        status = ERROR if kind == "ERROR" else FAILED
        self._block = TestCase(classname, case_name, status=status,
                               message="unexpected success" if kind == "UNEXPECTED SUCCESS"
                               else "")
        self._block_lines = []
        self._block_file = name
        if kind == "UNEXPECTED SUCCESS":  # no traceback follows
            self._end_block()

    def _end_block(self) -> None:
        case, self._block = self._block, None
        if case is None:
            return
        lines = self._block_lines
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            case.detail = "\n".join(lines)
            case.message = case.message or lines[-1].strip()
        self._block_lines = []
        self.results.file(self._block_file).add_case(case)

    # --- the end ---------------------------------------------------------------

    @staticmethod
    def _finish_file(f: TestFile, state: _FileState | None) -> None:
        """Keep `f`'s output; a file with no result line says from it whether it
        timed out or crashed, and in which test."""
        if state is None:
            return
        f.output = "\n".join(state.output)
        if f.status in (FileState.RUNNING, FileState.CRASHED) and state.timeout is not None:
            f.status, f.timeout = FileState.TIMED_OUT, state.timeout
        elif f.status == FileState.RUNNING and state.fatal:
            f.status, f.reason = FileState.CRASHED, state.fatal
        if f.status in UNFINISHED_FILE_STATUSES and state.pending:
            f.running_key = state.pending  # -v: the last test line with no result
        if f.status in UNFINISHED_FILE_STATUSES and not f.running_test:
            f.running_test = _test_from_traceback(state.output)

    def finish(self) -> RunResults:
        """The results so far; a file still running is marked from its output
        (a faulthandler timeout or fatal error), else left for the harness."""
        self._end_block()
        for name, f in self.results.files.items():
            self._finish_file(f, self._states.get(name))
        if self.total is not None:
            self.results.missing_files = max(0, self.total - len(self._announced))
        self.results.rerun_missing = max(0, self._rerun_total - len(self._rerun_started))
        return self.results


def _elapsed(line: str) -> float:
    """regrtest's "H:MM:SS" at the start of a progress line, in seconds."""
    hours, minutes, seconds = line.split(" ", 1)[0].split(":")
    return int(hours[-9:]) * 3600.0 + int(minutes) * 60 + int(seconds)


def parse_log(text: str) -> RunResults:
    """A whole saved regrtest output at once."""
    parser = RegrtestParser()
    for line in text.splitlines():
        parser.feed(line)
    return parser.finish()


#: regrtest options that make more than failures fail the run (its exit codes 3
#: and 5; --fast-ci and --slow-ci imply --fail-env-changed, not --fail-rerun).
_FAIL_ENV_CHANGED = {"--fail-env-changed", "--fast-ci", "--slow-ci"}
_FAIL_RERUN = {"--fail-rerun"}


def apply_regrtest_options(results: RunResults, args: Sequence[str]) -> None:
    """regrtest's own rules for the exit status, from the arguments it ran with."""
    results.fail_env_changed = results.fail_env_changed or bool(_FAIL_ENV_CHANGED & set(args))
    results.fail_rerun = results.fail_rerun or bool(_FAIL_RERUN & set(args))
