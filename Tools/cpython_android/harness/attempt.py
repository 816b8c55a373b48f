"""One attempt: a runner runs the target python once over a batch of test
files and the run comes back as a record (`Attempt`): the command line, how
it ended, its parsed output, the runner that ran it.  What happens next
(resume after a crash, re-run, stop) is `shard_run`'s decision over these
records; nothing here decides."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ..results import FileState, RegrtestParser, RunResults, merge_regrtest_xml
from ..runners import Invocation, Outcome, Runner

#: faulthandler's line when regrtest's --timeout stops a test file.
TIMEOUT_BANNER = re.compile(r"^Timeout \(\d+:\d\d:\d\d(\.\d+)?\)!$")


class Ending(Enum):
    """How an attempt ended: what the shard does next depends on it alone."""

    DEADLINE = "stopped by the overall deadline"  # --deadline: stop everything
    BETWEEN_FILES = "ended between test files"  # regrtest ended on its own: done
    TIMED_OUT = "timed out"  # inside a file, regrtest's --timeout: resume after it
    CRASHED = "crashed"  # inside a file, the process died: resume after it


@dataclass
class Attempt:
    """One run of the target python, as it ended."""

    argv: Sequence[str]  # the python command line (after the interpreter)
    device: str  # the runner that ran it, e.g. "emulator-5554", "qemu-aarch64-2"
    outcome: Outcome  # exit status, timeout, the native crash report
    results: RunResults  # its parsed output (and regrtest's own XML, when asked for)
    running: str | None  # the test file running when it ended (None: between files)
    timeout_seen: bool = False  # faulthandler's "Timeout (h:mm:ss)!" was in the output
    regrtest_timeout: float | None = None  # regrtest's --timeout, as its output said
    started: float = 0.0  # epoch seconds: when the runner was asked to run it
    ended: float = 0.0  # and when it came back

    @property
    def ending(self) -> Ending:
        """Read after the events are in `results` (they may say a file timed out)."""
        if self.outcome.timed_out:
            return Ending.DEADLINE
        if self.running is None:
            return Ending.BETWEEN_FILES
        stopped = self.results.files.get(self.running)
        if self.timeout_seen or (stopped is not None and stopped.status == FileState.TIMED_OUT):
            return Ending.TIMED_OUT
        return Ending.CRASHED

    @property
    def crash_text(self) -> str:
        """debuggerd's report of a native crash (Android), "" elsewhere."""
        return self.outcome.crash_log


async def run_attempt(runner: Runner, make_invocation: Callable[[Path], Invocation],
                      parser: RegrtestParser, show: Callable[[str], None]) -> Attempt:
    """Run once: each line shown (`show`) and fed to `parser` (the caller keeps
    it, to read what ran if the run is cancelled); `make_invocation` gets a
    scratch directory that lives for the run (regrtest's XML lands there)."""
    timeout_seen = False

    def on_line(line: str, stream: str) -> None:
        nonlocal timeout_seen
        show(line)
        parser.feed(line)
        if TIMEOUT_BANNER.match(line):
            timeout_seen = True

    with tempfile.TemporaryDirectory(prefix="android-py-test-") as scratch:
        invocation = make_invocation(Path(scratch))
        started = time.time()
        outcome = await runner.run(invocation, on_line)
        ended = time.time()
        running = parser.current_file
        results = parser.finish()
        if outcome.junit_xml is not None:
            merge_regrtest_xml(results, outcome.junit_xml)
    return Attempt(invocation.args, runner.name, outcome, results, running, timeout_seen,
                   parser.timeout, started, ended)
