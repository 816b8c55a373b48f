"""Running the shards: each runner works through its test files, resuming in
a fresh process after a crash or hang; the deadline and SIGINT/SIGTERM stop
every runner's processes and keep what finished."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..console import Console
from ..errors import CommandFailed, UserError, error_line
from ..runners import Invocation, Outcome, Runner
from ..textutil import join_command

if TYPE_CHECKING:
    from ..results import RegrtestParser, RunResults

from .planning import PythonCommand, TestOptions, load_durations, plan_shards, subset_args

#: faulthandler's line when regrtest's --timeout stops a test file.
_TIMEOUT_BANNER = re.compile(r"^Timeout \(\d+:\d\d:\d\d(\.\d+)?\)!$")
_TEST_NAME = re.compile(r"^[A-Za-z_][\w.]*$")

# --- running -------------------------------------------------------------------

@dataclass
class RunContext:
    """What every shard shares: options, output, the deadline."""

    options: TestOptions
    command: PythonCommand
    console: Console
    labelled: bool  # prefix target output with the runner's name (several shards)
    deadline_at: float | None = None  # time.monotonic() value
    interrupted_by: str | None = None  # "SIGTERM": set when a signal stops the run

    def remaining(self) -> float | None:
        if self.deadline_at is None:
            return None
        return max(0.0, self.deadline_at - time.monotonic())

    def show(self, label: str, line: str) -> None:
        self.console.write(f"[{label}] {line}" if self.labelled else line)


async def list_tests(runner: Runner, ctx: RunContext, args: Sequence[str]) -> list[str]:
    """The test files regrtest selects for `args`, asked of the target itself."""
    lines: list[str] = []
    argv = ctx.command.argv([*args, "--list-tests"])
    outcome = await runner.run(
        Invocation(argv, cwd=ctx.options.cwd, site_packages=ctx.options.site_packages,
                   timeout=ctx.remaining()),
        lambda line, stream: lines.append(line))
    if outcome.returncode != 0:
        raise CommandFailed([runner.name, *argv], -1 if outcome.returncode is None
                            else outcome.returncode, tail="\n".join(lines[-30:]),
                            step="list the selected test files")
    # Keep names only: regrtest's re-exec line ("+ python ...") and warnings go.
    return [line.strip() for line in lines if _TEST_NAME.match(line.strip())]


@dataclass
class ShardRun:
    """One runner working through its test files, resuming after a crash."""

    runner: Runner
    ctx: RunContext
    files: list[str] | None  # None: the user's own selection, not listed yet
    parts: list[RunResults] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # harness-level failures
    _parser: RegrtestParser | None = None
    _pending: list[str] | None = None

    @property
    def label(self) -> str:
        return self.runner.name

    async def run(self) -> None:
        self._pending = self.files
        try:
            while await self._attempt():
                pass
        except asyncio.CancelledError:
            how = f"interrupted by {self.ctx.interrupted_by or 'a cancellation'}"
            self._record_stop(how, f"not run: the run was {how}")
            raise
        except Exception as e:
            # This runner failed (a lost device, a listing that failed, a bug):
            # the other shards carry on, and the report says what happened.
            text = str(e).strip().splitlines()
            message = f"{self.label}: {type(e).__name__}: {text[-1] if text else ''}"
            self.ctx.console.warn(error_line(message))
            self.problems.append(message)
            self._record_stop(None, f"not run: {message}")

    async def _attempt(self) -> bool:
        """Run the pending files once; True if a resume should follow."""
        from ..results import RegrtestParser, mark_timed_out, merge_regrtest_xml

        ctx, options = self.ctx, self.ctx.options
        command = ctx.command
        args = (list(command.args) if self._pending is None
                else subset_args(command.args, self._pending))
        parser = RegrtestParser()
        self._parser = parser
        timeout_seen = False

        def on_line(line: str, stream: str) -> None:
            nonlocal timeout_seen
            ctx.show(self.label, line)
            parser.feed(line)
            if _TIMEOUT_BANNER.match(line):
                timeout_seen = True

        with tempfile.TemporaryDirectory(prefix="android-py-test-") as scratch:
            invocation = Invocation(
                command.argv(args), cwd=options.cwd, site_packages=options.site_packages,
                junit_xml=Path(scratch) / "regrtest.xml", timeout=ctx.remaining(),
                pull=options.pull, pull_to=options.output_dir)
            if options.verbose:
                ctx.console.write(f"[{self.label}] > python {join_command(invocation.args)}")
            outcome = await self.runner.run(invocation, on_line)
            running = parser.current_file
            results = parser.finish()
            self._parser = None
            if outcome.junit_xml is not None:
                merge_regrtest_xml(results, outcome.junit_xml)
        self.parts.append(results)

        if outcome.timed_out:  # the overall deadline
            if running:
                mark_timed_out(results, running, options.deadline or 0.0)
            await self._mark_rest(results, "not run: the overall deadline (--deadline) expired")
            return False
        if running is None:
            self._check_ended_well(results, outcome)
            return False
        what = self._mark_stopped(results, running, outcome, timeout_seen, parser.timeout)
        if not options.resume:
            await self._mark_rest(results, f"not run: {running} {what} and --no-resume "
                                  "stops at the first crash")
            return False
        return await self._resume(results, running, what, outcome)

    def _mark_stopped(self, results: RunResults, running: str, outcome: Outcome,
                      timeout_seen: bool, parser_timeout: float | None) -> str:
        """The process ended inside a test file: it crashed, or regrtest's
        --timeout (faulthandler) stopped it.  The parser knows which from
        the output when it shows; the exit status adds the rest."""
        from ..results import mark_crashed, mark_timed_out
        from ..results.model import FILE_TIMED_OUT

        stopped = results.file(running)
        if stopped.status == FILE_TIMED_OUT or timeout_seen:
            if stopped.status != FILE_TIMED_OUT:
                mark_timed_out(results, running,
                               self.ctx.options.timeout or parser_timeout or 0.0)
            return "timed out"
        mark_crashed(results, running, outcome.detail)
        return "crashed"

    async def _resume(self, results: RunResults, running: str, what: str,
                      outcome: Outcome) -> bool:
        """Whether to run the files not run yet in a fresh process (and which)."""
        ctx = self.ctx
        before = self._pending
        remaining = await self._not_done()
        # The files regrtest announced but never reached are accounted by name now.
        results.missing_files = 0
        if not remaining:
            return False
        if before is not None and set(remaining) == set(before):
            # Nothing got done (the crash is not where the names say): do not loop.
            mark_not_run_reason = f"not run: {running} {what} and no test file finished"
            await self._mark_rest(results, mark_not_run_reason)
            self.problems.append(f"{self.label}: {running} {what} before any listed "
                                 "test file finished; not resuming again")
            return False
        ctx.console.write(f"[{self.label}] {running} {what} ({outcome.detail}); resuming "
                          f"in a fresh process with the {len(remaining)} test file(s) not run")
        self._pending = remaining
        return True

    def _check_ended_well(self, results: RunResults, outcome: Outcome) -> None:
        """A regrtest exit status outside its own set means python itself failed."""
        code = outcome.returncode
        if code in (0, 2, 3, 4, 5, 130):  # regrtest's EXITCODE_* values
            return
        message = f"{self.label}: python ended with {outcome.detail or code} outside any test file"
        self.ctx.console.warn(error_line(message))
        self.problems.append(message)

    async def _selection(self) -> list[str]:
        if self._pending is None:
            self._pending = await list_tests(self.runner, self.ctx, self.ctx.command.args)
        return self._pending

    def _done(self) -> set[str]:
        from ..results.model import FILE_NOT_RUN, FILE_RUNNING

        return {name for part in self.parts for name, f in part.files.items()
                if f.status not in (FILE_NOT_RUN, FILE_RUNNING)}

    async def _not_done(self) -> list[str]:
        done = self._done()
        return [name for name in await self._selection() if name not in done]

    async def _mark_rest(self, results: RunResults, reason: str) -> None:
        from ..results import mark_not_run

        if self.ctx.remaining() == 0.0 and self._pending is None:
            # No time left to ask the target for the names: regrtest's "[n/N]"
            # count (results.missing_files) says how many did not run.
            return
        with contextlib.suppress(UserError, CommandFailed, OSError):
            rest = await self._not_done() if self.ctx.remaining() != 0.0 else self._known_rest()
            mark_not_run(results, rest, reason)
            results.missing_files = 0

    def _known_rest(self) -> list[str]:
        done = self._done()
        return [name for name in self._pending or () if name not in done]

    def _record_stop(self, how: str | None, reason: str) -> None:
        """After an interrupt or a runner error: keep what ran, name what did not."""
        from ..results import RunResults, mark_not_run
        from ..results.model import FILE_INTERRUPTED

        parser = self._parser
        if parser is not None:
            running = parser.current_file
            results = parser.finish()
            self._parser = None
            if running and how:
                stopped = results.file(running)
                stopped.status = FILE_INTERRUPTED
                where = f" while running {stopped.running_test}" if stopped.running_test else ""
                stopped.reason = how + where
            self.parts.append(results)
        rest = self._known_rest()
        if rest:
            if not self.parts:
                self.parts.append(RunResults())
            mark_not_run(self.parts[-1], rest, reason)
            self.parts[-1].missing_files = 0


@contextlib.contextmanager
def _cancel_on_signals(task: asyncio.Task[object], ctx: RunContext) -> Iterator[list[int]]:
    """SIGINT/SIGTERM cancel `task` (so every runner kills its processes) and
    are recorded, instead of raising wherever the event loop happens to be."""
    loop = asyncio.get_running_loop()
    received: list[int] = []
    previous: dict[signal.Signals, object] = {}

    def handler(signum: int) -> None:
        received.append(signum)
        ctx.interrupted_by = signal.Signals(signum).name
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.getsignal(signum)
            loop.add_signal_handler(signum, handler, signum)
        except (RuntimeError, ValueError):  # not the main thread: leave signals alone
            previous.pop(signum, None)
    try:
        yield received
    finally:
        for signum, old in previous.items():
            loop.remove_signal_handler(signum)
            signal.signal(signum, old)  # type: ignore[arg-type]


@dataclass
class Report:
    """What a regrtest run produced."""

    results: RunResults
    problems: list[str]
    interrupted: bool


async def run_regrtest(runners: Sequence[Runner], ctx: RunContext) -> Report:
    """Shard the selection over `runners`, run, resume, and merge the results."""
    from ..results import merge

    task = asyncio.current_task()
    assert task is not None
    shard_runs: list[ShardRun] = []
    interrupted = False
    with _cancel_on_signals(task, ctx) as received:
        try:
            shard_runs = await _plan(runners, ctx)
            async with asyncio.TaskGroup() as group:
                for shard in shard_runs:
                    group.create_task(shard.run())
        except asyncio.CancelledError:
            if not received:
                raise
            interrupted = True
    results = merge(part for shard in shard_runs for part in shard.parts)
    problems = [p for shard in shard_runs for p in shard.problems]
    return Report(results, problems, interrupted)


async def _plan(runners: Sequence[Runner], ctx: RunContext) -> list[ShardRun]:
    options = ctx.options
    if len(runners) == 1:
        # One shard: run the user's selection as given; list it only if a
        # crash makes a resume necessary (listing costs a python start-up).
        return [ShardRun(runners[0], ctx, None)]
    selection = await list_tests(runners[0], ctx, ctx.command.args)
    if not selection:
        return []
    durations = load_durations(options.durations, selection) if options.durations else None
    plan = plan_shards(selection, len(runners), durations)
    shards = [ShardRun(runner, ctx, files) for runner, files in zip(runners, plan, strict=True)
              if files]
    for shard in shards:
        ctx.console.write(f"[{shard.label}] {len(shard.files or ())} test file(s)")
    return shards


async def run_plain(runner: Runner, ctx: RunContext) -> int:
    """-c CODE, another module, or a regrtest listing: stream it, return its status."""
    task = asyncio.current_task()
    assert task is not None
    options = ctx.options
    with _cancel_on_signals(task, ctx) as received:
        try:
            outcome = await runner.run(
                Invocation(ctx.command.argv(), cwd=options.cwd,
                           site_packages=options.site_packages, timeout=ctx.remaining(),
                           pull=options.pull, pull_to=options.output_dir),
                lambda line, stream: ctx.show(runner.name, line))
        except asyncio.CancelledError:
            if not received:
                raise
            raise KeyboardInterrupt from None
    if outcome.timed_out:
        ctx.console.warn(error_line(f"the deadline expired: {outcome.detail}"))
        return 1
    return 1 if outcome.returncode is None else outcome.returncode
