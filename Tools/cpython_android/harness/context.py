"""What every shard of a `test` run shares (`RunContext`: options, output, the
deadline, the probed target), and the two questions asked of the target
before a sharded run: which test files regrtest selects, and their cases."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..console import Console
from ..errors import CommandFailed
from ..runners import Invocation, Runner
from .planning import PythonCommand, TargetInfo, TestOptions
from .runlogs import RunnerLogs

_TEST_NAME = re.compile(r"^[A-Za-z_][\w.]*$")


@dataclass
class RunContext:
    """What every shard shares: options, output, the deadline."""

    options: TestOptions
    command: PythonCommand
    console: Console
    labelled: bool  # prefix target output with the runner's name (several shards)
    deadline_at: float | None = None  # time.monotonic() value
    interrupted_by: str | None = None  # "SIGTERM": set when a signal stops the run
    info: TargetInfo = field(default_factory=TargetInfo)  # the target, probed once
    logs: RunnerLogs | None = None  # each runner's output in a file (with the HTML report)
    record: Path | None = None  # the host's recorded test durations (recorded.py)

    def remaining(self) -> float | None:
        if self.deadline_at is None:
            return None
        return max(0.0, self.deadline_at - time.monotonic())

    def show(self, label: str, line: str) -> None:
        self.console.write(f"[{label}] {line}" if self.labelled else line)
        if self.logs is not None:
            self.logs.write(label, line)


async def list_tests(runner: Runner, ctx: RunContext, args: Sequence[str]) -> list[str]:
    """The test files regrtest selects for `args`, asked of the target itself."""
    lines = await _regrtest_listing(runner, ctx, [*args, "--list-tests"], "test files")
    # Keep names only: regrtest's re-exec line ("+ python ...") and warnings go.
    return [line.strip() for line in lines if _TEST_NAME.match(line.strip())]


async def list_cases(runner: Runner, ctx: RunContext, args: Sequence[str]) -> list[str]:
    """The ids of the test cases regrtest selects for `args` (`--list-cases`)."""
    lines = await _regrtest_listing(runner, ctx, [*args, "--list-cases"], "test cases")
    return [line.strip() for line in lines if _TEST_NAME.match(line.strip())]


async def _regrtest_listing(runner: Runner, ctx: RunContext, args: list[str],
                            what: str) -> list[str]:
    lines: list[str] = []
    argv = ctx.command.argv(args)
    outcome = await runner.run(
        Invocation(argv, cwd=ctx.options.cwd, site_packages=ctx.options.site_packages,
                   timeout=ctx.remaining()),
        lambda line, stream: lines.append(line))
    if outcome.returncode != 0:
        raise CommandFailed([runner.name, *argv], -1 if outcome.returncode is None
                            else outcome.returncode, tail="\n".join(lines[-30:]),
                            step=f"list the selected {what}")
    return lines
