"""regrtest's re-run of failed tests (--rerun, implied by --fast-ci/--slow-ci)
in our JUnit, summaries and exit status, from real regrtest output.

Every log here is made in the test by the native build python's regrtest over
a directory holding a test that fails once and passes afterwards
(test_flaky), one file whose tests always fail (test_fail) and passing ones:
`--rerun -j2 -v`, `--rerun -j2`, `--rerun` (sequential, the re-run in a
subprocess), `--rerun --single-process`.  The JUnit files are checked against
the facts of Surefire's test-report schema (support/surefire.py) and the
Jenkins schema, and read back for what those test files do.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.cli import REPO, BuiltHost, run_cli
from support.lab_fixtures import X86_64, LabBuild
from support.regrtest_files import write_tests
from support.surefire import surefire_problems

SCHEMA = REPO / "tests" / "data" / "junit-10.xsd"
MODES = {"j2-v": ["-j2", "-v"], "j2": ["-j2"], "sequential": [],
         "single-process": ["--single-process"]}
FILES = ["test_flaky", "test_fail", "test_pass"]


@dataclass
class RegrtestRun:
    log: Path
    xml: Path
    status: int  # regrtest's own exit status


def run_regrtest(build: BuiltHost, directory: Path, *args: str, files: list[str] = FILES,
                 xml: bool = True) -> RegrtestRun:
    """The build python's regrtest over fresh test files, saved as a buildbot would."""
    testdir = write_tests(directory / "tests", *files)
    python = build.cross_build / "build" / "python"
    regrtest_xml = directory / "regrtest.xml"
    proc = subprocess.run([str(python), "-m", "test", "--testdir", str(testdir), *args,
                           *(["--junit-xml", str(regrtest_xml)] if xml else []), *files],
                          cwd=python.parent, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    log = directory / "regrtest.log"
    log.write_text(proc.stdout)
    return RegrtestRun(log, regrtest_xml, proc.returncode)


@pytest.fixture(scope="module")
def rerun_runs(gnu_build: BuiltHost, tmp_path_factory: pytest.TempPathFactory
               ) -> dict[str, RegrtestRun]:
    return {mode: run_regrtest(gnu_build, tmp_path_factory.mktemp(mode), "--rerun", *args)
            for mode, args in MODES.items()}


def junit_testcases(path: Path) -> dict[str, ET.Element]:
    """test id -> its <testcase>; a second testcase for one id fails the test."""
    found: dict[str, ET.Element] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        test_id = ".".join(filter(None, (case.get("classname"), case.get("name"))))
        assert test_id not in found, f"two testcases for {test_id}"
        found[test_id] = case
    return found


def children(case: ET.Element) -> list[str]:
    return [child.tag for child in case if child.tag not in ("system-out", "system-err")]


def check_schemas(path: Path) -> None:
    import xmlschema

    assert surefire_problems(path) == []
    xmlschema.XMLSchema(SCHEMA).validate(path)


def listed(output: str, label: str) -> set[str]:
    """The test ids of a summary line such as "Flaky, passed when re-run (1): a b"."""
    m = re.search(rf"^{re.escape(label)} \((\d+)\): (.*)$", output, re.MULTILINE)
    if m is None:
        return set()
    names = set(m.group(2).split(", "))
    assert len(names) == int(m.group(1))
    return names


def assert_reruns_classified(junit: Path, output: str, every_test: bool = True) -> None:
    """test_once failed once then passed: flaky; test_fail's two failed every attempt.
    `every_test`: the output or XML names each test (else the passing test_ok of
    test_fail is nowhere: regrtest re-ran only the failed tests)."""
    check_schemas(junit)
    cases = junit_testcases(junit)
    flaky = cases["test_flaky.Flaky.test_once"]
    assert children(flaky) == ["flakyFailure"]
    [attempt] = flaky.findall("flakyFailure")
    assert attempt.get("type") and attempt.get("message")
    assert "fails the first time only" in f"{attempt.get('message')} " \
        f"{attempt.findtext('stackTrace')}" or "no per-test detail" in attempt.get("message", "")
    wrong, error = cases["test_fail.Fail.test_wrong"], cases["test_fail.Fail.test_error"]
    assert children(wrong)[0] == "failure" and len(children(wrong)) == 2
    assert children(wrong)[1] in ("rerunFailure", "rerunError")
    assert children(error)[0] == "error" and children(error)[1:] == ["rerunError"]
    assert "RuntimeError" in error.find("error").get("type", "")
    if every_test:
        assert children(cases["test_fail.Fail.test_ok"]) == []
    assert listed(output, "Flaky, passed when re-run") == {"test_flaky.Flaky.test_once"}
    assert listed(output, "Failed every attempt") == {"test_fail.Fail.test_wrong",
                                                      "test_fail.Fail.test_error"}


@pytest.mark.integration
@pytest.mark.parametrize("with_xml", [True, False], ids=["regrtest-xml", "log-only"])
@pytest.mark.parametrize("mode", list(MODES))
def test_results_from_a_rerun_log(rerun_runs: dict[str, RegrtestRun], mode: str,
                                  with_xml: bool, tmp_path: Path):
    run = rerun_runs[mode]
    assert run.status == 2, run.log.read_text()[-2000:]  # regrtest: test_fail failed again
    junit = tmp_path / "junit.xml"
    xml = ["--regrtest-xml", run.xml] if with_xml else []
    result = run_cli("results", run.log, *xml, "--junit-xml", junit)
    assert result.returncode == 1, result.stdout + result.stderr
    rerun_whole_files = mode == "single-process"
    assert_reruns_classified(junit, result.stdout,
                             every_test=with_xml or "-v" in MODES[mode] or rerun_whole_files)
    suites = {suite.get("name") for suite in ET.parse(junit).getroot().iter("testsuite")}
    assert suites == set(FILES)


@pytest.mark.integration
def test_a_test_that_passed_on_the_rerun_does_not_fail_the_run(gnu_build: BuiltHost,
                                                                 tmp_path: Path):
    run = run_regrtest(gnu_build, tmp_path, "--rerun", files=["test_flaky", "test_pass"],
                       xml=False)
    assert run.status == 0, run.log.read_text()[-2000:]  # regrtest's own verdict
    junit = tmp_path / "junit.xml"
    result = run_cli("results", run.log, "--junit-xml", junit)
    assert result.returncode == 0, result.stdout + result.stderr
    check_schemas(junit)
    assert children(junit_testcases(junit)["test_flaky.Flaky.test_once"]) == ["flakyFailure"]
    assert "Result: SUCCESS" in result.stdout


@pytest.mark.integration
def test_every_file_is_in_the_junit_without_per_test_detail(gnu_build: BuiltHost,
                                                             tmp_path: Path):
    # A plain single-process run without -v, its XML writer gone: regrtest
    # names each file's result and nothing per test for the passing ones.
    names = ["test_pass", "test_fail", "test_skipmod", "test_zz_after"]
    run = run_regrtest(gnu_build, tmp_path, "--single-process", files=names, xml=False)
    junit = tmp_path / "junit.xml"
    result = run_cli("results", run.log, "--junit-xml", junit)
    assert result.returncode == 1, result.stdout + result.stderr
    check_schemas(junit)
    by_suite: dict[str, list[ET.Element]] = {}
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        by_suite[suite.get("name", "")] = suite.findall("testcase")
    assert set(by_suite) == set(names)
    assert [children(c) for c in by_suite["test_pass"]] == [[]]
    assert [children(c) for c in by_suite["test_zz_after"]] == [[]]
    assert [children(c) for c in by_suite["test_skipmod"]] == [["skipped"]]
    assert any(children(c) and children(c)[0] in ("failure", "error")
               for c in by_suite["test_fail"])
    m = re.search(r"^Tests: (\d+) total.*\((\d+) test file\(s\) without per-test detail",
                  result.stdout, re.MULTILINE)
    assert m is not None and int(m.group(1)) >= 4 and int(m.group(2)) >= 2, result.stdout


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["j2-v", "single-process"])
def test_a_log_cut_inside_the_rerun(rerun_runs: dict[str, RegrtestRun], mode: str,
                                    tmp_path: Path):
    lines = rerun_runs[mode].log.read_text().splitlines()
    rerun = next(i for i, line in enumerate(lines) if "Re-running 2 failed tests" in line)
    cut = tmp_path / "cut.log"
    cut.write_text("\n".join(lines[:rerun + 4]) + "\n")  # the re-run of one file begun
    junit = tmp_path / "junit.xml"
    result = run_cli("results", cut, "--junit-xml", junit)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    check_schemas(junit)
    notes = [line for line in result.stdout.splitlines()
             if "re-run" in line.lower() and ("not finish" in line or "never started" in line)]
    assert notes, result.stdout
    cases = junit_testcases(junit)
    # The first attempt of test_fail is kept, whatever the re-run got to.
    assert any(children(c) and children(c)[0] in ("failure", "error")
               for test_id, c in cases.items() if test_id.startswith("test_fail"))


def read_summary(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.integration
def test_test_reruns_after_a_crash_across_shards(gnu_build: BuiltHost, tmp_path: Path):
    # The native build python, two shards, regrtest's --rerun: the shard whose
    # process crashes re-runs the file that failed before the crash itself.
    testdir = write_tests(tmp_path / "tests", "test_flaky", "test_fail", "test_pass",
                          "test_crash", "test_zz_after")
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    result = gnu_build.cli("test", "build", "--shards", "2", "--junit-xml", junit, "--",
                           "--rerun", "-v", "--testdir", testdir, "test_flaky", "test_fail",
                           "test_pass", "test_crash", "test_zz_after",
                           env={"GITHUB_STEP_SUMMARY": str(summary)}, timeout=600)
    assert result.returncode == 1, (result.stdout + result.stderr)[-3000:]
    assert_reruns_classified(junit, result.stdout)
    cases = junit_testcases(junit)
    assert children(cases["test_crash.Crash.test_b_segfault"]) == ["error"]
    assert children(cases["test_zz_after.After.test_runs"]) == []
    markdown = read_summary(summary)
    assert "FAILURE" in markdown.splitlines()[0]
    flaky = markdown.split("### Flaky", 1)[1].split("###", 1)[0]
    assert "`test_flaky.Flaky.test_once`" in flaky and "fails the first time only" in flaky
    failed = markdown.split("### Failed", 1)[1].split("###", 1)[0]
    assert "`test_fail.Fail.test_wrong`" in failed and "1 != 2" in failed
    crashed = markdown.split("### Crashed", 1)[1].split("###", 1)[0]
    assert "`test_crash.Crash.test_b_segfault`" in crashed
    assert "### Slowest test files" in markdown


def test_a_hang_after_the_last_failed_file_still_gets_its_rerun(gnu_build: BuiltHost,
                                                                tmp_path: Path):
    # One process: test_flaky fails, then test_hang (one test) is stopped by
    # --timeout as the last file, nothing left to resume: regrtest never re-ran
    # test_flaky, we do.
    testdir = write_tests(tmp_path / "tests", "test_flaky", "test_hang")
    junit = tmp_path / "junit.xml"
    result = gnu_build.cli("test", "build", "--timeout", "5", "--junit-xml", junit, "--",
                           "--rerun", "-v", "--testdir", testdir, "test_flaky", "test_hang",
                           timeout=300)
    assert "re-running 1 failed test file(s) in verbose mode" in result.stdout, \
        (result.stdout + result.stderr)[-3000:]
    cases = junit_testcases(junit)
    assert children(cases["test_flaky.Flaky.test_once"]) == ["flakyFailure"]


@pytest.mark.integration
def test_fast_ci_flaky_passes_on_the_aarch64_python(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write_tests(tmp_path / "tests", "test_flaky", "test_pass")
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    result = gnu_build.cli("test", "aarch64-linux-gnu", "--fast-ci", "--junit-xml", junit,
                           "--", "--testdir", testdir, "test_flaky", "test_pass",
                           env={"GITHUB_STEP_SUMMARY": str(summary)}, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    check_schemas(junit)
    assert children(junit_testcases(junit)["test_flaky.Flaky.test_once"]) == ["flakyFailure"]
    assert listed(result.stdout, "Flaky, passed when re-run") == {"test_flaky.Flaky.test_once"}
    assert "SUCCESS" in read_summary(summary).splitlines()[0]


@pytest.mark.integration
def test_fail_rerun_makes_a_flaky_test_fail_the_run(gnu_build: BuiltHost, tmp_path: Path):
    testdir = write_tests(tmp_path / "tests", "test_flaky", "test_pass")
    result = gnu_build.cli("test", "build", "--", "--rerun", "--fail-rerun", "--testdir",
                           testdir, "test_flaky", "test_pass", timeout=600,
                           env={"GITHUB_STEP_SUMMARY": ""})
    assert result.returncode == 1, (result.stdout + result.stderr)[-3000:]
    assert listed(result.stdout, "Flaky, passed when re-run") == {"test_flaky.Flaky.test_once"}
    assert "Job summary" not in result.stdout  # GITHUB_STEP_SUMMARY set but empty


@pytest.mark.lab
@pytest.mark.integration
def test_fast_ci_reruns_on_bionic(lab_x86_64: LabBuild, tmp_path: Path):
    testdir = write_tests(tmp_path / "tests", "test_flaky", "test_fail", "test_pass")
    junit = tmp_path / "junit.xml"
    result = lab_x86_64.lab_cli("test", X86_64, "--lab", lab_x86_64.lab.root, "--fast-ci",
                                "--junit-xml", junit, "--", "--testdir", testdir,
                                "test_flaky", "test_fail", "test_pass", timeout=600,
                                env={"GITHUB_STEP_SUMMARY": ""})
    assert result.returncode == 1, (result.stdout + result.stderr)[-3000:]
    assert_reruns_classified(junit, result.stdout)


def test_the_surefire_checks_catch_what_the_schema_forbids(tmp_path: Path):
    # What a writer that ignores Surefire's sequence and required parts writes.
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<testsuites><testsuite name="test_x" tests="3" errors="1" failures="1">'
        '<testcase classname="test_x.T" name="test_a" time="0.1">'
        '<error type="E"/><failure type="F"/></testcase>'
        '<testcase classname="test_x.T" name="test_b" time="1.2345">'
        '<flakyFailure type="F">no stack trace element</flakyFailure></testcase>'
        '<testcase classname="test_x.T" name="test_b" time="0">'
        '<failure/><flakyError type="E"><stackTrace/></flakyError></testcase>'
        '</testsuite></testsuites>')
    problems = "\n".join(surefire_problems(bad))
    for expected in ("testsuite test_x: no skipped", "test_a: children out of Surefire's order",
                     "time '1.2345' is not SUREFIRE_TIME", "<flakyFailure> children []",
                     "test_b: two testcases for one test id", "<failure> without type",
                     "flaky attempts on a test that failed at last"):
        assert expected in problems, problems
