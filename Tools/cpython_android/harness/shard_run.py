"""One shard: a runner working through its test files (batches from the pool,
pool.py, when there are several runners), resuming in a fresh process after a
crash or hang; with the events hook (resume.py) each test is a case, and the
rest of a crashed file runs before the files not run yet."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..crash.collect import attach
from ..errors import DeviceGone, ToolError, error_line
from ..results import (
    FileState,
    LostDevice,
    RegrtestParser,
    RunResults,
    attribute_stops,
    mark_crashed,
    mark_not_run,
    mark_timed_out,
    stamp,
)
from ..resume import ShardEvents, runs_in_one_process
from ..runners import Invocation, Outcome, Runner
from ..textutil import join_command
from .attempt import Attempt, Ending, run_attempt
from .context import RunContext, list_tests
from .planning import (
    rerun_args,
    subset_args,
    wants_rerun,
)
from .pool import MAX_TRIES, WorkPool


@dataclass
class ShardRun:
    """One runner working through its test files, resuming after a crash."""

    runner: Runner
    ctx: RunContext
    files: list[str] | None  # None: the user's own selection, not listed yet
    pool: WorkPool | None = None  # several runners: batches come from here, not `files`
    parts: list[RunResults] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)  # every run, as it ended
    continued: set[str] = field(default_factory=set)  # files resumed in a fresh process
    problems: list[str] = field(default_factory=list)  # harness-level failures
    # The exit status of the error that stopped this runner (errors.ToolError's),
    # so a failure exits the same way inside a shard as outside one; 0: none.
    failure_status: int = 0
    lost: LostDevice | None = None  # this runner's device went away (with a pool)
    batches: int = 0  # batches taken from the pool
    stopped: bool = False  # --no-resume after a crash: no more batches for this runner
    _attempt_started: float = 0.0  # epoch seconds: the current attempt's start
    # Files that failed in a process a crash or hang ended before regrtest's re-run.
    _rerun_skipped: list[str] = field(default_factory=list)
    _parser: RegrtestParser | None = None
    _pending: list[str] | None = None
    # Per-test results and resume inside a crashed file (resume.py).
    _events: ShardEvents = field(default_factory=ShardEvents)
    _events_used: bool = False
    # regrtest's arguments for this shard's runs (None: the command's own).
    _args: tuple[str, ...] | list[str] | None = None

    @property
    def label(self) -> str:
        return self.runner.name

    async def run(self) -> None:
        try:
            if self.pool is None:  # the only runner: the selection as given
                self._pending = self.files
                await self._run_batch()
            else:
                while self.ctx.remaining() != 0.0 and (batch := await self.pool.take()):
                    self._pending = batch
                    if self.ctx.options.verbose or self.batches:
                        self.ctx.console.write(f"[{self.label}] {len(batch)} test file(s)")
                    self.batches += 1
                    self._finished_batch(await self._run_batch())
                    if self.lost is not None or self.stopped:
                        break
            await self._rerun_what_a_crash_skipped()
        except asyncio.CancelledError:
            how = f"interrupted by {self.ctx.interrupted_by or 'a cancellation'}"
            self._record_stop(how, f"not run: the run was {how}")
            raise
        except Exception as e:
            self._runner_failed(e)
        finally:
            self._events.mark_unrun(self.parts)
            self.continued |= self._events.resumed
            self._events.close()

    async def _run_batch(self) -> tuple[str | None, list[str]]:
        """Run `_pending` to its end, resuming after crashes.  With a pool, a lost
        device (DeviceGone), or any error that stops this runner, ends the batch
        with `self.lost` set; returns (the file it was running, the files not done)."""
        started = time.monotonic()
        try:
            while await self._attempt():
                pass
        except Exception as e:
            if self.pool is None:
                raise
            if not isinstance(e, DeviceGone):  # not the device: say what broke
                self._runner_failed(e, mark_rest=False)
            return self._lose_device(str(e).strip() or type(e).__name__, started)
        return None, []

    def _finished_batch(self, lost: tuple[str | None, list[str]]) -> None:
        """Tell the pool; what it cannot give anyone else is this runner's to report."""
        assert self.pool is not None
        running, unfinished = lost
        exhausted = self.pool.finished(lost=self.lost is not None, unfinished=unfinished,
                                       running=running)
        if not exhausted:
            return
        results = self.parts[-1] if self.parts else RunResults()
        if running in exhausted:
            mark_crashed(results, running, f"its device was lost while it ran, {MAX_TRIES} "
                         f"times (the last: {self.label}); not run again")
        mark_not_run(results, [f for f in exhausted if f != running],
                     "not run: every device was lost")
        if set(exhausted) - {running}:
            self.failure_status = max(self.failure_status, DeviceGone.exit_status)
        if not self.parts:
            self.parts.append(results)

    def _lose_device(self, detail: str, started: float) -> tuple[str | None, list[str]]:
        """This runner's device is gone: keep the files its process finished, and
        hand the one it was running and the rest of the batch back to the pool."""
        parser, self._parser = self._parser, None
        running = parser.current_file if parser is not None else None
        results = parser.finish() if parser is not None else RunResults()
        if self._events_used:
            self._collect_events(results)
        stamp(results, self.label, self._attempt_started, time.time(), lost=True)
        # The files regrtest announced ("[n/N]") but never reached are handed
        # back by name below, not counted as missing.
        results.missing_files = 0
        if running is not None:
            # It runs again, whole, elsewhere: "not run" here never replaces that
            # result (results.merge), and the timeline keeps this stretch.
            f = results.file(running)
            f.status, f.reason = FileState.NOT_RUN, f"its device {self.label} was lost while it ran"
            self._events.forget(running)
            self.continued.discard(running)
        self.parts.append(results)
        unfinished = [name for name in self._pending or () if name not in self._done()]
        self.lost = LostDevice(self.label, detail, running, tuple(unfinished),
                               time.monotonic() - started)
        results.lost_devices.append(self.lost)
        self.ctx.console.warn(f"[{self.label}] lost: {detail}; {len(unfinished)} unfinished "
                              "test file(s) go back to the pool")
        return running, unfinished

    def _runner_failed(self, e: Exception, mark_rest: bool = True) -> None:
        # This runner failed (a lost device, a listing that failed, a bug):
        # the other shards carry on, and the report says what happened.
        text = str(e).strip().splitlines()
        message = f"{self.label}: {type(e).__name__}: {text[-1] if text else ''}"
        self.ctx.console.warn(error_line(message))
        self.problems.append(message)
        self.failure_status = e.exit_status if isinstance(e, ToolError) else 1
        if mark_rest:
            self._record_stop(None, f"not run: {message}")

    async def _attempt(self) -> bool:
        """Run the pending files once; True if a resume should follow."""
        ctx, options = self.ctx, self.ctx.options
        command = ctx.command
        base = command.args if self._args is None else self._args
        args = list(base) if self._pending is None else subset_args(base, self._pending)
        self._events_used = runs_in_one_process(args)
        self._parser = RegrtestParser()

        def invocation(scratch: Path) -> Invocation:
            made = self._invocation(args, scratch)
            if options.verbose:
                ctx.console.write(f"[{self.label}] > python {join_command(made.args)}")
            return made

        self._attempt_started = time.time()
        attempt = await run_attempt(self.runner, invocation, self._parser,
                                    lambda line: ctx.show(self.label, line))
        self._parser = None
        self.attempts.append(attempt)
        results, running, outcome = attempt.results, attempt.running, attempt.outcome
        if self._events_used:
            self._collect_events(results)
        stamp(results, attempt.device, attempt.started, attempt.ended)
        self.parts.append(results)

        ending = attempt.ending
        if ending is Ending.DEADLINE:
            if running:
                mark_timed_out(results, running, options.deadline or 0.0)
                self._events.attribute(results, running)
                self._events.stop_file(running, "the overall deadline (--deadline) expired")
            await self._mark_rest(results, "not run: the overall deadline (--deadline) expired")
            return False
        if ending is Ending.BETWEEN_FILES or running is None:
            attribute_stops(results)  # -j: a worker that crashed or hung
            self._check_ended_well(results, outcome)
            return False
        self._mark_stopped(results, running, attempt)
        # regrtest re-runs failed files at the end of its process: this one ended
        # before that (the file it stopped in is resumed, not re-run).
        self._rerun_skipped += [name for name, f in results.files.items()
                                if f.status == FileState.FAILED and not f.earlier]
        what = ending.value
        culprit = self._events.attribute(results, running)
        if ending is Ending.CRASHED:
            self._native_crash(results, running, culprit, outcome)
        if not options.resume:
            self._events.stop_file(running, "--no-resume stops at the first crash")
            self.stopped = True  # and this runner takes no more batches
            await self._mark_rest(results, f"not run: {running} {what} and --no-resume "
                                  "stops at the first crash")
            return False
        return await self._resume(results, running, what, outcome, culprit)

    async def _rerun_what_a_crash_skipped(self) -> None:
        """regrtest re-runs failed files (--rerun) at the end of its process: a
        file that failed in a process a crash or hang then ended never got that.
        Re-run such files here as regrtest would (verbose, in a fresh process):
        their results are later attempts of the same tests (merge())."""
        files, self._rerun_skipped = self._rerun_skipped, []
        if not files or not wants_rerun(self.ctx.command.args) or self.ctx.remaining() == 0.0:
            return
        self.ctx.console.write(
            f"[{self.label}] re-running {len(files)} failed test file(s) in verbose mode: "
            f"a crash ended their process before regrtest's re-run ({' '.join(files)})")
        self._events.mark_unrun(self.parts)
        self.continued |= self._events.resumed
        self._events.close()
        self._events = ShardEvents()  # a fresh events file: these tests run again
        first = len(self.parts)
        self._args, self._pending = rerun_args(self.ctx.command.args), files
        while await self._attempt():
            pass
        for part in self.parts[first:]:
            part.rerun = True

    def _invocation(self, args: list[str], scratch: Path) -> Invocation:
        """One run: per-test events through the hook when regrtest runs in one
        process (resume.py), else regrtest's own XML."""
        ctx, options, events = self.ctx, self.ctx.options, self._events
        used = self._events_used
        return Invocation(
            ctx.command.argv(args), cwd=options.cwd, site_packages=options.site_packages,
            junit_xml=None if used else scratch / "regrtest.xml", timeout=ctx.remaining(),
            events=events.path if used else None, events_continue=used and events.next_run(),
            pull=options.pull, pull_to=options.output_dir)

    def _mark_stopped(self, results: RunResults, running: str, attempt: Attempt) -> None:
        """The process ended inside a test file: it crashed, or regrtest's
        --timeout (faulthandler) stopped it (`Attempt.ending` says which)."""
        if attempt.ending is Ending.TIMED_OUT:
            if results.file(running).status != FileState.TIMED_OUT:
                mark_timed_out(results, running,
                               self.ctx.options.timeout or attempt.regrtest_timeout or 0.0)
            return
        mark_crashed(results, running, attempt.outcome.detail)

    def _native_crash(self, results: RunResults, running: str, culprit: str | None,
                      outcome: Outcome) -> None:
        """The crash's native report (crash/), symbolized, into the crashed
        case's text and the summary; saved as logs/crash-HOST-TEST.txt."""
        symbols = self.ctx.info.crash_symbols
        if symbols is None:
            return
        summary = attach(results.file(running), culprit, symbols, outcome.crash_log)
        if summary is not None:
            saved = f"; report: {summary.path}" if summary.path else ""
            self.ctx.console.write(f"[{self.label}] {culprit or running} crashed: "
                                   f"{summary.top}{saved}")

    async def _resume(self, results: RunResults, running: str, what: str,
                      outcome: Outcome, culprit: str | None) -> bool:
        """Whether to run the rest of the crashed file and the files not run yet
        in a fresh process (and which)."""
        ctx = self.ctx
        before = self._pending
        remaining = await self._not_done()
        # The files regrtest announced but never reached are accounted by name now.
        results.missing_files = 0
        again = self._events.resume_file(running, culprit, what) if self._events_used else None
        if again:  # the rest of the crashed file first, without the tests that ran
            remaining = [again, *remaining]
        if not remaining:
            return False
        if not again and before is not None and set(remaining) == set(before):
            # Nothing got done (the crash is not where the names say): do not loop.
            mark_not_run_reason = f"not run: {running} {what} and no test file finished"
            await self._mark_rest(results, mark_not_run_reason)
            self.problems.append(f"{self.label}: {running} {what} before any listed "
                                 "test file finished; not resuming again")
            return False
        where = f" in {culprit}" if culprit else ""
        files = len(remaining) - bool(again)
        rest = " and ".join(([f"the rest of {again}"] if again else [])
                            + ([f"the {files} test file(s) not run"] if files else []))
        ctx.console.write(f"[{self.label}] {running} {what}{where} ({outcome.detail}); "
                          f"resuming in a fresh process with {rest}")
        self._pending = remaining
        return True

    def _collect_events(self, results: RunResults) -> None:
        """The events file's cases into `results`; regrtest's own XML writer
        failing at the end is said as what it is (the results are complete)."""
        errors = len(self._events.xml_errors)
        self._events.collect(results)
        for error in self._events.xml_errors[errors:]:
            self.ctx.console.warn(
                f"warning: {self.label}: regrtest's own --junit-xml writer failed at the end "
                f"of the run ({error}); a known CPython 3.13 bug once test_xml_etree "
                "re-imported ElementTree. Every test's result is still in android.py's "
                "JUnit (--junit-xml before --).")

    def _check_ended_well(self, results: RunResults, outcome: Outcome) -> None:
        """A regrtest exit status outside its own set means python itself failed."""
        code = outcome.returncode
        if code in (0, 2, 3, 4, 5, 130):  # regrtest's EXITCODE_* values
            return
        message = f"{self.label}: python ended with {outcome.detail or code} outside any test file"
        self.ctx.console.warn(error_line(message))
        self.problems.append(message)
        self.failure_status = max(self.failure_status, outcome.failure_status)

    async def _selection(self) -> list[str]:
        if self._pending is None:
            self._pending = await list_tests(self.runner, self.ctx, self.ctx.command.args)
        return self._pending

    def _done(self) -> set[str]:
        return {name for part in self.parts for name, f in part.files.items()
                if f.status not in (FileState.NOT_RUN, FileState.RUNNING)}

    async def _not_done(self) -> list[str]:
        done = self._done()
        return [name for name in await self._selection() if name not in done]

    async def _mark_rest(self, results: RunResults, reason: str) -> None:
        if self.ctx.remaining() == 0.0 and self._pending is None:
            # No time left to ask the target for the names: regrtest's "[n/N]"
            # count (results.missing_files) says how many did not run.
            return
        try:
            rest = await self._not_done() if self.ctx.remaining() != 0.0 else self._known_rest()
        except DeviceGone:
            raise
        except (ToolError, OSError):  # the names cannot be had: the count says it
            return
        mark_not_run(results, rest, reason)
        results.missing_files = 0

    def _known_rest(self) -> list[str]:
        done = self._done()
        return [name for name in self._pending or () if name not in done]

    def _record_stop(self, how: str | None, reason: str) -> None:
        """After an interrupt or a runner error: keep what ran, name what did not."""
        parser = self._parser
        if parser is not None:
            running = parser.current_file
            results = parser.finish()
            self._parser = None
            if self._events_used:
                self._collect_events(results)
            if running and how:
                stopped = results.file(running)
                stopped.status = FileState.INTERRUPTED
                where = f" while running {stopped.running_test}" if stopped.running_test else ""
                stopped.reason = how + where
                self._events.stop_file(running, f"the run was {how}")
            self.parts.append(results)
        rest = self._known_rest()
        if rest:
            if not self.parts:
                self.parts.append(RunResults())
            mark_not_run(self.parts[-1], rest, reason)
            self.parts[-1].missing_files = 0
