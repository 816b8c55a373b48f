"""The test harness without a target: command lines, selection, sharding, bad input.

These run in well under a second; the runs on real targets are in
test_harness_runs.py.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from cpython_android.console import Console
from cpython_android.errors import UserError
from cpython_android.harness import (
    RunContext,
    RunReport,
    TargetInfo,
    TestOptions,
    build_command,
    finish_report,
    load_durations,
    split_regrtest_args,
    subset_args,
)
from cpython_android.harness.planning import cases_per_file
from cpython_android.harness.pool import WorkPool, file_weights
from cpython_android.harness.recorded import read_recorded, record_path, write_recorded
from cpython_android.results import FileState, RunResults
from support.cli import run_cli


def test_default_is_the_regression_tests():
    command = build_command(TestOptions(args=("-u", "all", "test_os")))
    assert command.argv() == ["-m", "test", "-u", "all", "test_os"]
    assert command.is_regrtest_run


def test_fast_ci_adds_upstreams_options_in_front_of_the_users():
    command = build_command(TestOptions(ci_mode="fast", args=("test_os",)))
    # Upstream main's Platforms/Android/__main__.py: -W error -bb -E -m test
    # --fast-ci --single-process --no-randomize --pythoninfo, then the user's.
    assert command.argv() == ["-W", "error", "-bb", "-E", "-m", "test", "--fast-ci",
                              "--single-process", "--no-randomize", "--pythoninfo", "test_os"]


def test_a_regrtest_without_pythoninfo_gets_the_module_run_instead():
    # 3.13's regrtest has no --pythoninfo: the harness runs test.pythoninfo first.
    command = build_command(TestOptions(ci_mode="fast"),
                            TargetInfo(regrtest_has_no_randomize=False,
                                       regrtest_has_pythoninfo=False))
    assert "--pythoninfo" not in command.argv()
    plain = build_command(TestOptions(pythoninfo=True, args=("test_os",)))
    assert plain.args == ("--pythoninfo", "test_os")


def test_fast_ci_on_a_regrtest_without_no_randomize_fixes_the_seed():
    command = build_command(TestOptions(ci_mode="fast"),
                            TargetInfo(regrtest_has_no_randomize=False,
                                       regrtest_has_pythoninfo=False))
    assert command.args == ("--fast-ci", "--single-process", "--randseed", "1")


def test_slow_ci_with_a_timeout():
    command = build_command(TestOptions(ci_mode="slow", timeout=90))
    assert command.argv()[-6:] == ["--timeout", "90", "--slow-ci", "--single-process",
                                   "--no-randomize", "--pythoninfo"]


def test_arguments_holding_c_or_m_are_a_whole_python_command_line():
    command = build_command(TestOptions(args=("-X", "dev", "-c", "print(1)", "x")))
    assert command.argv() == ["-X", "dev", "-c", "print(1)", "x"]
    assert not command.is_regrtest_run
    command = build_command(TestOptions(args=("-m", "pip", "--version")))
    assert command.argv() == ["-m", "pip", "--version"]


def test_with_the_m_option_a_later_m_is_regrtests_match():
    command = build_command(TestOptions(module="test", args=("-m", "test_x*", "test_os")))
    assert command.argv() == ["-m", "test", "-m", "test_x*", "test_os"]
    assert command.is_regrtest_run


def test_listing_is_not_a_run():
    assert not build_command(TestOptions(args=("--list-tests",))).is_regrtest_run


@pytest.mark.parametrize("options, words", [
    (TestOptions(code="1", module="test"), "-c and -m"),
    (TestOptions(code="1", ci_mode="fast"), "--fast-ci"),
    (TestOptions(code="1", timeout=5), "--timeout"),
    (TestOptions(code="1", shards=2), "--shards"),
    (TestOptions(args=("--list-tests",), junit_xml=Path("x.xml")), "--junit-xml"),
    (TestOptions(args=("-c",)), "needs a value"),
])
def test_contradictions_are_user_errors(options, words):
    with pytest.raises(UserError, match=words):
        build_command(options)


def test_split_tells_names_from_option_values():
    options, names = split_regrtest_args(
        ["-u", "all", "-v", "--timeout", "30", "test_os", "-m", "test_a*", "test_sys",
         "--junit-xml", "x.xml", "-j2"])
    assert names == ["test_os", "test_sys"]
    assert options == ["-u", "all", "-v", "--timeout", "30", "-m", "test_a*",
                       "--junit-xml", "x.xml", "-j2"]


def test_subset_replaces_the_users_selection():
    args = ["--fast-ci", "-x", "test_os", "--start", "test_a", "-f", "list.txt", "-v"]
    assert subset_args(args, ["test_b", "test_c"]) == ["--fast-ci", "-v", "test_b", "test_c"]


FILES = [f"test_{i:02d}" for i in range(20)]


async def _drain(pool: WorkPool, runners: int) -> list[list[list[str]]]:
    """Every runner takes batches until the pool is empty: the batches each got."""
    got: list[list[list[str]]] = [[] for _ in range(runners)]

    async def runner(index: int) -> None:
        while batch := await pool.take():
            got[index].append(batch)
            await asyncio.sleep(0)  # the others take their turn
            pool.finished()

    await asyncio.gather(*(runner(i) for i in range(runners)))
    return got


def test_the_pool_hands_out_every_file_once_in_shrinking_batches():
    pool = WorkPool.of(FILES, file_weights(FILES), 2)
    got = asyncio.run(_drain(pool, 2))
    batches = [b for runner in got for b in runner]
    assert sorted(sum(batches, [])) == FILES
    # Guided: the first batch is a quarter of the work (2 runners); then smaller
    # ones, never below 1/16 of the whole (2 files of 20), so about a dozen starts.
    assert got[0][0] == FILES[:5]
    assert min(len(b) for b in batches) == 2 and len(batches) <= 12
    for batch in batches:  # each batch runs in the selection's order
        assert batch == sorted(batch)
    assert not pool.left


def test_heaviest_files_go_first_and_alone_when_they_outweigh_a_share():
    durations = {"test_big": 100.0, **{f"test_s{i}": 10.0 for i in range(10)}}
    pool = WorkPool.of(sorted(durations), file_weights(sorted(durations), durations), 2)
    got = asyncio.run(_drain(pool, 2))
    assert got[0][0] == ["test_big"]


def test_weights_from_durations_cases_or_one_each():
    assert file_weights(["test_a", "test_b", "test_new"], {"test_a": 10.0, "test_b": 2.0}) \
        == {"test_a": 10.0, "test_b": 2.0, "test_new": 6.0}  # unknown: the known mean
    assert file_weights(["test_a", "test_b"], cases={"test_a": 40}) \
        == {"test_a": 40.0, "test_b": 1.0}
    assert file_weights(["test_a"]) == {"test_a": 1.0}


def test_cases_are_counted_per_file_including_split_packages():
    ids = ["test.test_os.FileTests.test_a", "test.test_os.FileTests.test_b",
           "test.test_asyncio.test_tasks.T.test_x", "unittest.test.T.test_y"]
    assert cases_per_file(ids, ["test_os", "test.test_asyncio.test_tasks"]) == {
        "test_os": 2, "test.test_asyncio.test_tasks": 1}


def test_a_lost_devices_files_go_back_and_a_file_gets_two_tries():
    async def scenario() -> tuple[list[str], list[str], list[str], list[str]]:
        pool = WorkPool.of(FILES, file_weights(FILES), 3)
        first = await pool.take()
        back = pool.finished(lost=True, unfinished=first[1:], running=first[1])
        assert back == [] and sorted(pool.left) == sorted(set(FILES) - {first[0]})
        second = await pool.take()
        assert second[0] == first[1]  # the interrupted file is among the next batch
        again = pool.finished(lost=True, unfinished=second, running=first[1])
        rest = await pool.take()
        final = pool.finished(lost=True, unfinished=rest, running=None)
        return first, again, rest, final

    first, again, rest, final = asyncio.run(scenario())
    assert again == [first[1]]  # lost twice while running it: not handed out again
    assert first[1] not in rest
    assert set(final) == set(rest)  # the last device lost: nobody can take them


def test_a_free_runner_waits_for_files_a_busy_one_may_give_back():
    async def scenario() -> list[str]:
        pool = WorkPool.of(["test_a"], {"test_a": 1.0}, 2)
        batch = await pool.take()
        waiting = asyncio.ensure_future(pool.take())
        await asyncio.sleep(0.01)
        assert not waiting.done()
        pool.finished(lost=True, unfinished=batch, running="test_a")
        return await waiting

    assert asyncio.run(scenario()) == ["test_a"]


def _write_junit(path: Path, suites: dict[str, list[tuple[str, str, float]]]) -> None:
    import junitparser

    xml = junitparser.JUnitXml()
    for suite_name, cases in suites.items():
        suite = junitparser.TestSuite(suite_name)
        for classname, name, seconds in cases:
            case = junitparser.TestCase(name, classname, seconds)
            suite.add_testcase(case)
        xml.add_testsuite(suite)
    xml.write(str(path))


def test_durations_from_regrtest_style_junit(tmp_path):
    # regrtest's own XML: one nameless suite, cases named by dotted path.
    path = tmp_path / "regrtest.xml"
    _write_junit(path, {"": [("", "test.test_os.FileTests.test_a", 1.5),
                             ("", "test.test_os.FileTests.test_b", 2.5),
                             ("", "test.test_asyncio.test_tasks.T.test_x", 4.0),
                             ("", "test.test_gone.T.test_y", 9.0)]})
    found = load_durations(path, ["test_os", "test_asyncio.test_tasks", "test_sys"])
    assert found == {"test_os": 4.0, "test_asyncio.test_tasks": 4.0}


def test_durations_from_our_junit(tmp_path):
    path = tmp_path / "ours.xml"
    _write_junit(path, {"test_os": [("test.test_os.FileTests", "test_a", 3.0)],
                        "test_sys": [("test.test_sys.T", "test_b", 1.0),
                                     ("test.test_sys.T", "test_c", 1.0)]})
    assert load_durations(path, ["test_os", "test_sys"]) == {"test_os": 3.0, "test_sys": 2.0}


def test_unreadable_durations_are_a_user_error(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text("<testsuites><testsuite>")
    with pytest.raises(UserError, match="--durations"):
        load_durations(path, ["test_os"])


@pytest.mark.parametrize("args, words", [
    (["--shards", "0"], "number of shards"),
    (["--timeout", "-3"], "positive number"),
    (["-c", "1", "-m", "test"], "not allowed with"),
    (["--fast-ci", "--slow-ci"], "not allowed with"),
    (["--durations", "/nonexistent.xml"], "is not a file"),
])
def test_bad_test_options_are_one_line_and_exit_2(args, words, tmp_path):
    result = run_cli("--checkout", tmp_path, "test", "aarch64-linux-gnu", *args)
    assert result.returncode == 2
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_host_is_reported_before_anything_else(tmp_path):
    result = run_cli("--checkout", tmp_path, "test", "sparc-sun-solaris", "-c", "1")
    assert result.returncode == 2
    assert "unknown host 'sparc-sun-solaris'" in result.stderr


def test_an_unwritable_junit_file_still_shows_the_summary(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    results = RunResults()
    results.file("test_os").status = "passed"
    options = TestOptions(junit_xml=blocker / "junit.xml")
    out = io.StringIO()
    ctx = RunContext(options, build_command(options), Console(out, out, live=False),
                     labelled=False)
    assert finish_report(RunReport(results, [], False), [], ctx) == 1
    text = out.getvalue()
    assert "Result: SUCCESS" in text
    assert f"Error: cannot write the JUnit XML {blocker / 'junit.xml'}:" in text


def test_recorded_durations_merge_and_a_broken_record_is_ignored(tmp_path: Path):
    console_out = io.StringIO()
    console = Console(console_out, console_out)
    path = record_path(tmp_path / "logs", "x86_64-linux-android")
    first = RunResults()
    first.file("test_ssl").status, first.file("test_ssl").duration = FileState.PASSED, 31.6
    first.file("test_enum").status, first.file("test_enum").duration = FileState.PASSED, 1.1
    crashed = first.file("test_crash")  # a crash's time is partial: not recorded
    crashed.status, crashed.duration = FileState.CRASHED, 3.0
    write_recorded(path, first, console)
    later = RunResults()
    later.file("test_enum").status, later.file("test_enum").duration = FileState.FAILED, 2.0
    write_recorded(path, later, console)
    assert read_recorded(path, console) == {"test_ssl": 31.6, "test_enum": 2.0}
    path.write_text('{"version": 1, "files": [1, 2]')  # cut short
    assert read_recorded(path, console) == {}
    assert "ignoring the recorded test durations" in console_out.getvalue()
    assert file_weights(["test_ssl", "test_new"], {"test_ssl": 31.6}) == {
        "test_ssl": 31.6, "test_new": 31.6}
