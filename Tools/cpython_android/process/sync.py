"""Starting commands and waiting for them: with a log, captured, or in the foreground."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..console import Step
from ..errors import CommandFailed
from ..textutil import join_command
from .tree import KILL, kill_tree, tree_alive

TAIL_LINES = 30
#: Seconds a build command (make, configure, Gradle) gets between SIGTERM and
#: SIGKILL when its process tree is stopped: upstream gives Gradle 10 s.
COMMAND_GRACE_SECONDS = 10.0
#: Seconds to read what is left in an output pipe once a command has exited
#: (a descendant may still hold it open); here and in runners/local.
DRAIN_SECONDS = 2.0
#: Seconds an interactive tool (sdkmanager on the terminal) gets after Ctrl-C.
FOREGROUND_GRACE_SECONDS = 2.0

Command = Sequence[str | os.PathLike[str]]
#: A command started in the background (an emulator): poll(), returncode, pid.
BackgroundProcess = subprocess.Popen[bytes]


def run_logged(command: Command, *, step: Step, log_path: Path, cwd: Path | None = None,
               env: Mapping[str, str] | None = None, stdin_text: str | None = None,
               append: bool = False) -> None:
    """Run `command`, its output going to `log_path` and to the step's progress.

    The command runs in its own process group.  Raises `CommandFailed`
    (command, status, log tail, log path) on a non-zero exit; on failure, and
    on KeyboardInterrupt (SIGINT, or SIGTERM as the command line maps it),
    the whole group is stopped first (SIGTERM, then SIGKILL after a grace
    period), so no compiler is left running behind the user's back.
    """
    argv = [str(c) for c in command]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with open(log_path, "a" if append else "w", encoding="utf-8", errors="replace") as log:
        log.write(f"$ {join_command(argv)}\n" + (f"# in {cwd}\n" if cwd else ""))
        log.flush()
        try:
            process = subprocess.Popen(
                argv, cwd=cwd, env=dict(env) if env is not None else None,
                stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                text=True, encoding="utf-8", errors="replace", bufsize=1,
            )
        except OSError as e:
            log.write(f"cannot start: {e}\n")
            raise cannot_start(argv, e, log_path, step.name) from None
        if stdin_text is not None:
            _feed_stdin(process, stdin_text)
        returncode = _wait_logging(process, log, tail, step)
    if returncode != 0:
        stop_tree(process)  # what the command left running in its group
        raise CommandFailed(argv, returncode, log_path=log_path, tail="".join(tail),
                            step=step.name)


def _wait_logging(process: subprocess.Popen[str], log: IO[str], tail: deque[str],
                  step: Step) -> int:
    """Wait for `process` while a thread copies its output to the log.

    Once it has exited, a process it left behind (a recipe's background job)
    may still hold the output pipe open: after DRAIN_SECONDS its group is
    stopped rather than waited for forever.  On KeyboardInterrupt the whole
    group is stopped before re-raising."""
    reader = threading.Thread(target=_pump, args=(process, log, tail, step), daemon=True)
    reader.start()
    try:
        returncode = process.wait()
        reader.join(DRAIN_SECONDS)
        if reader.is_alive():
            stop_tree(process)
            reader.join()
    except BaseException:
        stop_tree(process)
        reader.join(DRAIN_SECONDS)
        raise
    return returncode


def cannot_start(argv: Sequence[str], error: OSError, log_path: Path | None = None,
                 step: str | None = None) -> CommandFailed:
    """A program that could not even start (missing, not executable): the
    shell's conventional statuses, 127 and 126, and the OS's reason."""
    status = 127 if isinstance(error, FileNotFoundError) else 126
    return CommandFailed(argv, status, log_path=log_path, step=step,
                         tail=f"cannot start {argv[0]}: {error.strerror or error}")


def _feed_stdin(process: subprocess.Popen[str], text: str) -> None:
    def feed() -> None:
        assert process.stdin is not None
        try:
            process.stdin.write(text)
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the program stopped reading; its exit status tells the rest

    threading.Thread(target=feed, daemon=True).start()


def _pump(process: subprocess.Popen[str], log: IO[str], tail: deque[str], step: Step) -> None:
    """Copy output to the log line by line; a thread keeps the progress fresh."""
    assert process.stdout is not None
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(1.0):
            step.tick()

    ticker = threading.Thread(target=heartbeat, daemon=True)
    ticker.start()
    try:
        for line in process.stdout:
            log.write(line)
            tail.append(line)
            step.output(line)
    finally:
        done.set()
        ticker.join()
        log.flush()


def stop_tree(process: subprocess.Popen[str] | subprocess.Popen[bytes],
              grace: float = COMMAND_GRACE_SECONDS) -> None:
    """Stop a command started in its own session, and everything it started:
    SIGTERM to the group and its descendants, SIGKILL to what is left after
    `grace` seconds; the leader is reaped."""
    if not tree_alive(process.pid) and process.poll() is not None:
        return
    kill_tree(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if process.poll() is not None and not tree_alive(process.pid):
            return
        time.sleep(0.05)
    kill_tree(process.pid, KILL)
    process.wait()


@dataclass(frozen=True)
class Completed:
    """How a captured command ended."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_captured(command: Command, *, cwd: Path | None = None,
                 env: Mapping[str, str] | None = None, input_text: str | None = None,
                 timeout: float | None = None) -> Completed:
    """Run a short command, its output captured; any exit status is returned.

    Raises CommandFailed if it cannot start, TimeoutError (after killing it)
    if it runs longer than `timeout`."""
    argv = [str(c) for c in command]
    try:
        result = subprocess.run(argv, cwd=cwd, env=dict(env) if env is not None else None,
                                input=input_text, capture_output=True, text=True,
                                encoding="utf-8", errors="replace", timeout=timeout)
    except OSError as e:
        raise cannot_start(argv, e) from None
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"{join_command(argv)} ran longer than {timeout} s") from None
    return Completed(argv, result.returncode, result.stdout, result.stderr)


def capture(command: Command, *, cwd: Path | None = None,
            env: Mapping[str, str] | None = None) -> str:
    """Run a short command and return its stdout; raise CommandFailed on error."""
    result = run_captured(command, cwd=cwd, env=env)
    if result.returncode != 0:
        tail = "\n".join(result.output.splitlines()[-TAIL_LINES:])
        raise CommandFailed(result.argv, result.returncode, tail=tail)
    return result.stdout


def run_foreground(command: Command, *, input_text: str | None = None,
                   output_to_stderr: bool = False, cwd: Path | None = None,
                   env: Mapping[str, str] | None = None) -> int:
    """Run a command on our terminal (stdin, stdout and stderr inherited, or
    its stdout sent to our stderr); return its exit status.  OSError if it
    cannot start; stopped with its tree on KeyboardInterrupt."""
    argv = [str(c) for c in command]
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE if input_text is not None else None,
        stdout=sys.stderr if output_to_stderr else None, text=True, cwd=cwd,
        env=dict(env) if env is not None else None)
    try:
        process.communicate(input_text)
    except BaseException:
        stop_tree(process, grace=FOREGROUND_GRACE_SECONDS)
        raise
    return process.returncode


def start_background(command: Command, log_path: Path) -> BackgroundProcess:
    """Start a long-lived command (an emulator) in its own session, its output
    going to `log_path`; stop it with `terminate`."""
    argv = [str(c) for c in command]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        try:
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            raise cannot_start(argv, e, log_path) from None
