"""Small regrtest test files (passing, failing, crashing with SIGSEGV, in C too, hanging)
that harness tests write into a `--testdir`, and JUnit readers to compare
a run's XML with what those files do (and check it against Jenkins' schema)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import junitparser
import xmlschema

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "junit-10.xsd"

TEST_FILES = {
    "test_pass": """
        import unittest
        class Pass(unittest.TestCase):
            def test_one(self): pass
            def test_two(self): pass
            @unittest.skip("not here")
            def test_skipped(self): pass
        """,
    "test_fail": """
        import unittest
        class Fail(unittest.TestCase):
            def test_ok(self): pass
            def test_wrong(self): self.assertEqual(1, 2)
            def test_error(self): raise RuntimeError("boom")
        """,
    # Fails the first time it runs in a directory, passes afterwards: what
    # regrtest's --rerun calls flaky.  The marker sits next to the test file,
    # so it works wherever the test directory is (qemu, the lab, the build).
    "test_flaky": """
        import os, unittest
        MARKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flaky-ran-once")
        class Flaky(unittest.TestCase):
            def test_fine(self): pass
            def test_once(self):
                if not os.path.exists(MARKER):
                    open(MARKER, "w").close()
                    self.fail("fails the first time only")
        """,
    "test_skipmod": """
        import unittest
        raise unittest.SkipTest("not on this platform")
        """,
    "test_crash": """
        import os, signal, unittest
        class Crash(unittest.TestCase):
            def test_a_before(self): pass
            def test_b_segfault(self): os.kill(os.getpid(), signal.SIGSEGV)
            def test_c_never(self): pass
        """,
    # Crashes inside libpython (faulthandler._read_null reads NULL in C) and in
    # ctypes (string_at(0)); skipped where the build has no _ctypes.
    "test_native_crash": """
        import faulthandler, unittest
        class Native(unittest.TestCase):
            def test_a_before(self): pass
            def test_b_read_null(self): faulthandler._read_null()
            def test_c_string_at_null(self):
                try:
                    import ctypes
                except ImportError:
                    self.skipTest("no _ctypes in this build")
                ctypes.string_at(0)
            def test_d_after(self): pass
        """,
    "test_hang": """
        import time, unittest
        class Hang(unittest.TestCase):
            def test_sleep(self): time.sleep(600)
        """,
    "test_zz_after": """
        import unittest
        class After(unittest.TestCase):
            def test_runs(self): pass
        """,
    # Starts a grandchild in its own session (out of our process group) and
    # then waits: only a harness that kills every descendant cleans it up.
    "test_sleepy": """
        import subprocess, time, unittest
        class Sleepy(unittest.TestCase):
            def test_sleep(self):
                subprocess.Popen(["sleep", "300"], start_new_session=True)
                time.sleep(300)
        """,
}


def write_tests(directory: Path, *names: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / f"{name}.py").write_text(textwrap.dedent(TEST_FILES[name]))
    return directory


def junit_cases(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(suite, case name) -> (outcome, message) from a JUnit file."""
    xml = junitparser.JUnitXml.fromfile(str(path))
    cases = {}
    for suite in xml:
        for case in suite:
            results = case.result
            outcome = type(results[0]).__name__.lower() if results else "passed"
            message = (results[0].message or "") if results else ""
            cases[(suite.name, case.name)] = (outcome, message)
    return cases


def validate(path: Path) -> None:
    """Valid under the JUnit schema Jenkins reads (tests/data/junit-10.xsd)."""
    xmlschema.XMLSchema(SCHEMA).validate(path)


def junit_suites(path: Path) -> dict[str, Any]:
    """Suite name -> suite, from a JUnit file."""
    return {suite.name: suite for suite in junitparser.JUnitXml.fromfile(str(path))}


def write_equal_durations(path: Path, files: list[str], seconds: float = 1.0) -> Path:
    """An earlier JUnit file (for `--durations`) in which every file took `seconds`:
    equal weights, so the pool's batches are sized by count alone."""
    earlier = junitparser.JUnitXml()
    for name in files:
        suite = junitparser.TestSuite(name)
        suite.time = seconds
        earlier.add_testsuite(suite)
    earlier.write(str(path))
    return path
