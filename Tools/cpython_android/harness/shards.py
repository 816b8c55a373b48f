"""Running the shards: each runner works through its test files, resuming in
a fresh process after a crash or hang; the deadline and SIGINT/SIGTERM stop
every runner's processes and keep what finished."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..errors import DeviceGone, ToolError, error_line
from ..results import RunResults, mark_not_run, merge
from ..runners import Invocation, Runner
from .context import RunContext, list_cases, list_tests
from .planning import cases_per_file, load_durations
from .pool import WorkPool, file_weights
from .recorded import read_recorded
from .shard_run import ShardRun


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
class RunReport:
    """What a regrtest run produced."""

    results: RunResults
    problems: list[str]
    interrupted: bool
    #: The highest exit status of the errors that stopped a runner (0: none).
    failure_status: int = 0


async def run_regrtest(runners: Sequence[Runner], ctx: RunContext) -> RunReport:
    """Run the selection over `runners` (several: each takes batches from one
    pool), resume, re-run, and merge the results."""
    task = asyncio.current_task()
    assert task is not None
    shard_runs: list[ShardRun] = []
    pool: WorkPool | None = None
    interrupted = False
    with _cancel_on_signals(task, ctx) as received:
        try:
            pool = await _pool(runners, ctx) if len(runners) > 1 else None
            # One runner runs the user's selection as given; it lists it only
            # if a crash makes a resume necessary (listing costs a start-up).
            shard_runs = [ShardRun(runner, ctx, None, pool) for runner in runners]
            if pool is None or pool.left:
                async with asyncio.TaskGroup() as group:
                    for shard in shard_runs:
                        group.create_task(shard.run())
        except asyncio.CancelledError:
            if not received:
                raise
            interrupted = True
    # In the order they ran: a later real result of a file replaces an earlier
    # one (results.merge), e.g. a lost device's file run again elsewhere.
    parts = sorted((part for shard in shard_runs for part in shard.parts), key=_first_start)
    failure_status = max((shard.failure_status for shard in shard_runs), default=0)
    if pool is not None and pool.left:
        parts.append(_never_taken(pool, ctx))
        if pool.active == 0:
            failure_status = max(failure_status, DeviceGone.exit_status)
    results = merge(parts, continued=set().union(*(shard.continued for shard in shard_runs)))
    problems = [p for shard in shard_runs for p in shard.problems]
    return RunReport(results, problems, interrupted, failure_status)


def _first_start(part: RunResults) -> float:
    """When the part's process ran its first file (parts without times: last)."""
    return min((span.started for f in part.files.values() for span in f.spans),
               default=float("inf"))


def _never_taken(pool: WorkPool, ctx: RunContext) -> RunResults:
    """The files no runner took: why they did not run."""
    if ctx.interrupted_by:
        why = f"the run was interrupted by {ctx.interrupted_by}"
    elif pool.active == 0:
        why = "every device was lost"
    elif ctx.remaining() == 0.0:
        why = "the overall deadline (--deadline) expired"
    else:
        why = "every runner stopped"
    results = RunResults()
    mark_not_run(results, pool.left, f"not run: {why}")
    return results


async def _pool(runners: Sequence[Runner], ctx: RunContext) -> WorkPool:
    """The selection, weighed by earlier durations or by its test cases."""
    options = ctx.options
    recorded = read_recorded(ctx.record, ctx.console) \
        if ctx.record is not None and not options.durations else {}
    if options.durations or recorded:
        selection = await _list_on_any(runners, ctx)
        weights = file_weights(selection, load_durations(options.durations, selection)
                               if options.durations else recorded)
        if recorded:
            ctx.console.write(f"Weighing the test files by their times in earlier runs "
                              f"({ctx.record})")
    else:  # both listings at once, on two runners
        selection, case_ids = await asyncio.gather(_list_on_any(runners, ctx),
                                                   _cases_or_none(runners[1], ctx))
        weights = file_weights(selection, cases=cases_per_file(case_ids, selection))
    ctx.console.write(f"{len(selection)} test file(s) for {len(runners)} runners, "
                      "each taking batches as it is free")
    return WorkPool.of(selection, weights, len(runners))


async def _list_on_any(runners: Sequence[Runner], ctx: RunContext) -> list[str]:
    """The selection, asked of the first runner whose device is there (a device
    lost before the run began is the pool's to notice, not the run's end)."""
    for runner in runners[:-1]:
        try:
            return await list_tests(runner, ctx, ctx.command.args)
        except DeviceGone as e:
            ctx.console.warn(f"warning: {runner.name}: {error_line(str(e))}; listing the "
                             "test files on the next runner")
    return await list_tests(runners[-1], ctx, ctx.command.args)


async def _cases_or_none(runner: Runner, ctx: RunContext) -> list[str]:
    """The selection's test case ids, to weigh the files; none (every file weighs
    the same) if the target cannot list them."""
    try:
        return await list_cases(runner, ctx, ctx.command.args)
    except (ToolError, OSError) as e:
        ctx.console.warn(f"warning: could not count the test cases to balance the runners "
                         f"({error_line(str(e))}); every test file weighs the same")
        return []


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
    if outcome.returncode is None:
        return outcome.failure_status or 1  # 4 for a lost device, as in a shard
    return outcome.returncode
