"""Running the shards: each runner works through its test files, resuming in
a fresh process after a crash or hang; the deadline and SIGINT/SIGTERM stop
every runner's processes and keep what finished."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import error_line
from ..runners import Invocation, Runner

if TYPE_CHECKING:
    from ..results import RunResults

from ..results import merge
from .planning import load_durations, plan_shards
from .shard_run import RunContext, ShardRun, list_tests


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
    """Shard the selection over `runners`, run, resume, and merge the results."""
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
    results = merge((part for shard in shard_runs for part in shard.parts),
                    continued=set().union(*(shard.continued for shard in shard_runs)))
    problems = [p for shard in shard_runs for p in shard.problems]
    failure_status = max((shard.failure_status for shard in shard_runs), default=0)
    return RunReport(results, problems, interrupted, failure_status)


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
    if outcome.returncode is None:
        return outcome.failure_status or 1  # 4 for a lost device, as in a shard
    return outcome.returncode
