"""`android.py test` on real targets: the aarch64 python under qemu-user and
the native build python, running regrtest over test files each test writes
(`--testdir`): passing, failing, crashing (SIGSEGV) and hanging ones.

The JUnit file is read back with junitparser and compared with what those
test files do; nothing here is compared with output the harness wrote
before.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.cli import ANDROID_PY, BuiltHost
from support.regrtest_files import junit_cases, write_tests

pytestmark = pytest.mark.integration

def test_two_qemu_shards_with_a_crash_and_a_hang(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write_tests(tmp_path / "tests", "test_pass", "test_fail", "test_crash",
                          "test_hang", "test_zz_after")
    junit = tmp_path / "junit.xml"
    started = time.monotonic()
    result = gnu_build.cli("test", "aarch64-linux-gnu", "--shards", "2", "--timeout", "10",
                           "--junit-xml", junit, "--", "-v", "--testdir", testdir,
                           "test_crash", "test_fail", "test_hang", "test_pass",
                           "test_zz_after", timeout=600)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    cases = junit_cases(junit)
    assert cases[("test_pass", "test_one")][0] == "passed"
    assert cases[("test_pass", "test_two")][0] == "passed"
    assert cases[("test_pass", "test_skipped")][0] == "skipped"
    assert cases[("test_fail", "test_ok")][0] == "passed"
    assert cases[("test_fail", "test_wrong")] == ("failure", "AssertionError: 1 != 2")
    assert cases[("test_fail", "test_error")][0] == "error"
    assert "boom" in cases[("test_fail", "test_error")][1]
    # The crash is a case of the test that was running; the test after it in
    # the same file ran in a fresh process.
    assert cases[("test_crash", "test_a_before")][0] == "passed"
    assert cases[("test_crash", "test_b_segfault")][0] == "error"
    assert "SIGSEGV" in cases[("test_crash", "test_b_segfault")][1]
    assert cases[("test_crash", "test_c_never")][0] == "passed"
    assert len([suite for suite, _ in cases if suite == "test_crash"]) == 3
    assert cases[("test_hang", "test_sleep")] == ("error", "timed out after 10 s")
    assert len([suite for suite, _ in cases if suite == "test_hang"]) == 1
    # Resume: the file after the crash and the hang in the same shard ran.
    assert cases[("test_zz_after", "test_runs")][0] == "passed"
    assert "resuming in a fresh process" in result.stdout
    assert "[qemu-aarch64-1]" in result.stdout and "[qemu-aarch64-2]" in result.stdout
    # The summary names where it crashed (faulthandler's innermost frame: a
    # Python one here, os.kill raised the signal; crash/).
    assert ("test_crash.Crash.test_b_segfault crashed: SIGSEGV in test_b_segfault "
            f"({testdir / 'test_crash.py'}:5, Python)") in result.stdout
    assert "Timed out: test_hang.Hang.test_sleep (10 s)" in result.stdout
    assert elapsed < 300


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().split("\0")[:-1]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_kills_every_child_and_writes_the_junit(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write_tests(tmp_path / "tests", "test_pass", "test_sleepy")
    junit = tmp_path / "junit.xml"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CPYTHON_CHECKOUT", None)
    process = subprocess.Popen(
        [sys.executable, str(ANDROID_PY), "--checkout", str(gnu_build.checkout),
         "--cross-build-dir", str(gnu_build.cross_build), "test", "aarch64-linux-gnu",
         "--junit-xml", str(junit), "--", "-v", "--testdir", str(testdir),
         "test_pass", "test_sleepy"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    seen = []
    try:
        for line in process.stdout:
            seen.append(line)
            if line.rstrip().endswith("] test_sleepy"):
                break
        else:
            pytest.fail("the run ended before the sleeping test started:\n" + "".join(seen))
        # regrtest --junit-xml captures a test's prints: watch for its child.
        for _ in range(600):
            children = _descendants(process.pid)
            if any(_cmdline(pid) == ["sleep", "300"] for pid in children):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the test's `sleep 300` never started:\n" + "".join(seen))
        process.send_signal(signal.SIGTERM)
        rest = process.stdout.read()
        returncode = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert returncode != 0
    time.sleep(0.5)  # let the kernel finish tearing down the killed processes
    left = [pid for pid in children if _alive(pid)]
    assert not left, f"still running after SIGTERM: {left}"
    cases = junit_cases(junit)  # parses: the file is valid JUnit
    assert cases[("test_pass", "test_one")][0] == "passed"
    stopped = [v for (suite, _), v in cases.items() if suite == "test_sleepy"]
    assert len(stopped) == 1 and stopped[0][0] == "error"
    assert "SIGTERM" in stopped[0][1] and "test_sleep" in stopped[0][1]
    assert "interrupted" in rest


def test_deadline_kills_the_run_and_names_the_test(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write_tests(tmp_path / "tests", "test_pass", "test_hang", "test_zz_after")
    junit = tmp_path / "junit.xml"
    started = time.monotonic()
    result = gnu_build.cli("test", "build", "--deadline", "6", "--junit-xml", junit, "--",
                           "-v", "--testdir", testdir, "test_pass", "test_hang",
                           "test_zz_after", timeout=120)
    assert time.monotonic() - started < 60
    assert result.returncode == 1
    cases = junit_cases(junit)
    assert cases[("test_pass", "test_one")][0] == "passed"
    # The test the deadline stopped is a case of its own.
    assert cases[("test_hang", "test_sleep")] == ("error", "timed out after 6 s")
    # After the deadline nothing else starts (not even a listing of the names):
    # regrtest's "[n/N]" count says how many files did not run.
    assert not [suite for suite, _ in cases if suite == "test_zz_after"]
    assert "Not run: 1 more test file(s)" in result.stdout


def test_no_resume_stops_at_the_first_crash(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write_tests(tmp_path / "tests", "test_crash", "test_pass")
    junit = tmp_path / "junit.xml"
    result = gnu_build.cli("test", "build", "--no-resume", "--junit-xml", junit, "--",
                           "--testdir", testdir, "test_crash", "test_pass", timeout=120)
    assert result.returncode == 1
    cases = junit_cases(junit)
    not_run = [v for (suite, _), v in cases.items() if suite == "test_pass"]
    assert len(not_run) == 1 and "not run" in not_run[0][1] and "--no-resume" in not_run[0][1]
    assert "Not run (1): test_pass" in result.stdout


def test_a_run_that_ran_no_test_fails(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write_tests(tmp_path / "tests", "test_pass")
    result = gnu_build.cli("test", "build", "--", "--testdir", testdir,
                           "--match", "no_such_test", "test_pass", timeout=120)
    assert result.returncode != 0
    assert "No tests ran" in result.stdout


def test_all_passing_exits_0(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write_tests(tmp_path / "tests", "test_pass", "test_zz_after")
    result = gnu_build.cli("test", "build", "--shards", "2", "--", "--testdir", testdir,
                           timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Tests: 4 total, 3 passed, 0 failed, 0 errors, 1 skipped" in result.stdout


def test_fast_ci_on_the_aarch64_python(gnu_build: BuiltHost, tmp_path: Path):
    # Upstream's option set (-W error -bb -E ... --fast-ci --single-process)
    # and regrtest's own re-exec must work through the qemu wrapper.
    testdir = write_tests(tmp_path / "tests", "test_pass")
    junit = tmp_path / "junit.xml"
    result = gnu_build.cli("test", "aarch64-linux-gnu", "--fast-ci", "--junit-xml", junit,
                           "--", "--testdir", testdir, "test_pass", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "--fast-ci" in result.stdout  # regrtest's header shows its command line
    cases = junit_cases(junit)
    assert cases[("test_pass", "test_one")][0] == "passed"
    assert cases[("test_pass", "test_skipped")][0] == "skipped"


def test_code_runs_on_the_aarch64_python_and_its_status_is_ours(gnu_build: BuiltHost):
    result = gnu_build.cli("test", "aarch64-linux-gnu", "-c",
                           "import platform, sys; print(platform.machine()); sys.exit(3)",
                           timeout=120)
    assert result.returncode == 3
    assert result.stdout.strip() == "aarch64"


def test_site_packages_and_a_copy_of_cwd(gnu_build: BuiltHost, tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "extra_module.py").write_text("VALUE = 'from site-packages'\n")
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "data.txt").write_text("original")
    code = ("import pathlib, extra_module; print(extra_module.VALUE); "
            "print(pathlib.Path('data.txt').read_text()); "
            "pathlib.Path('data.txt').write_text('changed')")
    result = gnu_build.cli("test", "build", "--site-packages", site, "--cwd", cwd,
                           "-c", code, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["from", "site-packages", "original"]
    assert (cwd / "data.txt").read_text() == "original"


def test_output_is_live(gnu_build: BuiltHost):
    env = {**os.environ}
    env.pop("CPYTHON_CHECKOUT", None)
    process = subprocess.Popen(
        [sys.executable, str(ANDROID_PY), "--checkout", str(gnu_build.checkout),
         "--cross-build-dir", str(gnu_build.cross_build), "test", "build", "-c",
         "import time; print('first'); time.sleep(3); print('second')"],
        stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    first = process.stdout.readline()
    got_first = time.monotonic()
    rest = process.stdout.read()
    process.wait(timeout=60)
    ended = time.monotonic()
    assert first.strip() == "first" and rest.strip() == "second"
    assert ended - got_first > 2.0  # "first" came while the python was still sleeping
