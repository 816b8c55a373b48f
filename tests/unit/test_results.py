"""Results: regrtest output (and regrtest's own XML) -> one model -> JUnit XML.

The input: real logs saved in tests/data/regrtest (made by running regrtest
on the test files in tests/integration/test_results_fresh.py, see the README
there); fresh logs from a real regrtest are converted there too (integration).
"""

from __future__ import annotations

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
from support.cli import REPO, run_cli
from support.regrtest_files import SCHEMA, junit_suites, validate

DATA = REPO / "tests" / "data"
LOGS = DATA / "regrtest"


def log(name: str) -> RunResults:
    return parse_log((LOGS / name).read_text())


def cases(results: RunResults, file: str) -> dict[str, TestCase]:
    return {f"{c.classname}.{c.name}": c for c in results.files[file].all_cases()}


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
