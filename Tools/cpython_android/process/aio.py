"""Commands as asyncio children: started in their own session, their output
streamed line by line, stopped with everything they started."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..textutil import LineSplitter
from .tree import KILL, kill_tree

#: A running asyncio child (pid, returncode, stdout, wait()).
AsyncProcess = asyncio.subprocess.Process
#: Seconds a test run's python gets between SIGTERM and SIGKILL: short, so an
#: interrupted or timed-out run writes the JUnit of what finished promptly.
RUN_GRACE_SECONDS = 2.0
_READ_CHUNK = 64 * 1024


async def start(argv: Sequence[str], *, cwd: Path | None = None,
                env: Mapping[str, str] | None = None) -> AsyncProcess:
    """Start `argv` in a new session, stdin from /dev/null, stderr merged into
    a stdout pipe (so lines keep their order: a crash report on stderr must
    follow the test that was running)."""
    return await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, env=dict(env) if env is not None else None,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, start_new_session=True)


async def pump_lines(process: AsyncProcess, on_line: Callable[[str], None]) -> None:
    """Hand each complete line to `on_line` as soon as it arrives.

    Reads chunks rather than `readline()`, which fails on lines longer than
    the stream limit (a test can print a megabyte without a newline).
    """
    assert process.stdout is not None
    lines = LineSplitter(b"")
    try:
        while chunk := await process.stdout.read(_READ_CHUNK):
            for line in lines.feed(chunk):
                on_line(decode(line))
    finally:
        # Also when stopped: a partial last line ("test_x (...) ... ") says
        # which test was running when the process was killed.
        if rest := lines.rest():
            on_line(decode(rest))


def decode(line: bytes) -> str:
    return line.rstrip(b"\r").decode("utf-8", "backslashreplace")


async def stop_process_tree(process: AsyncProcess,
                            grace: float = RUN_GRACE_SECONDS) -> None:
    """SIGTERM the whole tree, then SIGKILL what is left; reap the leader."""
    if process.returncode is None:
        kill_tree(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), grace)
        except TimeoutError:
            pass
    kill_tree(process.pid, KILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()
