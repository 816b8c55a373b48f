"""Run a python on this machine (natively or under qemu-user) as an asyncio child.

Shared by the `qemu` and `native` runners: they differ only in the command
that starts the interpreter and in its environment.

Every run starts in a new session (its own process group), because the
interpreter is rarely alone: under qemu the wrapper script execs qemu, the
tests start subprocesses, regrtest -j workers start their *own* sessions.
Stopping a run therefore kills the process group *and* every descendant
found in /proc, so nothing is left behind after a timeout or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import Invocation, LineCallback, Outcome

#: Seconds between SIGTERM and SIGKILL when stopping a run.
TERMINATE_GRACE_SECONDS = 2.0
_READ_CHUNK = 64 * 1024


@dataclass
class LocalRunner:
    """Runs `command + args` here; satisfies the `Runner` protocol."""

    name: str
    command: Sequence[str]  # the interpreter, e.g. [wrapper] or [build/python]
    env: Mapping[str, str] = field(default_factory=dict)  # replaces os.environ

    async def run(self, invocation: Invocation, on_line: LineCallback) -> Outcome:
        env = dict(self.env)
        env.update(invocation.env)
        if invocation.site_packages:
            # The equivalent of the Android testbed's site-packages for a
            # python on this machine.  (Ignored by python -E/-I.)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(invocation.site_packages), env.get("PYTHONPATH")) if p)
        args = list(invocation.args)
        if invocation.junit_xml is not None:
            # Same filesystem: regrtest can write the XML where the caller wants it.
            invocation.junit_xml.unlink(missing_ok=True)
            args += ["--junit-xml", str(invocation.junit_xml)]
        # -u: the output goes through a pipe, which python would block-buffer;
        # unbuffered, every line reaches the user (and the parser) when printed.
        argv = [*self.command, "-u", *args]
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=invocation.cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        # stderr is merged into stdout so lines keep their order (a crash
        # report on stderr must follow the test that was running).
        try:
            async with asyncio.timeout(invocation.timeout):
                await _pump_lines(process, on_line)
                returncode = await process.wait()
        except TimeoutError:
            await stop_process_tree(process)
            return Outcome(returncode=None, timed_out=True,
                           detail=f"killed after {invocation.timeout:g} s")
        except asyncio.CancelledError:
            await stop_process_tree(process)
            raise
        finally:
            # Descendants may outlive a python that exited normally
            # (e.g. a test's daemon); they must not outlive the run.
            kill_tree(process.pid, signal.SIGKILL)
        xml = invocation.junit_xml
        return Outcome(returncode=returncode,
                       junit_xml=xml if xml is not None and xml.is_file() else None,
                       detail=describe_returncode(returncode))


async def _pump_lines(process: asyncio.subprocess.Process, on_line: LineCallback) -> None:
    """Hand each complete line to `on_line` as soon as it arrives.

    Reads chunks rather than `readline()`, which fails on lines longer than
    the stream limit (a test can print a megabyte without a newline).
    """
    assert process.stdout is not None
    pending = b""
    while chunk := await process.stdout.read(_READ_CHUNK):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            on_line(_decode(line), "stdout")
    if pending:
        on_line(_decode(pending), "stdout")


def _decode(line: bytes) -> str:
    return line.rstrip(b"\r").decode("utf-8", "backslashreplace")


def describe_returncode(returncode: int) -> str:
    if returncode >= 0:
        return f"exit status {returncode}"
    try:
        return f"killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"killed by signal {-returncode}"


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren, ...) from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # The command name (field 2) may hold spaces and parentheses.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int, sig: signal.Signals) -> None:
    """Signal the process group led by `pid` and every descendant of `pid`."""
    targets = descendants(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    for child in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(child, sig)


async def stop_process_tree(process: asyncio.subprocess.Process,
                            grace: float = TERMINATE_GRACE_SECONDS) -> None:
    """SIGTERM the whole tree, then SIGKILL what is left; reap the leader."""
    if process.returncode is None:
        kill_tree(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), grace)
        except TimeoutError:
            pass
    kill_tree(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()


def copy_tree(source: Path, destination: Path) -> Path:
    """A copy of `source` to run in, so the run cannot change the user's files."""
    shutil.copytree(source, destination, symlinks=True, dirs_exist_ok=True)
    return destination
