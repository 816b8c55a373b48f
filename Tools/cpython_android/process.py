"""Running subprocesses: one helper that logs, shows progress and fails clearly."""

from __future__ import annotations

import os
import subprocess
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

from .console import Step
from .errors import CommandFailed
from .textutil import join_command

TAIL_LINES = 30
TERMINATE_GRACE_SECONDS = 10.0


def run_logged(
    command: Sequence[str | os.PathLike[str]],
    *,
    step: Step,
    log_path: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin_text: str | None = None,
    append: bool = False,
) -> None:
    """Run `command`, its output going to `log_path` and to the step's progress.

    Raises `CommandFailed` (command, status, log tail, log path) on a non-zero
    exit.  On KeyboardInterrupt the child is terminated before re-raising, so
    no build is left running behind the user's back.
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
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, encoding="utf-8", errors="replace", bufsize=1,
            )
        except OSError as e:
            log.write(f"cannot start: {e}\n")
            raise cannot_start(argv, e, log_path, step.name) from None
        if stdin_text is not None:
            _feed_stdin(process, stdin_text)
        try:
            _pump(process, log, tail, step)
            returncode = process.wait()
        except BaseException:
            terminate(process)
            raise
    if returncode != 0:
        raise CommandFailed(argv, returncode, log_path=log_path, tail="".join(tail),
                            step=step.name)


def cannot_start(argv: list[str], error: OSError, log_path: Path | None = None,
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


def _pump(process: subprocess.Popen[str], log, tail: deque[str], step: Step) -> None:
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


def terminate(process: subprocess.Popen[str] | subprocess.Popen[bytes],
              grace: float = TERMINATE_GRACE_SECONDS) -> None:
    """Ask a child to stop, then make it stop."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def capture(command: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None,
            env: Mapping[str, str] | None = None) -> str:
    """Run a short command and return its stdout; raise CommandFailed on error."""
    argv = [str(c) for c in command]
    try:
        result = subprocess.run(argv, cwd=cwd, env=dict(env) if env is not None else None,
                                capture_output=True, text=True, encoding="utf-8",
                                errors="replace")
    except OSError as e:
        raise cannot_start(argv, e) from None
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-TAIL_LINES:])
        raise CommandFailed(argv, result.returncode, tail=tail)
    return result.stdout
