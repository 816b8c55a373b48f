"""Following CPython main, for real: pythoninfo, `ci`, `--pull`, and logcat's
binary format end to end.  They reuse the session's aarch64-linux-gnu build
(so `ci` finds every build step up to date) and the ADB double, whose "app"
runs the session's native build python."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from junitparser import JUnitXml

from cpython_android.layout import Layout
from support.adb_double import AdbDouble
from support.cli import GNU_HOST, BuiltHost, build_command, ccache_env, run_cli
from support.devices import ANDROID_HOST, fake_apks

pytestmark = pytest.mark.integration
SERIAL = "emulator-5554"
EXTERNAL = "/sdcard/Android/data/org.python.testbed/files"


def test_pythoninfo_of_the_build_and_the_host_python_are_saved(gnu_build: BuiltHost):
    result = gnu_build.cli("pythoninfo-build")
    assert result.returncode == 0, result.stderr
    build_log = gnu_build.cross_build / "logs" / "pythoninfo-build.log"
    assert "sys.version: 3.13.5" in build_log.read_text()
    assert f"machine='{os.uname().machine}'" in build_log.read_text()

    result = gnu_build.cli("pythoninfo", GNU_HOST)
    assert result.returncode == 0, result.stderr
    host_log = gnu_build.cross_build / "logs" / f"pythoninfo-{GNU_HOST}.log"
    text = host_log.read_text()
    assert "sys.version: 3.13.5" in text and "machine='aarch64'" in text  # under qemu
    assert "machine='aarch64'" in result.stdout  # and printed


def test_ci_packages_and_tests_the_extracted_package(gnu_build: BuiltHost, tmp_path: Path):
    junit = gnu_build.cross_build / "logs" / f"junit-{GNU_HOST}.xml"
    junit.unlink(missing_ok=True)
    # The session build's own options, so every build step is up to date.
    options = list(build_command(GNU_HOST))[2:]
    summary = tmp_path / "step-summary.md"
    result = gnu_build.cli("ci", GNU_HOST, *options, "--fast-ci", "--", "test_bool",
                           env={**ccache_env(), "GITHUB_ACTIONS": "true",
                                "GITHUB_STEP_SUMMARY": str(summary)}, timeout=1800)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    out = result.stdout
    for step in ("configure-build", "make-build", f"configure-host {GNU_HOST}",
                 f"make-host {GNU_HOST}"):
        assert f"==> {step}: up to date" in out, step
    assert "sys.version: 3.13.5" in out  # pythoninfo-build
    groups = [line for line in out.splitlines() if line.startswith("::")]
    assert groups[:2] == ["::group::Configure build Python", "::endgroup::"]
    assert "::group::Package" in groups and "::group::Tests" in groups
    assert groups.count("::endgroup::") == groups.count("::group::Tests") + 7
    # The tests ran from the extracted package (then deleted), not the checkout.
    extracted = next(line for line in out.splitlines() if line.startswith("Testing the pack"))
    assert not Path(extracted.rsplit(" ", 1)[1]).exists()
    assert "[1/1] test_bool passed" in out
    cases = [case.name for suite in JUnitXml.fromfile(str(junit)) for case in suite]
    assert any("test_bool" in name for name in cases)
    # GitHub's job summary: the run's counts and its slowest files, in Markdown.
    markdown = summary.read_text()
    assert markdown.startswith("## Tests on ") and ": SUCCESS" in markdown.splitlines()[0]
    assert "| `test_bool` |" in markdown.split("### Slowest test files", 1)[1]


def test_ci_without_a_mode_is_one_line(gnu_build: BuiltHost):
    result = gnu_build.cli("ci", GNU_HOST)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--fast-ci" in result.stderr


CRASH_AFTER_WRITING = ("import os, sys; d = sys.argv[1]; os.makedirs(d, exist_ok=True); "
                       "open(os.path.join(d, 'a.dat'), 'w').write('hit'); "
                       "open(os.path.join(d, 'b.log'), 'w').write('no'); os.abort()")


def test_pull_on_a_gnu_host_copies_from_the_run_directory_after_a_crash(
        gnu_build: BuiltHost, tmp_path: Path):
    out = tmp_path / "pulled"
    result = gnu_build.cli("test", GNU_HOST, "--pull", "cov/*.dat", "--output-dir", out,
                           "--", "-c", CRASH_AFTER_WRITING, "cov")
    assert result.returncode != 0
    assert (out / "cov" / "a.dat").read_text() == "hit"
    assert not (out / "cov" / "b.log").exists()


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "xb")
    fake_apks(layout)
    return layout


def android_test(gnu_build: BuiltHost, double: AdbDouble, layout: Layout, *args: str | Path):
    return run_cli("--checkout", gnu_build.checkout, "--cross-build-dir", layout.root,
                   "test", ANDROID_HOST, "--connected", SERIAL, *args, env=double.env,
                   timeout=300)


@pytest.mark.parametrize("too_quick", [False, True], ids=["pid-found", "ended-before-pidof"])
def test_pull_on_android_after_the_app_crashed(gnu_build, double, layout, tmp_path, too_quick):
    # ended-before-pidof: the app crashed before a `pidof` poll saw it, so its
    # output and crash line come from logcat's buffer afterwards.
    device = double.add_device(SERIAL, tmp_path / "dev",
                               python=[str(gnu_build.cross_build / "build" / "python")])
    device.app_too_quick = too_quick
    out = tmp_path / "pulled"
    result = android_test(gnu_build, double, layout, "--pull", "cov/*.dat", "--output-dir",
                          out, "--", "-c", CRASH_AFTER_WRITING, f"{EXTERNAL}/cov")
    assert result.returncode != 0
    assert "SIGABRT" in result.stdout + result.stderr
    assert (out / "a.dat").read_text() == "hit"
    assert not (out / "b.log").exists()


def test_pull_on_android_is_relative_to_the_pushed_cwd(gnu_build, double, layout, tmp_path):
    # The app runs in its internal-storage copy of --cwd, which adb's shell user
    # cannot read (the double refuses it, as a device does): --pull reads it as the
    # app, through run-as.
    device = double.add_device(SERIAL, tmp_path / "dev",
                               python=[str(gnu_build.cross_build / "build" / "python")])
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "given.txt").write_text("pushed")
    out = tmp_path / "pulled"
    result = android_test(gnu_build, double, layout, "--cwd", cwd, "--pull", "cov/*.dat",
                          "--pull", "given.txt", "--output-dir", out,
                          "--", "-c", CRASH_AFTER_WRITING, "cov")
    assert result.returncode != 0
    assert (out / "a.dat").read_text() == "hit"
    assert (out / "given.txt").read_text() == "pushed"
    assert not (out / "b.log").exists()
    internal = device.path("/data/user/0/org.python.testbed/files/pushed/cwd")
    assert (internal / "cov" / "a.dat").is_file()
    assert not device.path(f"{EXTERNAL}/cov").exists()


PRINTS = ("import sys, time; print('one', end='', flush=True); time.sleep(1); print(' line'); "
          "print('two\\nthree'); sys.stderr.write('err\\n')")


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_python_output_arrives_as_lines_from_binary_logcat(gnu_build, double, layout,
                                                          tmp_path, version):
    device = double.add_device(SERIAL, tmp_path / "dev", logcat_binary=version,
                               python=[str(gnu_build.cross_build / "build" / "python")])
    result = android_test(gnu_build, double, layout, "-c", PRINTS)
    assert result.returncode == 0, result.stdout + result.stderr
    # "one" was a message of its own (written without a newline): still one line.
    assert any(e.message == "one" for e in device.logcat)
    shown = [line for line in result.stdout.splitlines()
             if line in ("one line", "one", " line", "two", "three")]
    assert shown == ["one line", "two", "three"]
    assert "err" in result.stdout.splitlines()


def test_a_logcat_without_binary_is_read_as_text(gnu_build, double, layout, tmp_path):
    double.add_device(SERIAL, tmp_path / "dev", logcat_binary=None,
                      python=[str(gnu_build.cross_build / "build" / "python")])
    result = android_test(gnu_build, double, layout, "-v", "-c", PRINTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "logcat refused --binary" in result.stdout
    assert {"two", "three"} <= set(result.stdout.splitlines())
