"""Bad input: one line on stderr saying what is wrong and what to do, exit
status 2 (3 when this machine lacks something: an SDK, a compiler, a build
not made yet), and nothing deleted.  Each case runs the real command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.cli import run_cli
from support.trees import fake_checkout, fake_installed_python


def snapshot(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


SETUP = 3  # errors.SetupError: this machine lacks something


def assert_one_line_error(result, *words: str, status: int = 2) -> None:
    assert result.returncode == status, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("android.py: error: ")
    for word in words:
        assert word in lines[0]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = fake_checkout(tmp_path / "cpython")
    # A previous build that bad input must never touch.
    (root / "cross-build" / "build").mkdir(parents=True)
    (root / "cross-build" / "build" / "keep.txt").write_text("keep")
    return root


def cli(checkout: Path, *args: str, env: dict[str, str] | None = None):
    return run_cli("--checkout", checkout, *args, env=env)


def test_unknown_host_lists_choices(checkout):
    before = snapshot(checkout)
    result = cli(checkout, "build", "mips-unknown-plan9")
    assert_one_line_error(result, "mips-unknown-plan9", "aarch64-linux-android",
                          "x86_64-linux-android", "aarch64-linux-gnu")
    assert snapshot(checkout) == before


@pytest.mark.parametrize("value, word", [("abc", "integer"), ("20", "21"), ("-3", "21")])
def test_bad_api_level(checkout, value, word):
    result = cli(checkout, "configure-host", "aarch64-linux-android", "--api-level", value)
    assert_one_line_error(result, word)


def test_no_android_home(checkout):
    env = {"ANDROID_HOME": ""}
    result = cli(checkout, "env", "aarch64-linux-android", env=env)
    assert_one_line_error(result, "ANDROID_HOME", status=SETUP)


def test_android_home_not_a_directory(checkout, tmp_path):
    result = cli(checkout, "env", "x86_64-linux-android",
                 env={"ANDROID_HOME": str(tmp_path / "missing")})
    assert_one_line_error(result, "ANDROID_HOME", "not a directory", status=SETUP)


def test_ndk_missing_and_no_sdkmanager(checkout, tmp_path):
    sdk = tmp_path / "sdk"
    sdk.mkdir()
    result = cli(checkout, "env", "aarch64-linux-android", env={"ANDROID_HOME": str(sdk)})
    assert_one_line_error(result, "ndk;27.3.13750724", "sdkmanager", status=SETUP)


def test_not_a_cpython_checkout(tmp_path):
    (tmp_path / "notpython").mkdir()
    (tmp_path / "notpython" / "keep.txt").write_text("x")
    result = run_cli("--checkout", tmp_path / "notpython", "build", "aarch64-linux-gnu")
    assert_one_line_error(result, "not a CPython source tree", "--checkout")
    assert (tmp_path / "notpython" / "keep.txt").exists()


def test_checkout_from_environment_is_validated(tmp_path):
    result = run_cli("clean", env={"CPYTHON_CHECKOUT": str(tmp_path)})
    assert_one_line_error(result, "not a CPython source tree")


def test_make_host_before_configure_host(checkout):
    result = cli(checkout, "make-host", "aarch64-linux-gnu")
    assert_one_line_error(result, "configure-host", status=SETUP)


def test_configure_host_before_build_python(checkout):
    before = snapshot(checkout)
    result = cli(checkout, "configure-host", "aarch64-linux-gnu")
    assert_one_line_error(result, "build python", "make-build", status=SETUP)
    assert snapshot(checkout) == before


def test_gnu_cross_compiler_not_on_path(checkout):
    # A build python exists, so the missing compiler is what stops us.
    build = checkout / "cross-build" / "build"
    (build / "python").write_text("#!/bin/sh\n")
    before = snapshot(checkout)
    result = cli(checkout, "configure-host", "riscv64-linux-gnu",
                 env={"PATH": "/usr/bin:/bin" if not os.path.exists(
                     "/usr/bin/riscv64-linux-gnu-gcc") else "/nonexistent"})
    assert_one_line_error(result, "riscv64-linux-gnu-gcc", "PATH", status=SETUP)
    assert snapshot(checkout) == before


def test_qemu_missing_for_run(checkout, tmp_path):
    fake_installed_python(checkout / "cross-build" / "aarch64-linux-gnu" / "prefix",
                          "aarch64-linux-gnu")
    # PATH without qemu (but with the basics the shim needs).
    empty = tmp_path / "emptybin"
    empty.mkdir()
    result = cli(checkout, "run", "aarch64-linux-gnu", "--", "-c", "pass",
                 env={"PATH": str(empty)})
    assert_one_line_error(result, "qemu-aarch64", "qemu-user", status=SETUP)


def test_run_before_build(checkout):
    result = cli(checkout, "run", "aarch64-linux-gnu", "--", "-c", "pass")
    assert_one_line_error(result, "no host python", "build aarch64-linux-gnu", status=SETUP)


def test_clean_with_bad_host_deletes_nothing(checkout):
    before = snapshot(checkout)
    result = cli(checkout, "clean", "nonsense")
    assert_one_line_error(result, "nonsense")
    assert snapshot(checkout) == before


def test_unknown_subcommand_is_one_line(checkout):
    result = cli(checkout, "frobnicate")
    assert_one_line_error(result, "frobnicate")


def test_no_checkout_at_all(tmp_path):
    result = run_cli("build", "aarch64-linux-gnu", cwd=tmp_path)
    assert_one_line_error(result, "--checkout", "CPYTHON_CHECKOUT")


def test_a_configure_that_cannot_start_is_reported_not_a_traceback(tmp_path):
    checkout = fake_checkout(tmp_path / "cpython")
    (checkout / "configure").chmod(0o644)  # e.g. a checkout copied without modes
    result = run_cli("--checkout", checkout, "configure-build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot start" in result.stderr and "Permission denied" in result.stderr
    assert "full log:" in result.stderr


def test_sdkmanager_that_cannot_run(checkout, tmp_path):
    sdkmanager = tmp_path / "sdk" / "cmdline-tools" / "latest" / "bin" / "sdkmanager"
    sdkmanager.parent.mkdir(parents=True)
    sdkmanager.write_text("#!/bin/sh\nexit 0\n")  # not executable
    result = cli(checkout, "env", "aarch64-linux-android",
                 env={"ANDROID_HOME": str(tmp_path / "sdk")})
    assert result.returncode == SETUP, result.stderr
    # sdkmanager's own progress goes to stderr first; the error is the last line.
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("android.py: error: cannot run ")
    assert "sdkmanager" in last and "ndk;27.3.13750724" in last
    assert "Traceback" not in result.stderr


def test_damaged_cross_env_description(checkout, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "setup.py").write_text("")
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    (env_dir / "cross-env.json").write_text("{not json")
    result = cli(checkout, "build-wheel", "aarch64-linux-gnu", str(project), "--outdir",
                 str(tmp_path / "out"), "--env", str(env_dir))
    assert_one_line_error(result, "cross-env.json", "cross-env")


def test_an_unwritable_cross_build_directory_is_one_line(tmp_path):
    """A file where the build directory should be is refused up front, in one
    line (issue 14: exit status 2, like all bad input)."""
    checkout = fake_checkout(tmp_path / "cpython")
    blocker = tmp_path / "cross-build"
    blocker.write_text("not a directory")
    result = run_cli("--checkout", checkout, "--cross-build-dir", blocker, "configure-build")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("android.py: error: ")
    assert str(blocker) in lines[0]
    assert blocker.read_text() == "not a directory"
