"""A build step's command runs in its own process group: an interrupt or a
failure stops everything it started, even what make itself would leave
behind (a recipe's background job), before android.py exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.cli import ANDROID_PY, needs
from support.trees import fake_checkout

# Recipe `a` leaves a background sleep that make knows nothing about.
SLEEPING_MAKEFILE = """\
all: a b
a:
\t(sleep 300 &) ; sleep 300
b:
\tsleep 300
"""
FAILING_MAKEFILE = """\
all: a
a:
\t(sleep 300 &) ; sleep 0.5 ; exit 3
"""


def processes_in(directory: Path) -> list[int]:
    """PIDs of the live processes whose working directory is `directory`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) == directory:
                found.append(int(entry.name))
        except OSError:
            continue  # exited meanwhile, or not ours to look at
    return found


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def clean_up(process: subprocess.Popen[str], build: Path) -> None:
    """When the test fails: kill what is left, so it does not outlive the test."""
    if process.poll() is None:
        process.kill()
        process.wait()
    for pid in processes_in(build):
        os.kill(pid, signal.SIGKILL)


def make_build(tmp_path: Path, makefile: str) -> tuple[subprocess.Popen[str], Path]:
    checkout = fake_checkout(tmp_path / "cpython")
    build = (tmp_path / "cross-build" / "build").resolve()
    build.mkdir(parents=True)
    (build / "Makefile").write_text(makefile)
    env = {k: v for k, v in os.environ.items() if k != "CPYTHON_CHECKOUT"}
    process = subprocess.Popen(
        [sys.executable, str(ANDROID_PY), "--checkout", str(checkout), "--cross-build-dir",
         str(tmp_path / "cross-build"), "make-build", "-j", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    return process, build


@needs("make")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_make_leaves_no_process_behind(tmp_path: Path, sig: signal.Signals):
    process, build = make_build(tmp_path, SLEEPING_MAKEFILE)
    try:
        # make, its two recipes' sleeps and the background sleep
        wait_for(lambda: len(processes_in(build)) >= 4)
        process.send_signal(sig)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert "interrupted" in err
        assert processes_in(build) == []
    finally:
        clean_up(process, build)


@needs("make")
def test_a_failed_make_leaves_no_process_behind(tmp_path: Path):
    process, build = make_build(tmp_path, FAILING_MAKEFILE)
    try:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 1, err
        assert "exited with status 2" in err and "make -j 2" in err
        assert processes_in(build) == []
    finally:
        clean_up(process, build)
