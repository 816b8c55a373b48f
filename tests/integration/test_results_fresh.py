"""Results from fresh regrtest runs: the shared build's native python runs
regrtest on small test files (every outcome the results must keep) and on
CPython's own, and `results` (or the library's parser) converts what it printed.
The saved logs the unit tests read (tests/data/regrtest) were made the same way
from REGRTEST_FILES below; see the README there."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from cpython_android.results import RegrtestParser, merge_regrtest_xml, parse_log, write_junit
from cpython_android.results.regrtest import parse_duration
from support.cli import BuiltHost, run_cli
from support.regrtest_files import junit_suites, validate

#: Test files for regrtest's --testdir: every outcome the results must keep.
REGRTEST_FILES = {
    "test_rx_pass": '''
import unittest

class Good(unittest.TestCase):
    def test_one(self):
        pass

    def test_two(self):
        """A docstring test."""
        pass

    @unittest.skip("not today")
    def test_skip(self):
        pass

    @unittest.expectedFailure
    def test_xfail(self):
        self.assertEqual(1, 2)
''',
    "test_rx_fail": '''
import unittest

class Bad(unittest.TestCase):
    def test_ok(self):
        pass

    def test_fail(self):
        self.assertEqual(1, 2, "one is not two")

    def test_error(self):
        raise ValueError("boom")

    def test_sub(self):
        for x in range(3):
            with self.subTest(x=x):
                self.assertLess(x, 1)

    @unittest.expectedFailure
    def test_unexpected(self):
        pass

class BrokenSetup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("setUpClass broke")

    def test_never(self):
        pass
''',
    "test_rx_skipmod": '''
import unittest
raise unittest.SkipTest("module skipped here")
''',
    "test_rx_modfail": '''
import unittest

def setUpModule():
    raise OSError("setUpModule broke")

class T(unittest.TestCase):
    def test_x(self):
        pass
''',
    "test_rx_import": '''
import unittest
import no_such_module_xyz
''',
    "test_rx_crash": '''
import os, unittest

class Crash(unittest.TestCase):
    def test_before(self):
        pass

    def test_crash(self):
        import ctypes
        ctypes.string_at(0)
''',
    "test_rx_abort": '''
import os, unittest

class Abort(unittest.TestCase):
    def test_abort(self):
        os.abort()
''',
    "test_rx_hang": '''
import time, unittest

class Hang(unittest.TestCase):
    def test_quick(self):
        pass

    def test_hang(self):
        time.sleep(60)
''',
    "test_rx_env": '''
import os, unittest

class Env(unittest.TestCase):
    def test_env(self):
        os.environ["RX_LEAK"] = "1"
''',
    "test_rx_res": '''
import unittest
from test import support

class Res(unittest.TestCase):
    def test_net(self):
        pass

def setUpModule():
    support.requires("network")
''',
    "test_rx_flaky": '''
import os, unittest

class Flaky(unittest.TestCase):
    def test_flaky(self):
        marker = os.environ.get("RX_FLAKY_MARKER", "/tmp/res-dev/flaky-marker")
        if not os.path.exists(marker):
            open(marker, "w").close()
            self.fail("first time fails")
''',
}


def write_test_files(directory: Path, names: list[str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / f"{name}.py").write_text(REGRTEST_FILES[name])
    return directory


def run_regrtest(build: BuiltHost, testdir: Path, *args: str) -> tuple[str, int]:
    """The native build python's regrtest, output as a buildbot would save it."""
    python = build.cross_build / "build" / "python"
    env = dict(os.environ, RX_FLAKY_MARKER=str(testdir / "flaky-marker"))
    proc = subprocess.run([str(python), "-m", "test", "--testdir", str(testdir), *args],
                          cwd=python.parent, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    return proc.stdout, proc.returncode


@pytest.mark.parametrize("mode", [["-v"], [], ["-j2", "-v"], ["-j2"]],
                         ids=["seq-v", "seq", "j2-v", "j2"])
def test_fresh_regrtest_run_converts(gnu_build, tmp_path, mode):
    names = ["test_rx_pass", "test_rx_fail", "test_rx_skipmod", "test_rx_modfail"]
    if "-j2" in mode:  # a crash or hang in a worker does not end a -j run
        names += ["test_rx_crash", "test_rx_hang"]
    testdir = write_test_files(tmp_path / "tests", names)
    regrtest_xml = tmp_path / "regrtest.xml"
    output, status = run_regrtest(gnu_build, testdir, *mode, "--timeout", "3",
                                  "--junit-xml", str(regrtest_xml), *names)
    assert status != 0
    saved = tmp_path / "regrtest.log"
    saved.write_text(output)
    out = tmp_path / "junit.xml"
    result = run_cli("results", saved, "--regrtest-xml", regrtest_xml, "--junit-xml", out)
    assert result.returncode == 1, result.stdout + result.stderr
    validate(out)
    suites = junit_suites(out)
    assert set(names) <= set(suites)
    fail = {(c.classname, c.name): c for c in suites["test_rx_fail"]}
    assert ("test_rx_fail.Bad", "test_fail") in fail  # from -v lines or regrtest's XML
    if "-v" in mode:
        assert ("test_rx_fail.Bad", "test_sub (subtest x=1)") in fail
        assert ("test_rx_fail.BrokenSetup", "setUpClass") in fail
    if "-j2" in mode:
        # With -v the test that crashed or hung is a case of its own (its last
        # "name (id) ..." line has no result); without -v the file-level case.
        [crash] = [c for c in suites["test_rx_crash"] if c.result]
        assert "SIGSEGV" in crash.result[0].message
        assert "test_crash" in f"{crash.name} {crash.result[0].message}"
        assert (crash.name == "test_crash") == ("-v" in mode)
        [hang] = [c for c in suites["test_rx_hang"] if c.result]
        assert "3 s" in hang.result[0].message
        assert "test_hang" in f"{hang.name} {hang.result[0].message}"
        assert (hang.name == "test_hang") == ("-v" in mode)


def test_fresh_sequential_crash_and_passing_run(gnu_build, tmp_path):
    names = ["test_rx_pass", "test_rx_abort", "test_rx_fail"]
    testdir = write_test_files(tmp_path / "tests", names)
    output, status = run_regrtest(gnu_build, testdir, "-v", *names)
    assert status != 0
    results = parse_log(output)
    abort = results.files["test_rx_abort"]
    assert abort.status == "crashed" and "Aborted" in abort.reason
    assert abort.running_test == "test_rx_abort.Abort.test_abort"
    assert results.missing_files == 1 and results.exit_status() == 1

    output, status = run_regrtest(gnu_build, testdir, "test_rx_pass")
    assert status == 0
    saved = tmp_path / "pass.log"
    saved.write_text(output)
    result = run_cli("results", saved, "--junit-xml", tmp_path / "junit.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Result: SUCCESS" in result.stdout


def test_fresh_run_of_real_test_files_counts_every_test(gnu_build):
    """CPython's own test files (doctests, docstring tests, a doctest run twice,
    skips): as many cases as regrtest says it ran."""
    python = gnu_build.cross_build / "build" / "python"
    proc = subprocess.run([str(python), "-m", "test", "-j2", "-v", "test_json", "test_descrtut",
                           "test_textwrap", "test_enum"], cwd=python.parent, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    results = parse_log(proc.stdout)
    total = re.search(r"^Total tests: run=([\d,]+)(?: skipped=([\d,]+))?", proc.stdout, re.M)
    assert total is not None, proc.stdout[-2000:]
    counts = results.counts()
    assert counts.tests == int(total.group(1).replace(",", ""))
    assert counts.tests_skipped == int((total.group(2) or "0").replace(",", ""))
    assert results.exit_status() == (0 if proc.returncode == 0 else 1)


@pytest.mark.parametrize("mode", [[], ["-v"]], ids=["plain", "verbose"])
def test_regrtest_xml_merge_of_real_test_files(gnu_build, tmp_path, mode):
    """What `test` does: streamed output plus regrtest's own XML.  Each test
    file stays one suite under its own name (test_json's first case is a
    module doctest with no class), and a doctest that really ran twice is
    counted twice, as regrtest counts it."""
    python = gnu_build.cross_build / "build" / "python"
    xml = tmp_path / "regrtest.xml"
    proc = subprocess.run([str(python), "-m", "test", *mode, "test_json", "test_textwrap",
                           "--junit-xml", str(xml)], cwd=python.parent, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    results = parse_log(proc.stdout)
    merge_regrtest_xml(results, xml)
    total = re.search(r"^Total tests: run=([\d,]+)", proc.stdout, re.M)
    assert total is not None, proc.stdout[-2000:]
    assert sorted(results.files) == ["test_json", "test_textwrap"]
    assert results.counts().tests == int(total.group(1).replace(",", ""))
    out = tmp_path / "junit.xml"
    write_junit(results, out)
    validate(out)
    assert set(junit_suites(out)) == {"test_json", "test_textwrap"}


def test_durations_as_regrtest_formats_them(gnu_build):
    """File durations and -j's "running" notes, formatted by regrtest's own code."""
    python = gnu_build.cross_build / "build" / "python"
    seconds = [0.25, 1.5, 42.0, 125.0, 3725.0]
    code = ("import json, sys; from test.libregrtest.utils import format_duration; "
            f"print(json.dumps([format_duration(s) for s in {seconds!r}]))")
    texts = json.loads(subprocess.run([str(python), "-c", code], cwd=python.parent, check=True,
                                      capture_output=True, text=True).stdout)
    for value, text in zip(seconds, texts, strict=True):
        precision = 60 if value >= 3600 else 1  # "1 hour 2 min": two parts only
        assert parse_duration(text) == pytest.approx(value, abs=precision), text
    parser = RegrtestParser()
    parser.feed("0:00:00 load avg: 1.00 Run 2 tests in parallel using 2 worker processes")
    parser.feed(f"0:02:05 load avg: 1.00 [1/2] test_a passed ({texts[3]}) -- running (1): "
                f"test_b ({texts[2]})")
    parser.feed(f"0:02:35 load avg: 1.00 running (1): test_b ({texts[2]})")
    parser.feed(f"0:03:00 load avg: 1.00 [2/2/1] test_b failed (1 failure) ({texts[2]})")
    results = parser.finish()
    assert results.files["test_a"].duration == pytest.approx(125)
    assert results.files["test_a"].output == ""  # the "running" line is nobody's output
    assert (results.files["test_b"].status, results.files["test_b"].duration) == ("failed", 42)
