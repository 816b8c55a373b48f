"""`android.py test --connected SERIAL` end to end, against the ADB server double.

The double's "app" runs the testbed's own android_testbed_main.py with a real
CPython 3.13 (the native build python of the session's cross build, or the
aarch64 python under qemu-user); everything between the command line and the
TCP socket is ours, unmocked: harness → AndroidRunner → adbutils → adb protocol.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time
from pathlib import Path

import pytest
from junitparser import JUnitXml

from cpython_android.errors import InfrastructureError
from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from cpython_android.runners import Invocation, Managed, RunnerSpec
from cpython_android.runners.android import AndroidOptions, create_android_runners
from cpython_android.runners.qemu import QemuPython
from support.adb_double import FakeDevice
from support.cli import needs
from support.devices import ANDROID_HOST, android_py, spec_for
from support.regrtest_files import write_equal_durations

pytestmark = pytest.mark.integration
SERIAL = "emulator-5554"




def make_test_dir(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "testdir"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.py").write_text(textwrap.dedent(text))
    return directory


def run_direct(runner, invocation: Invocation) -> tuple[object, list[tuple[str, str]]]:
    lines: list[tuple[str, str]] = []
    outcome = asyncio.run(runner.run(invocation, lambda line, stream: lines.append((stream,
                                                                                   line))))
    return outcome, lines


def test_passing_run_pulls_regrtests_junit(gnu_build, double, layout, build_python,
                                           tmp_path) -> None:
    device = double.add_device(SERIAL, tmp_path / "dev", python=build_python)
    junit = tmp_path / "out.xml"
    result = android_py(gnu_build, double, layout, "--connected", SERIAL, "--junit-xml",
                        junit, "--", "test_bool")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[1/1] test_bool passed" in result.stdout
    # Python's lines arrive with logcat's level and tag stripped.
    assert "python.stdout" not in result.stdout and "I/" not in result.stdout
    # The testbed's events hook wrote each test's result in the app's external
    # files dir; the file was pulled back.
    [run] = device.instrument_args
    assert run["pythonModule"] == "android_testbed_events"
    assert "--events /sdcard/Android/data/org.python.testbed/files/" in run["pythonArgs"]
    cases = {(case.classname, case.name) for suite in JUnitXml.fromfile(str(junit))
             for case in suite}
    assert ("test.test_bool.BoolTest", "test_math") in cases
    assert device.app_running is False  # `am force-stop` at the end


def test_failing_run(gnu_build, double, layout, build_python, tmp_path) -> None:
    double.add_device(SERIAL, tmp_path / "dev", python=build_python)
    cwd = make_test_dir(tmp_path, test_fails="""
        import unittest
        class T(unittest.TestCase):
            def test_fails(self):
                self.assertEqual(1, 2)
    """)
    junit = tmp_path / "out.xml"
    result = android_py(gnu_build, double, layout, "--connected", SERIAL, "--cwd", cwd,
                        "--junit-xml", junit, "--", "--testdir", ".", "test_fails")
    assert result.returncode != 0
    assert "test_fails failed" in result.stdout
    assert "AssertionError: 1 != 2" in result.stdout + result.stderr
    [case] = [c for suite in JUnitXml.fromfile(str(junit)) for c in suite]
    assert case.result and case.result[0].__class__.__name__ == "Failure"


def test_native_crash_mid_run_is_reported_and_resumed(gnu_build, double, layout,
                                                      build_python, tmp_path) -> None:
    device = double.add_device(SERIAL, tmp_path / "dev", python=build_python)
    cwd = make_test_dir(tmp_path, test_a_crash="""
        import faulthandler, unittest
        class T(unittest.TestCase):
            def test_crash(self):
                print("about to crash", flush=True)
                faulthandler._sigsegv()
    """, test_b_ok="""
        import unittest
        class T(unittest.TestCase):
            def test_ok(self):
                pass
    """)
    junit = tmp_path / "out.xml"
    result = android_py(gnu_build, double, layout, "--connected", SERIAL, "--cwd", cwd,
                        "--junit-xml", junit, "--", "--testdir", ".", "test_a_crash",
                        "test_b_ok")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Fatal Python error: Segmentation fault" in output  # python.stderr
    # The F/ line from logcat is shown even without -v, and names the signal.
    assert "F/libc: Fatal signal 11 (SIGSEGV)" in output
    assert "killed by SIGSEGV" in output
    assert "[1/1] test_b_ok passed" in result.stdout  # resumed in a fresh app process
    assert len([r for r in device.instrument_args if "--events" in r["pythonArgs"]]) == 2
    outcomes = {(c.classname, c.name): c.result for suite in JUnitXml.fromfile(str(junit))
                for c in suite}
    assert outcomes[("test_b_ok.T", "test_ok")] == []  # passed
    [crashed] = [r for (cls, _), r in outcomes.items() if cls.startswith("test_a_crash")]
    assert crashed  # an error: the crash


def test_device_disconnecting_mid_run(gnu_build, double, layout, build_python,
                                      tmp_path) -> None:
    device = double.add_device(SERIAL, tmp_path / "dev", python=build_python,
                               disconnect_after_lines=3)
    code = "import time\nfor i in range(50):\n    print('line', i, flush=True)\n    " \
           "time.sleep(0.1)"
    started = time.monotonic()
    result = android_py(gnu_build, double, layout, "--connected", SERIAL, "-c", code)
    assert result.returncode != 0
    assert "line 0" in result.stdout
    assert "line 49" not in result.stdout
    assert f"device {SERIAL} disconnected" in result.stdout + result.stderr
    assert time.monotonic() - started < 60  # noticed, not waited out
    assert device.app_process is not None and device.app_process.poll() is not None
    assert result.returncode == 4  # errors.DeviceGone: infrastructure


def test_a_run_survives_losing_one_of_two_devices(gnu_build, double, layout, build_python,
                                                   tmp_path) -> None:
    """A device that goes away mid-file gives its unfinished files back to the
    pool; the other device runs them; every file is in the JUnit once, the exit
    status is regrtest's, and the summary and the JUnit name the lost device."""
    files = ["test_bool", "test_int", "test_float", "test_list"]
    # Equal weights; no case listing on the lost one.
    durations = write_equal_durations(tmp_path / "earlier.xml", files)
    double.add_device(SERIAL, tmp_path / "a", python=build_python)
    double.add_device("emulator-5556", tmp_path / "b", python=build_python,
                      disconnect_after_lines=20)
    junit = tmp_path / "junit.xml"
    result = android_py(gnu_build, double, layout, "--connected", f"{SERIAL},emulator-5556",
                        "--durations", durations, "--junit-xml", junit, "--", "-v", *files)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Lost device emulator-5556 while running test_" in result.stdout, output[-3000:]
    suites = list(JUnitXml.fromfile(str(junit)))
    assert sorted(suite.name for suite in suites) == sorted(files)  # each once
    handed_back = [suite for suite in suites
                   if any(p.name == "lost_device" for p in suite.properties())]
    assert handed_back and all(
        {p.name: p.value for p in suite.properties()}["lost_device"] == "emulator-5556"
        for suite in handed_back)
    assert all(case.is_passed or case.is_skipped for suite in suites for case in suite)


def test_slow_app_start_is_waited_for(gnu_build, double, layout, build_python,
                                      tmp_path) -> None:
    double.add_device(SERIAL, tmp_path / "dev", python=build_python, start_delay=4.0)
    result = android_py(gnu_build, double, layout, "--connected", SERIAL, "-c",
                        "print('started late')")
    assert result.returncode == 0, result.stderr
    assert "started late" in result.stdout


def test_app_that_never_starts_times_out(double, layout, build_python, tmp_path) -> None:
    double.add_device(SERIAL, tmp_path / "dev", python=build_python, start_delay=5.0)
    [runner] = create_android_runners(spec_for(layout, SERIAL),
                                      AndroidOptions(startup_timeout=1.0))
    with pytest.raises(InfrastructureError, match=f"did not start on {SERIAL} within 1 s"):
        run_direct(runner, Invocation(["-c", "pass"]))


def test_verbose_shows_other_logcat_lines(gnu_build, double, layout, build_python,
                                          tmp_path) -> None:
    double.add_device(SERIAL, tmp_path / "dev", python=build_python)
    quiet = android_py(gnu_build, double, layout, "--connected", SERIAL, "-c", "print('hi')")
    loud = android_py(gnu_build, double, layout, "--connected", SERIAL, "-v", "-c",
                      "print('hi')")
    assert quiet.returncode == loud.returncode == 0
    assert "hi" in quiet.stdout.splitlines()
    assert "TestRunner" not in quiet.stdout + quiet.stderr
    assert "I/TestRunner: started: testPython" in loud.stdout + loud.stderr


def test_exit_status_options_env_cwd_and_site_packages(double, layout, build_python,
                                                      tmp_path) -> None:
    double.add_device(SERIAL, tmp_path / "dev", python=build_python)
    site = tmp_path / "site"
    site.mkdir()
    (site / "mymod.py").write_text("X = 42\n")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "data.txt").write_text("from cwd")
    [runner] = create_android_runners(spec_for(layout, SERIAL))
    code = ("import mymod, os, pathlib, sys; print(mymod.X, os.environ['FOO'], "
            "pathlib.Path('data.txt').read_text(), sys.flags.bytes_warning, "
            "'error' in sys.warnoptions); print('to stderr', file=sys.stderr); sys.exit(3)")
    outcome, lines = run_direct(runner, Invocation(
        ["-bb", "-W", "error", "-c", code], cwd=cwd, site_packages=site, env={"FOO": "bar"}))
    assert outcome.returncode == 3, lines
    assert ("stdout", "42 bar from cwd 2 True") in lines
    assert ("stderr", "to stderr") in lines


def test_deadline_and_cancel_stop_the_app(double, layout, build_python, tmp_path) -> None:
    device: FakeDevice = double.add_device(SERIAL, tmp_path / "dev", python=build_python)
    [runner] = create_android_runners(spec_for(layout, SERIAL))
    code = "import time; print('sleeping', flush=True); time.sleep(120)"
    outcome, lines = run_direct(runner, Invocation(["-c", code], timeout=6))
    assert outcome.timed_out and outcome.returncode is None
    assert ("stdout", "sleeping") in lines
    assert device.app_process is not None and device.app_process.poll() is not None

    async def cancel_after_first_line() -> None:
        first = asyncio.Event()
        task = asyncio.create_task(runner.run(Invocation(["-c", code]),
                                              lambda line, stream: first.set()))
        await asyncio.wait_for(first.wait(), 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_after_first_line())
    assert device.app_process.poll() is not None and not device.app_running


def test_two_devices_two_shards(gnu_build, double, layout, build_python, tmp_path) -> None:
    a = double.add_device("emulator-5554", tmp_path / "a", python=build_python)
    b = double.add_device("emulator-5556", tmp_path / "b", python=build_python)
    junit = tmp_path / "out.xml"
    result = android_py(gnu_build, double, layout, "--connected", "emulator-5554,emulator-5556",
                        "--shards", "2", "--junit-xml", junit, "--", "test_bool", "test_int")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ran = [" ".join(r["pythonArgs"] for r in d.instrument_args if "--events" in
                    r["pythonArgs"]) for d in (a, b)]
    assert sum("test_bool" in r for r in ran) == 1 and sum("test_int" in r for r in ran) == 1
    files = {c.classname.split(".")[1] for suite in JUnitXml.fromfile(str(junit))
             for c in suite}
    assert {"test_bool", "test_int"} <= files


def test_aarch64_python_under_qemu_as_the_app(gnu_build, double, layout, tmp_path) -> None:
    host = parse_host(gnu_build.host)
    wrapper = QemuPython(host, gnu_build.prefix / "bin" / "python3.13").ensure_wrapper()
    double.add_device(SERIAL, tmp_path / "dev", python=[str(wrapper)])
    [runner] = create_android_runners(spec_for(layout, SERIAL))
    outcome, lines = run_direct(runner, Invocation(
        ["-c", "import platform, sys; print(platform.machine(), sys.version_info[:2])"]))
    assert outcome.returncode == 0, lines
    assert ("stdout", "aarch64 (3, 13)") in lines


FAKE_GRADLEW = """\
import os, shlex, socket, subprocess, sys, time
# Stands in for `gradlew NAMEDebugAndroidTest`: "boots" a managed emulator in
# the ADB double, starts the instrumentation with the real adb binary, as
# Gradle's test runner would, and takes the emulator away at the end.
PREFIX = "-Pandroid.testInstrumentationRunnerArguments."
task = next(a for a in sys.argv if a.endswith("DebugAndroidTest"))
extras = {a[len(PREFIX):].partition("=")[0]: a[len(PREFIX):].partition("=")[2]
          for a in sys.argv if a.startswith(PREFIX)}
print("> Task :app:" + task, flush=True)

def double(request):
    with socket.create_connection(("127.0.0.1", int(os.environ["ANDROID_ADB_SERVER_PORT"]))) as s:
        s.sendall(b"%04x" % len(request) + request.encode())
        assert s.recv(4) == b"OKAY"

time.sleep(1)
double("double:add:emulator-5580")
command = ["am", "instrument", "-w", "-r"]
for key, value in extras.items():
    command += ["-e", key, value]
command.append("org.python.testbed.test/androidx.test.runner.AndroidJUnitRunner")
out = subprocess.run(["adb", "-s", "emulator-5580", "shell", shlex.join(command)],
                     capture_output=True, text=True)
print(out.stdout, out.stderr, flush=True)
double("double:remove:emulator-5580")
sys.exit(0 if "OK (1 test)" in out.stdout else 1)
"""


@needs("adb")
def test_managed_device_through_gradle(double, build_python, tmp_path, monkeypatch) -> None:
    project = tmp_path / "testbed"
    (project / "gradle" / "wrapper").mkdir(parents=True)
    (project / "gradle" / "wrapper" / "gradle-wrapper.jar").write_bytes(b"PK")
    (project / "gradlew.bat").write_text("")
    gradlew = project / "gradlew"
    gradlew.write_text(f"#!{sys.executable}\n{FAKE_GRADLEW}")
    gradlew.chmod(0o755)
    monkeypatch.setenv("ANDROID_HOME", str(tmp_path))
    (tmp_path / "licenses").mkdir()  # an SDK whose licences were accepted
    for name in ("android-sdk-license", "android-sdk-arm-dbt-license"):
        (tmp_path / "licenses" / name).write_text("24333f8a\n")
    java = tmp_path / "jdk" / "bin" / "java"  # a JDK Gradle runs on
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\necho 'openjdk version \"21.0.6\" 2025-01-21' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(java.parent.parent))
    layout = Layout(tmp_path / "xb")
    (layout.prefix(ANDROID_HOST) / "lib").mkdir(parents=True)
    double.new_device_root = tmp_path / "devices"
    double.new_device_options = {"python": build_python,
                                 "packages": {"org.python.testbed", "org.python.testbed.test"}}
    spec = RunnerSpec(parse_host(ANDROID_HOST), layout, "3.13", target=Managed("maxVersion"))
    [runner] = create_android_runners(spec, AndroidOptions(testbed_project=project))
    assert runner.name == "managed-maxVersion"
    junit = tmp_path / "out.xml"
    outcome, lines = run_direct(runner, Invocation(["-m", "test", "test_bool"],
                                                   junit_xml=junit))
    assert outcome.returncode == 0, lines
    assert ("stdout", "Serial: emulator-5580") in lines
    assert any(line.endswith("test_bool passed") for _, line in lines), lines
    # regrtest's own XML, pulled from the device as it wrote it.
    assert any(case.name == "test.test_bool.BoolTest.test_math"
               for suite in JUnitXml.fromfile(str(junit)) for case in suite)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
