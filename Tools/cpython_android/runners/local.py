"""Run a python on this machine (natively or under qemu-user) as an asyncio child.

Shared by the `qemu` and `native` runners: they differ only in the command
that starts the interpreter and in its environment.

Every run starts in a new session and is stopped with every process it
started (see `process.tree`), so nothing is left behind after a timeout or
Ctrl-C.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..process import DRAIN_SECONDS, aio
from ..process.aio import AsyncProcess
from ..process.tree import KILL, describe_returncode, kill_tree, signal_process
from ..resume import HOOK_SCRIPT, hook_argv
from ..safefiles import contained
from .base import Invocation, LineCallback, Outcome

#: Seconds for faulthandler's traceback dump before a timed-out run is killed.
DUMP_GRACE_SECONDS = 2.0


def target_environment() -> dict[str, str]:
    """This environment without the settings meant for the python running
    android.py: they would send the target python to another standard library."""
    env = dict(os.environ)
    for name in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE"):
        env.pop(name, None)
    return env


def write_wrapper(path: Path, lines: list[str]) -> Path:
    """An executable shell script beside the target python (qemu, lab), rewritten
    only when its text changes, so shards sharing it never race on an equal file."""
    text = "\n".join([*lines, ""])
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
        path.chmod(0o755)
    return path


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
            elif invocation.pull:
                # A directory of the run's own, as the app's on a device, to
                # pull its files from.
                cwd = Path(scratch) / "run"
                cwd.mkdir()
            try:
                return await self._run(invocation, env, cwd, on_line)
            finally:  # after a crash or a timeout too
                if invocation.pull and invocation.pull_to is not None:
                    copy_matches(cwd or Path.cwd(), invocation.pull, invocation.pull_to)

    async def _run(self, invocation: Invocation, env: dict[str, str], cwd: Path | None,
                   on_line: LineCallback) -> Outcome:
        args = list(invocation.args)
        if invocation.events is not None:  # same filesystem: the hook writes it here
            args = hook_argv(args, [str(HOOK_SCRIPT)], str(invocation.events),
                             invocation.events_continue)
        if invocation.junit_xml is not None:
            # Same filesystem: regrtest can write the XML where the caller wants it.
            invocation.junit_xml.unlink(missing_ok=True)
            args += ["--junit-xml", str(invocation.junit_xml)]
        # -u: the output goes through a pipe, which python would block-buffer;
        # unbuffered, every line reaches the user (and the parser) when printed.
        # -X faulthandler: a crash prints its Python traceback, whatever runs
        # (regrtest enables it too; `-c CODE` would not).
        argv = [*self.command, "-u", "-X", "faulthandler", *args]
        process = await aio.start(argv, cwd=cwd, env=env)
        pump = asyncio.create_task(aio.pump_lines(process, lambda line: on_line(line, "stdout")))
        exited = asyncio.create_task(process.wait())
        timed_out = False
        try:
            done, _ = await asyncio.wait({exited}, timeout=invocation.timeout)
            if not done:
                timed_out = True
                await _dump_tracebacks(process, exited)
                await aio.stop_process_tree(process)
            # The python has exited; a descendant still holding the pipe open
            # (a test's daemon) must not keep the run going: drain, then kill.
            await asyncio.wait({pump}, timeout=DRAIN_SECONDS)
            kill_tree(process.pid, KILL)
            await asyncio.wait({pump}, timeout=DRAIN_SECONDS)
        except asyncio.CancelledError:
            await aio.stop_process_tree(process)
            raise
        finally:
            for task in (pump, exited):
                task.cancel()
            # Descendants may outlive a python that exited normally; they
            # must not outlive the run.
            kill_tree(process.pid, KILL)
        if timed_out:
            return Outcome(returncode=None, timed_out=True,
                           detail=f"killed after {invocation.timeout:g} s")
        returncode = exited.result()
        xml = invocation.junit_xml
        return Outcome(returncode=returncode,
                       junit_xml=xml if xml is not None and xml.is_file() else None,
                       detail=describe_returncode(returncode))


def copy_matches(run_dir: Path, patterns: Sequence[str], output: Path) -> list[Path]:
    """--pull on this machine: copy what each pattern matches (relative ones in
    the run's directory) into `output`, keeping paths relative to it."""
    copied = []
    output.mkdir(parents=True, exist_ok=True)
    for pattern in patterns:
        absolute = Path(pattern).is_absolute()
        base = Path(Path(pattern).anchor) if absolute else run_dir
        relative = str(Path(pattern).relative_to(base)) if absolute else pattern
        for match in sorted(base.glob(relative)):
            target = contained(output, output / (match.name if absolute else
                                                 match.relative_to(run_dir)),
                               "--pull's copy of")
            target.parent.mkdir(parents=True, exist_ok=True)
            if match.is_dir():
                shutil.copytree(match, target, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copy2(match, target)
            copied.append(target)
    return copied


async def _dump_tracebacks(process: AsyncProcess, exited: asyncio.Task[int]) -> None:
    """Ask the python where it is before it is killed.

    regrtest registers faulthandler for SIGUSR1, so its output then names
    the test that was running (for the JUnit) even without -v.  Any other
    python just dies of the signal, as it was about to anyway.
    """
    signal_process(process.pid, signal.SIGUSR1)
    await asyncio.wait({exited}, timeout=DUMP_GRACE_SECONDS)
