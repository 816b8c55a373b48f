"""The two-phase build for real: CPython 3.13 from Debian's source package,
built for aarch64-linux-gnu with our `build`, then run under qemu-user."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cli import GNU_HOST, build_command, ccache_env, run_cli

pytestmark = pytest.mark.integration
STEPS = ("configure-build", "make-build", f"configure-host {GNU_HOST}", f"make-host {GNU_HOST}")


def test_host_python_is_installed_in_the_prefix(gnu_build):
    assert (gnu_build.prefix / "bin" / "python3.13").is_file()
    assert (gnu_build.prefix / "lib" / "libpython3.13.so").exists()
    assert (gnu_build.prefix / "lib" / "python3.13" / "os.py").is_file()
    assert (gnu_build.cross_build / "build" / "python").is_file()


def test_host_python_runs_under_qemu(gnu_build):
    code = ("import sys, platform, json, subprocess; print(json.dumps({"
            "'platform': sys.platform, 'machine': platform.machine(), "
            "'child': subprocess.run([sys.executable, '-c', 'import platform; "
            "print(platform.machine())'], capture_output=True, text=True).stdout.strip()}))")
    result = gnu_build.cli("run", GNU_HOST, "--", "-c", code, check=True)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"platform": "linux", "machine": "aarch64", "child": "aarch64"}


def test_regrtest_module_passes_through_run(gnu_build):
    result = gnu_build.cli("run", GNU_HOST, "--", "-m", "test", "test_string", check=True)
    assert "Result: SUCCESS" in result.stdout
    assert "1 test OK" in result.stdout


def test_run_passes_the_exit_status(gnu_build):
    result = gnu_build.cli("run", GNU_HOST, "--", "-c", "raise SystemExit(7)")
    assert result.returncode == 7


def test_build_again_is_a_no_op(gnu_build):
    libpython = gnu_build.prefix / "lib" / "libpython3.13.so.1.0"
    installed = libpython.stat().st_mtime_ns
    logs = {p: p.stat().st_mtime_ns for p in (gnu_build.cross_build / "logs").glob("*.log")}

    result = gnu_build.cli(*build_command(GNU_HOST), env=ccache_env(), check=True)

    for step in STEPS:
        assert f"==> {step}: up to date" in result.stdout, result.stdout
    assert "<== " not in result.stdout  # no step ran
    assert libpython.stat().st_mtime_ns == installed
    assert {p: p.stat().st_mtime_ns for p in logs} == logs


def test_first_build_showed_each_step_with_its_log(gnu_build):
    out = gnu_build.first_build.stdout
    for step in STEPS:
        if f"==> {step}: up to date" in out:
            continue  # a reused tree (CPYTHON_ANDROID_TEST_CROSS_BUILD) was already built
        log = gnu_build.cross_build / "logs"
        assert f"==> {step} (log: {log}" in out
        assert f"<== {step}: done in " in out


def test_failing_configure_shows_command_tail_and_log(cpython_source: Path, tmp_path: Path):
    cross_build = tmp_path / "cross-build"
    result = run_cli("--checkout", cpython_source, "--cross-build-dir", cross_build,
                     "configure-build", env={"CC": "/nonexistent/cc"})
    assert result.returncode == 1
    log = cross_build / "logs" / "configure-build.log"
    assert log.is_file()
    assert f"full log: {log}" in result.stderr
    assert "command exited with status" in result.stderr and "configure" in result.stderr
    assert "C compiler" in result.stderr  # the tail of configure's own output
    assert "C compiler" in log.read_text()
    # A failed configure leaves no stamp: the next run configures again.
    assert not (cross_build / "build" / ".android-py-configure.json").exists()


def test_our_gnu_build_passes_check(gnu_build):
    """`check HOST` on the real build: every ELF file is for the host's machine."""
    result = gnu_build.cli("check", GNU_HOST)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {name: [line for line in result.stdout.splitlines() if name in line]
            for name in ("lib/libpython3.13.so.1.0", "bin/python3.13 ")}
    for lines in rows.values():
        assert len(lines) == 1, result.stdout
        assert lines[0].split()[1] == "AARCH64", lines[0]
    assert ": all ok" in result.stdout
