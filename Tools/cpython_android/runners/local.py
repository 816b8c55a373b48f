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
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import Invocation, LineCallback, Outcome

#: Seconds between SIGTERM and SIGKILL when stopping a run.
TERMINATE_GRACE_SECONDS = 2.0
#: Seconds to read what is left in the pipe once the python has exited.
DRAIN_SECONDS = 2.0
#: Seconds for faulthandler's traceback dump before a timed-out run is killed.
DUMP_GRACE_SECONDS = 2.0
_READ_CHUNK = 64 * 1024


def target_environment() -> dict[str, str]:
    """This environment without the settings meant for the python running
    android.py: they would send the target python to another standard library."""
    env = dict(os.environ)
    for name in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE"):
        env.pop(name, None)
    return env


@dataclass
class LocalRunner:
    """Runs `command + args` here; satisfies the `Runner` protocol."""

    name: str
    command: Sequence[str]  # the interpreter, e.g. [wrapper] or [build/python]
    env: Mapping[str, str] = field(default_factory=dict)  # replaces os.environ

    async def close(self) -> None:
        """Nothing outlives a local run."""

    async def run(self, invocation: Invocation, on_line: LineCallback) -> Outcome:
        env = dict(self.env)
        env.update(invocation.env)
        if invocation.site_packages:
            # The equivalent of the Android testbed's site-packages for a
            # python on this machine.  (Ignored by python -E/-I.)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(invocation.site_packages), env.get("PYTHONPATH")) if p)
        with tempfile.TemporaryDirectory(prefix="android-py-cwd-") as scratch:
            cwd = None
            if invocation.cwd is not None:
                # Like the testbed app's copy on Android: the run may change
                # or litter its working directory; the user's stays as it was.
                cwd = Path(scratch) / invocation.cwd.name
                shutil.copytree(invocation.cwd, cwd, symlinks=True)
            return await self._run(invocation, env, cwd, on_line)

    async def _run(self, invocation: Invocation, env: dict[str, str], cwd: Path | None,
                   on_line: LineCallback) -> Outcome:
        args = list(invocation.args)
        if invocation.events is not None:  # same filesystem: the hook writes it here
            from ..resume import HOOK_SCRIPT, hook_argv
            args = hook_argv(args, [str(HOOK_SCRIPT)], str(invocation.events),
                             invocation.events_continue)
        if invocation.junit_xml is not None:
            # Same filesystem: regrtest can write the XML where the caller wants it.
            invocation.junit_xml.unlink(missing_ok=True)
            args += ["--junit-xml", str(invocation.junit_xml)]
        # -u: the output goes through a pipe, which python would block-buffer;
        # unbuffered, every line reaches the user (and the parser) when printed.
        argv = [*self.command, "-u", *args]
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        # stderr is merged into stdout so lines keep their order (a crash
        # report on stderr must follow the test that was running).
        pump = asyncio.create_task(_pump_lines(process, on_line))
        exited = asyncio.create_task(process.wait())
        timed_out = False
        try:
            done, _ = await asyncio.wait({exited}, timeout=invocation.timeout)
            if not done:
                timed_out = True
                await _dump_tracebacks(process, exited)
                await stop_process_tree(process)
            # The python has exited; a descendant still holding the pipe open
            # (a test's daemon) must not keep the run going: drain, then kill.
            await asyncio.wait({pump}, timeout=DRAIN_SECONDS)
            kill_tree(process.pid, signal.SIGKILL)
            await asyncio.wait({pump}, timeout=DRAIN_SECONDS)
        except asyncio.CancelledError:
            await stop_process_tree(process)
            raise
        finally:
            for task in (pump, exited):
                task.cancel()
            # Descendants may outlive a python that exited normally; they
            # must not outlive the run.
            kill_tree(process.pid, signal.SIGKILL)
        if timed_out:
            return Outcome(returncode=None, timed_out=True,
                           detail=f"killed after {invocation.timeout:g} s")
        returncode = exited.result()
        xml = invocation.junit_xml
        return Outcome(returncode=returncode,
                       junit_xml=xml if xml is not None and xml.is_file() else None,
                       detail=describe_returncode(returncode))


async def _dump_tracebacks(process: asyncio.subprocess.Process,
                           exited: asyncio.Task[int]) -> None:
    """Ask the python where it is before it is killed.

    regrtest registers faulthandler for SIGUSR1, so its output then names
    the test that was running (for the JUnit) even without -v.  Any other
    python just dies of the signal, as it was about to anyway.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGUSR1)
    await asyncio.wait({exited}, timeout=DUMP_GRACE_SECONDS)


async def _pump_lines(process: asyncio.subprocess.Process, on_line: LineCallback) -> None:
    """Hand each complete line to `on_line` as soon as it arrives.

    Reads chunks rather than `readline()`, which fails on lines longer than
    the stream limit (a test can print a megabyte without a newline).
    """
    assert process.stdout is not None
    pending = b""
    try:
        while chunk := await process.stdout.read(_READ_CHUNK):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                on_line(_decode(line), "stdout")
    finally:
        # Also when stopped: a partial last line ("test_x (...) ... ") says
        # which test was running when the process was killed.
        if pending:
            on_line(_decode(pending), "stdout")


def _decode(line: bytes) -> str:
    return line.rstrip(b"\r").decode("utf-8", "backslashreplace")


def describe_returncode(returncode: int) -> str:
    if returncode >= 0:
        return f"exit status {returncode}"
    return f"killed by {signal_name(-returncode)}"


def signal_name(number: int) -> str:
    """"SIGSEGV", or "signal 99" for a number this platform does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


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
