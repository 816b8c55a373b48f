"""Per-test JUnit (issue 10): every test that ran is a case, the test that
crashed or hung is a case of its own, and the rest of its file still runs.

Real targets only: the native build python, the aarch64 python under
qemu-user, and the ADB server double whose "app" runs the testbed's own
entry point.  The test files are written here; the expected cases follow
from what those files do.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from support.cli import BuiltHost, run_cli
from support.devices import android_py

pytestmark = pytest.mark.integration
SERIAL = "emulator-5554"



CRASH = """
    import faulthandler, unittest
    class Crash(unittest.TestCase):
        def test_a(self): pass
        def test_segfault(self): faulthandler._sigsegv()
        def test_z_after(self): pass
    class Later(unittest.TestCase):
        def test_fails(self): self.assertEqual(1, 2)
    """
HANG = """
    import time, unittest
    class Hang(unittest.TestCase):
        def test_a(self): pass
        def test_sleep(self): time.sleep(600)
        def test_z_after(self): pass
    """
# A test whose id regrtest cannot ignore (an fnmatch character): the resumed
# process runs it again, it crashes again, and the loop guard stops there.
TWICE = """
    import faulthandler, unittest
    class Twice(unittest.TestCase):
        def id(self): return super().id().replace("test_b", "test_b[*]")
        def test_a(self): pass
        def test_b(self): faulthandler._sigsegv()
        def test_c(self): pass
    """
AFTER = """
    import unittest
    class After(unittest.TestCase):
        def test_runs(self): pass
    """
CRASH_CASES = {
    ("test_crash.Crash", "test_a"): "passed",
    ("test_crash.Crash", "test_segfault"): "error",
    ("test_crash.Crash", "test_z_after"): "passed",
    ("test_crash.Later", "test_fails"): "failure",
}


def write(directory: Path, **files: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.py").write_text(textwrap.dedent(text))
    return directory


def cases(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(classname, name) -> (outcome, message), every case of a JUnit file once."""
    import junitparser

    found: dict[tuple[str, str], tuple[str, str]] = {}
    for suite in junitparser.JUnitXml.fromfile(str(path)):
        for case in suite:
            result = case.result
            key = (case.classname, case.name)
            assert key not in found, f"case {key} twice"
            found[key] = ((type(result[0]).__name__.lower(), result[0].message or "")
                          if result else ("passed", ""))
    return found


def outcomes(path: Path, prefix: str) -> dict[tuple[str, str], str]:
    return {k: v[0] for k, v in cases(path).items() if k[0].startswith(prefix)}


def check_crash_run(result: subprocess.CompletedProcess[str], junit: Path) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert outcomes(junit, "test_crash") == CRASH_CASES
    assert outcomes(junit, "test_zz_after") == {("test_zz_after.After", "test_runs"): "passed"}
    message = cases(junit)[("test_crash.Crash", "test_segfault")][1]
    assert "SIGSEGV" in message or "Segmentation fault" in message
    assert "test_crash.Crash.test_segfault crashed: SIGSEGV in test_segfault (" in result.stdout
    assert "resuming in a fresh process with the rest of test_crash" in result.stdout


def test_crash_and_hang_native(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write(tmp_path / "t", test_crash=CRASH, test_hang=HANG, test_zz_after=AFTER)
    junit = tmp_path / "junit.xml"
    result = gnu_build.cli("test", "build", "--timeout", "5", "--junit-xml", junit, "--",
                           "--testdir", testdir, "test_crash", "test_hang", "test_zz_after",
                           timeout=300)
    check_crash_run(result, junit)
    assert outcomes(junit, "test_hang") == {
        ("test_hang.Hang", "test_a"): "passed", ("test_hang.Hang", "test_sleep"): "error",
        ("test_hang.Hang", "test_z_after"): "passed"}
    assert cases(junit)[("test_hang.Hang", "test_sleep")][1] == "timed out after 5 s"
    assert "Timed out: test_hang.Hang.test_sleep (5 s)" in result.stdout


def test_crash_under_qemu(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write(tmp_path / "t", test_crash=CRASH, test_zz_after=AFTER)
    junit = tmp_path / "junit.xml"
    result = gnu_build.cli("test", gnu_build.host, "--junit-xml", junit, "--", "--testdir",
                           testdir, "test_crash", "test_zz_after", timeout=600)
    check_crash_run(result, junit)


def test_no_resume_lists_the_rest_of_the_file_as_not_run(gnu_build: BuiltHost,
                                                         tmp_path: Path):
    testdir = write(tmp_path / "t", test_crash=CRASH, test_zz_after=AFTER)
    junit = tmp_path / "junit.xml"
    result = gnu_build.cli("test", "build", "--no-resume", "--junit-xml", junit, "--",
                           "--testdir", testdir, "test_crash", "test_zz_after", timeout=300)
    assert result.returncode == 1
    found = cases(junit)
    assert found[("test_crash.Crash", "test_a")][0] == "passed"
    assert found[("test_crash.Crash", "test_segfault")][0] == "error"
    for key in (("test_crash.Crash", "test_z_after"), ("test_crash.Later", "test_fails")):
        assert found[key][0] == "error" and "not run" in found[key][1], found[key]
        assert "--no-resume" in found[key][1]
    assert "resuming" not in result.stdout


def test_the_same_test_crashing_twice_is_not_retried(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write(tmp_path / "t", test_twice=TWICE, test_zz_after=AFTER)
    junit = tmp_path / "junit.xml"
    result = gnu_build.cli("test", "build", "--junit-xml", junit, "--", "--testdir", testdir,
                           "test_twice", "test_zz_after", timeout=300)
    assert result.returncode == 1
    found = cases(junit)
    assert found[("test_twice.Twice", "test_a")][0] == "passed"
    assert found[("test_twice.Twice", "test_b[*]")][0] == "error"
    assert found[("test_twice.Twice", "test_c")][0] == "error"
    assert "twice; not retried again" in found[("test_twice.Twice", "test_c")][1]
    assert found[("test_zz_after.After", "test_runs")][0] == "passed"
    assert result.stdout.count("resuming in a fresh process") == 2


def _total_run(output: str) -> int:
    m = re.search(r"Total tests: run=(\d+)", output)
    assert m, output[-2000:]
    return int(m.group(1))


def test_xml_etree_in_one_process_native(gnu_build: BuiltHost, tmp_path: Path):
    """regrtest's own writer fails after test_xml_etree (3.13): ours has every test."""
    junit, theirs = tmp_path / "junit.xml", tmp_path / "regrtest.xml"
    result = gnu_build.cli("test", "build", "--junit-xml", junit, "--", "test_int",
                           "test_xml_etree", "test_xml_etree_c", "test_bool",
                           "--junit-xml", theirs, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    found = cases(junit)
    assert found[("test.test_bool.BoolTest", "test_math")][0] == "passed"  # after them
    assert any(k[0].startswith("test.test_int.") for k in found)  # before them
    assert any(k[0].startswith("test.test_xml_etree_c.") for k in found)
    skipped = sum(1 for v in found.values() if v[0] == "skipped")
    assert len(found) - skipped <= _total_run(result.stdout) <= len(found)
    assert "regrtest's own --junit-xml writer failed" in output
    assert "TypeError" in output  # "expected an Element, not Element" on Android
    assert "outside any test file" not in output


def test_results_log_names_the_crashed_test(gnu_build: BuiltHost, tmp_path: Path):
    """`android.py results LOG` on real -v output, sequential and -j."""
    testdir = write(tmp_path / "t", test_crash=CRASH)
    python = str(gnu_build.cross_build / "build" / "python")
    for mode in ([], ["-j1"]):
        run = subprocess.run([python, "-m", "test", "-v", *mode, "--testdir", str(testdir),
                              "test_crash"], capture_output=True, text=True, timeout=300)
        log = tmp_path / f"log{len(mode)}.txt"
        log.write_text(run.stdout + run.stderr)
        junit = tmp_path / f"out{len(mode)}.xml"
        result = run_cli("results", log, "--junit-xml", junit)
        found = cases(junit)
        assert found[("test_crash.Crash", "test_a")][0] == "passed", mode
        assert found[("test_crash.Crash", "test_segfault")][0] == "error", mode
        assert ("test_crash", "crash") not in found, mode
        assert "Crashed: test_crash.Crash.test_segfault" in result.stdout, mode


def test_crash_through_the_adb_double(gnu_build, double, layout, build_python,
                                      tmp_path: Path):
    device = double.add_device(SERIAL, tmp_path / "dev", python=build_python)
    cwd = write(tmp_path / "cwd", test_crash=CRASH, test_zz_after=AFTER)
    junit = tmp_path / "junit.xml"
    result = android_py(gnu_build, double, layout, "--connected", SERIAL, "--cwd", cwd,
                        "--junit-xml", junit, "--", "--testdir", ".", "test_crash",
                        "test_zz_after")
    check_crash_run(result, junit)
    assert "F/libc: Fatal signal 11 (SIGSEGV)" in result.stdout + result.stderr
    runs = [r for r in device.instrument_args if "--events" in r["pythonArgs"]]
    assert [r["pythonModule"] for r in runs] == ["android_testbed_events"] * 2
    assert "--skip-started" in runs[1]["pythonArgs"]


def test_xml_etree_through_the_adb_double(gnu_build, double, layout,
                                          build_python, tmp_path: Path):
    double.add_device(SERIAL, tmp_path / "dev", python=build_python)
    junit = tmp_path / "junit.xml"
    result = android_py(gnu_build, double, layout, "--connected", SERIAL, "--fast-ci",
                        "--junit-xml", junit, "--", "test_int", "test_xml_etree",
                        "test_xml_etree_c", "test_bool")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    found = cases(junit)
    assert found[("test.test_bool.BoolTest", "test_math")][0] == "passed"
    assert any(k[0].startswith("test.test_int.") for k in found)
    skipped = sum(1 for v in found.values() if v[0] == "skipped")
    assert len(found) - skipped <= _total_run(result.stdout) <= len(found)


SUBTESTS = """
    import unittest
    class Sub(unittest.TestCase):
        def test_all_pass(self):
            for i in range(3):
                with self.subTest(i=i): pass
        def test_one_skipped(self):
            for i in range(3):
                with self.subTest(i=i):
                    if i == 1: self.skipTest("not this one")
        def test_one_fails(self):
            for i in range(3):
                with self.subTest(i=i): self.assertLess(i, 2)
    """


def test_subtests_are_one_case_per_test_as_regrtest_counts(gnu_build: BuiltHost,
                                                           tmp_path: Path):
    """regrtest's `Total tests: run=` counts a test once whatever its subtests did:
    so do the cases, each naming its skipped or failed subtests."""
    testdir = write(tmp_path / "t", test_sub=SUBTESTS)
    junit = tmp_path / "junit.xml"
    result = gnu_build.cli("test", "build", "--junit-xml", junit, "--", "--testdir", testdir,
                           "test_sub", timeout=300)
    found = cases(junit)
    assert {k: v[0] for k, v in found.items()} == {
        ("test_sub.Sub", "test_all_pass"): "passed",
        ("test_sub.Sub", "test_one_skipped"): "skipped",
        ("test_sub.Sub", "test_one_fails"): "failure"}
    run = sum(int(n) for n in re.findall(r"Total tests: run=(\d+)", result.stdout))
    assert run == len(found) == 3
    assert "subtest i=1" in found[("test_sub.Sub", "test_one_skipped")][1]
    assert "subtest i=2" in found[("test_sub.Sub", "test_one_fails")][1]
