"""Results: regrtest output (and regrtest's own XML) -> one model -> JUnit XML.

Two kinds of input: real logs saved in tests/data/regrtest (made by running
regrtest on REGRTEST_FILES below, see the README there), and fresh logs made
by running regrtest with the shared build's native python (integration).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cpython_android.errors import UserError
from cpython_android.results import (
    RegrtestParser,
    RunResults,
    TestCase,
    mark_crashed,
    mark_not_run,
    mark_timed_out,
    merge,
    merge_regrtest_xml,
    parse_log,
    write_junit,
)
from support.cli import REPO, BuiltHost, run_cli

DATA = REPO / "tests" / "data"
LOGS = DATA / "regrtest"
SCHEMA = DATA / "junit-10.xsd"

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


def log(name: str) -> RunResults:
    return parse_log((LOGS / name).read_text())


def cases(results: RunResults, file: str) -> dict[str, TestCase]:
    return {f"{c.classname}.{c.name}": c for c in results.files[file].all_cases()}


def validate(path: Path) -> None:
    import xmlschema

    xmlschema.XMLSchema(SCHEMA).validate(path)


def junit_suites(path: Path) -> dict[str, Any]:
    from junitparser import JUnitXml

    return {suite.name: suite for suite in JUnitXml.fromfile(str(path))}


# --- the streamed output ---------------------------------------------------------

def test_verbose_log_keeps_what_regrtest_xml_drops():
    results = log("seq-v.log")
    fail = cases(results, "test_rx_fail")
    assert fail["test_rx_fail.Bad.test_error"].status == "error"
    assert fail["test_rx_fail.Bad.test_error"].message == "ValueError: boom"
    assert "raise ValueError" in fail["test_rx_fail.Bad.test_error"].detail
    assert fail["test_rx_fail.Bad.test_fail"].status == "failed"
    assert fail["test_rx_fail.Bad.test_ok"].status == "passed"
    # Subtest failures and a setUpClass error: cases of their own.
    assert fail["test_rx_fail.Bad.test_sub (subtest x=1)"].status == "failed"
    assert "2 not less than 1" in fail["test_rx_fail.Bad.test_sub (subtest x=2)"].message
    assert "test_rx_fail.Bad.test_sub" not in fail  # the parent is not a passed case
    setup = fail["test_rx_fail.BrokenSetup.setUpClass"]
    assert (setup.status, setup.message) == ("error", "RuntimeError: setUpClass broke")
    assert fail["test_rx_fail.Bad.test_unexpected"].status == "failed"

    good = cases(results, "test_rx_pass")
    assert good["test_rx_pass.Good.test_two"].status == "passed"  # docstring on its own line
    assert good["test_rx_pass.Good.test_xfail"].status == "passed"  # expected failure
    assert (good["test_rx_pass.Good.test_skip"].status,
            good["test_rx_pass.Good.test_skip"].message) == ("skipped", "not today")

    module = cases(results, "test_rx_modfail")["test_rx_modfail.setUpModule"]
    assert module.status == "error" and "setUpModule broke" in module.message
    imported = results.files["test_rx_import"]
    assert imported.failed and "no_such_module_xyz" in imported.all_cases()[0].detail
    skipped = results.files["test_rx_skipmod"].all_cases()
    assert [(c.status, c.message) for c in skipped] == [("skipped", "module skipped here")]


def test_plain_and_verbose_logs_agree_on_file_results():
    verbose, plain = log("seq-v.log"), log("seq.log")
    assert {n: f.status for n, f in plain.files.items()} == \
        {n: f.status for n, f in verbose.files.items()}
    counts = plain.counts()
    assert (counts.files, counts.files_passed, counts.files_failed, counts.files_skipped) == \
        (5, 1, 3, 1)
    assert plain.exit_status() == verbose.exit_status() == 1


def test_parallel_crash_and_timeout_name_signal_and_running_test():
    for name in ("j2.log", "j2-v.log"):
        results = log(name)
        crash = results.files["test_rx_crash"].all_cases()[-1]
        assert crash.status == "error" and "SIGSEGV" in crash.message
        assert "test_crash" in crash.message
        assert "Fatal Python error: Segmentation fault" in crash.detail
        abort = results.files["test_rx_abort"].all_cases()[-1]
        assert "SIGABRT" in abort.message and "test_abort" in abort.message
        hang = results.files["test_rx_hang"]
        assert hang.status == "timed_out"
        assert "5 s" in hang.all_cases()[-1].message and "test_hang" in hang.all_cases()[-1].message
        counts = results.counts()
        assert counts.crashed == ("test_rx_crash", "test_rx_abort")
        assert counts.timed_out == ("test_rx_hang",)
        summary = results.summary()
        assert "Crashed: test_rx_crash" in summary and "Timed out: test_rx_hang" in summary
    verbose = log("j2-v.log")  # with -v the class is known too
    message = verbose.files["test_rx_crash"].all_cases()[-1].message
    assert "test_rx_crash.Crash.test_crash" in message
    assert cases(verbose, "test_rx_crash")["test_rx_crash.Crash.test_before"].status == "passed"


def test_sequential_crash_ends_run_and_later_files_are_not_dropped(tmp_path):
    results = log("seq-crash-v.log")
    crash = results.files["test_rx_crash"]
    assert crash.status == "crashed"
    assert "Segmentation fault" in crash.reason
    assert crash.running_test == "test_rx_crash.Crash.test_crash"
    assert results.missing_files == 1  # test_rx_fail was announced ([n/3]) but never ran
    assert results.exit_status() == 1
    assert "1 more test file" in results.summary()
    out = tmp_path / "junit.xml"
    write_junit(results, out)
    validate(out)
    assert "not run" in junit_suites(out)


def test_an_unwritable_junit_path_is_a_user_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(UserError, match="cannot write the JUnit XML"):
        write_junit(RunResults(), blocker / "junit.xml")


def test_sequential_timeout_names_the_hung_test():
    results = log("seq-hang-v.log")
    hang = results.files["test_rx_hang"]
    assert (hang.status, hang.timeout, hang.running_test) == \
        ("timed_out", 5, "test_rx_hang.Hang.test_hang")


def test_rerun_attempt_is_the_result_and_the_first_is_kept():
    results = log("rerun.log")
    assert results.files["test_rx_flaky"].status == "passed"  # failed, then passed on re-run
    [flaky] = results.files["test_rx_flaky"].all_cases()
    assert flaky.flaky and [a.status for a in flaky.earlier] == ["failed"]
    assert "test_rx_flaky.Flaky.test_flaky" in results.summary().split("Flaky, passed", 1)[1]
    sub = cases(results, "test_rx_fail")["test_rx_fail.Bad.test_sub (subtest x=1)"]
    assert sub.failed_every_attempt
    assert results.files["test_rx_fail"].status == "failed"
    assert results.files["test_rx_env"].status == "env_changed"
    assert results.exit_status() == 1
    assert len(results.files) == 5


# --- regrtest's own XML ---------------------------------------------------------

def test_regrtest_xml_adds_tests_and_times_to_a_plain_log():
    results = log("seq.log")
    assert "test_rx_fail.Bad.test_fail" not in cases(results, "test_rx_fail")
    merge_regrtest_xml(results, LOGS / "seq.xml")
    fail = cases(results, "test_rx_fail")
    assert fail["test_rx_fail.Bad.test_fail"].status == "failed"
    assert "one is not two" in fail["test_rx_fail.Bad.test_fail"].detail
    assert fail["test_rx_fail.Bad.test_fail"].time > 0
    assert fail["test_rx_fail.Bad.test_unexpected"].status == "failed"
    assert cases(results, "test_rx_pass")["test_rx_pass.Good.test_skip"].status == "skipped"
    assert len(results.files) == 5  # the XML's files are the log's, none invented


def test_regrtest_xml_merge_keeps_what_only_the_log_shows():
    results = log("seq-v.log")
    before = {k: c.status for k, c in cases(results, "test_rx_fail").items()}
    merge_regrtest_xml(results, (LOGS / "seq-v.xml").read_text())
    after = cases(results, "test_rx_fail")
    assert {k: c.status for k, c in after.items()} == before
    assert after["test_rx_fail.Bad.test_error"].time > 0


def test_bad_regrtest_xml_is_one_line_user_error(tmp_path):
    bad = tmp_path / "regrtest.xml"
    bad.write_text("<testsuites><testsuite>")  # what a run killed mid-write leaves
    result = run_cli("results", LOGS / "seq.log", "--regrtest-xml", bad,
                     "--junit-xml", tmp_path / "out.xml")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not valid XML" in result.stderr
    assert not (tmp_path / "out.xml").exists()


# --- JUnit out ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.name for p in LOGS.glob("*.log")))
def test_junit_validates_against_jenkins_schema(tmp_path, name):
    results = log(name)
    xml = LOGS / name.replace(".log", ".xml")
    if xml.exists():
        merge_regrtest_xml(results, xml)
    out = tmp_path / "junit.xml"
    write_junit(results, out, {"host": "aarch64-linux-gnu"})
    validate(out)
    suites = junit_suites(out)
    assert set(results.files) <= set(suites)
    total = sum(s.tests for s in suites.values())
    assert total == results.counts().tests + (1 if results.missing_files else 0)
    # The root <testsuites> carries the sums of its suites.
    import xml.etree.ElementTree as ET

    root = ET.parse(out).getroot()
    children = root.findall("testsuite")
    for attribute in ("tests", "failures", "errors"):
        assert int(root.get(attribute, "0")) == sum(int(c.get(attribute, "0"))
                                                     for c in children), attribute
    assert float(root.get("time", "0")) == pytest.approx(
        sum(float(c.get("time", "0")) for c in children), abs=0.01)
    if any(float(c.get("time", "0")) for c in children):
        assert float(root.get("time", "0")) > 0


def test_schema_rejects_regrtest_own_xml():
    """The schema is strict enough to matter: regrtest's XML has no suite names."""
    import xmlschema

    assert not xmlschema.XMLSchema(SCHEMA).is_valid(LOGS / "seq.xml")


def test_junit_case_shape(tmp_path):
    results = log("j2-v.log")
    out = tmp_path / "junit.xml"
    write_junit(results, out, {"runner": "native"})
    from junitparser import Error, Failure, Skipped

    suites = junit_suites(out)
    by_name = {(c.classname, c.name): c for c in suites["test_rx_fail"]}
    fail = by_name[("test_rx_fail.Bad", "test_fail")]
    assert isinstance(fail.result[0], Failure)
    assert "one is not two" in fail.result[0].message and "Traceback" in fail.result[0].text
    assert isinstance(by_name[("test_rx_fail.BrokenSetup", "setUpClass")].result[0], Error)
    assert isinstance(by_name[("test_rx_fail.Bad", "test_sub (subtest x=1)")].result[0], Failure)
    skip = {c.name: c for c in suites["test_rx_pass"]}["test_skip"]
    assert isinstance(skip.result[0], Skipped) and skip.result[0].message == "not today"
    crash = {c.name: c for c in suites["test_rx_crash"]}["crash"]
    assert isinstance(crash.result[0], Error) and "SIGSEGV" in crash.result[0].message
    props = {p.name: p.value for p in suites["test_rx_fail"].properties()}
    # The run's own properties, then the file's: regrtest's words for it (a
    # parsed log without stamp() has no device or time).
    assert props == {"runner": "native", "status": "failed",
                     "reason": "failed (2 errors, 3 failures)"}


def test_output_that_xml_cannot_hold_is_escaped(tmp_path):
    parser = RegrtestParser()
    for line in (LOGS / "seq-crash-v.log").read_text().splitlines():
        parser.feed(line)
    parser.feed("\x1b[31mred\x00 and a lone \udc80 surrogate")
    out = tmp_path / "junit.xml"
    write_junit(parser.finish(), out)
    validate(out)
    assert "\\x1b[31mred\\x00" in out.read_text()


# --- what the harness does --------------------------------------------------------

def test_streaming_parser_tracks_running_file_and_harness_marks():
    parser = RegrtestParser()
    seen = []
    for line in (LOGS / "seq-crash-v.log").read_text().splitlines():
        parser.feed(line)
        seen.append(parser.current_file)
    assert "test_rx_pass" in seen and parser.current_file == "test_rx_crash"
    assert parser.finished_files == ["test_rx_pass"]
    results = parser.finish()
    mark_crashed(results, "test_rx_crash", "killed by SIGSEGV (exit status -11)")
    mark_not_run(results, ["test_rx_crash", "test_rx_fail"], "the process crashed")
    assert results.missing_files == 0  # now named
    crash = results.files["test_rx_crash"].all_cases()[-1]
    assert "SIGSEGV" in crash.message and "Segmentation fault" in crash.message
    assert [c.name for c in results.files["test_rx_crash"].all_cases()].count("crash") == 1
    not_run = results.files["test_rx_fail"].all_cases()
    assert [(c.name, c.status) for c in not_run] == [("not run", "error")]
    assert "the process crashed" in not_run[0].message
    assert results.counts().not_run == ("test_rx_fail",)


def test_timeout_mark_and_merge_of_resumed_runs():
    first = log("seq-hang-v.log")
    mark_timed_out(first, "test_rx_hang", 5)
    mark_not_run(first, ["test_rx_fail"], "the run ended at a timeout")
    second = log("seq-v.log")  # the resumed run went on with the rest
    merged = merge([first, second])
    assert merged.files["test_rx_hang"].status == "timed_out"
    assert merged.files["test_rx_fail"].status == "failed"  # a real result beats "not run"
    assert merge([second, first]).files["test_rx_fail"].status == "failed"
    assert merged.exit_status() == 1


def test_nothing_ran_is_a_failure():
    empty = parse_log("")
    assert empty.exit_status() == 1 and "No tests ran" in empty.summary()
    only_skipped = parse_log("\n".join(
        line for line in (LOGS / "seq.log").read_text().splitlines() if "skipmod" in line))
    assert list(only_skipped.files) == ["test_rx_skipmod"]
    assert only_skipped.exit_status() == 1


# --- the command line --------------------------------------------------------------

def test_results_command(tmp_path):
    out = tmp_path / "sub" / "junit.xml"
    result = run_cli("results", LOGS / "j2.log", "--junit-xml", out)
    assert result.returncode == 1, result.stderr
    assert "Crashed: test_rx_crash" in result.stdout and "Result: FAILURE" in result.stdout
    validate(out)
    missing = run_cli("results", tmp_path / "nope.log", "--junit-xml", out)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "nope.log" in missing.stderr


# --- fresh logs from a real regrtest ---------------------------------------------------

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


@pytest.mark.integration
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


@pytest.mark.integration
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


@pytest.mark.integration
def test_fresh_run_of_real_test_files_counts_every_test(gnu_build):
    """CPython's own test files (doctests, docstring tests, a doctest run twice,
    skips): as many cases as regrtest says it ran."""
    import re

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


@pytest.mark.integration
@pytest.mark.parametrize("mode", [[], ["-v"]], ids=["plain", "verbose"])
def test_regrtest_xml_merge_of_real_test_files(gnu_build, tmp_path, mode):
    """What `test` does: streamed output plus regrtest's own XML.  Each test
    file stays one suite under its own name (test_json's first case is a
    module doctest with no class), and a doctest that really ran twice is
    counted twice, as regrtest counts it."""
    import re

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


@pytest.mark.integration
def test_durations_as_regrtest_formats_them(gnu_build):
    """File durations and -j's "running" notes, formatted by regrtest's own code."""
    import json

    from cpython_android.results.regrtest import parse_duration

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
