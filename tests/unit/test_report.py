"""Where and when each test file ran (results/timeline.py), the JUnit's
per-file properties that carry it (and read back, results/junit_in.py), and
the HTML report's markup for it (results/html.py).  Runs are parsed from real
regrtest logs (tests/data/regrtest); the browser's view is in
tests/integration/test_report_runs.py."""

from __future__ import annotations

from pathlib import Path

import junitparser

from cpython_android.results import (
    FileState,
    convert_log,
    mark_crashed,
    merge,
    parse_log,
    read_junit,
    stamp,
    write_html,
    write_junit,
)
from cpython_android.results.html import html_path, html_report

LOGS = Path(__file__).resolve().parent.parent / "data" / "regrtest"
T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def _log(name: str) -> str:
    return (LOGS / name).read_text(encoding="utf-8", errors="replace")


def _shifted(text: str, seconds: int) -> str:
    """The log with regrtest's elapsed times moved on by `seconds` per file."""
    out, n = [], 0
    for line in text.splitlines():
        if line.startswith("0:00:00 load avg") and "] test_" in line:
            if not line.rstrip().endswith(("passed", "failed", ")")):
                n += 1
            line = f"0:00:{n * seconds:02d}" + line[len("0:00:00"):]
        out.append(line)
    return "\n".join(out)


def test_stamp_places_each_file_from_its_progress_line():
    results = parse_log(_shifted(_log("seq-v.log"), 5))
    stamp(results, "emulator-5554", T0, T0 + 60)
    starts = {name: f.started for name, f in results.files.items()}
    assert sorted(starts.values()) == list(starts.values())  # in the order they ran
    first, *rest = results.files.values()
    assert first.started == T0 + 5 and first.device == "emulator-5554"
    assert all(T0 <= f.started <= f.ended <= T0 + 60 for f in results.files.values())  # type: ignore[operator]


def test_a_crashed_file_spans_to_its_process_end_and_its_resume_is_a_second_span():
    crashed = parse_log(_log("seq-crash-v.log"))
    stamp(crashed, "qemu-aarch64-1", T0, T0 + 10)
    mark_crashed(crashed, "test_rx_crash", "Exit code -11 (SIGSEGV)")  # after, as the harness
    rest = parse_log(_log("seq-v.log").replace("test_rx_fail", "test_rx_crash"))
    stamp(rest, "qemu-aarch64-1", T0 + 11, T0 + 20)
    merged = merge([crashed, rest], continued={"test_rx_crash"})
    spans = merged.files["test_rx_crash"].settled_spans()
    assert [(s.status, s.ended) for s in spans][0] == ("crashed", T0 + 10)
    assert len(spans) == 2 and spans[1].started >= T0 + 11


def _lost_and_rerun(*, rerun_part_first: bool = False):
    lost = parse_log(_log("seq-crash-v.log"))
    stamp(lost, "emulator-5554", T0, T0 + 10, lost=True)  # the device went away
    lost.files["test_rx_crash"].status = FileState.NOT_RUN  # it goes back to the pool
    again = parse_log(_log("seq-crash-v.log").split("[2/3] test_rx_crash")[0] + "\n" + "\n".join(
        line.replace("test_rx_pass", "test_rx_crash") for line in _log(
            "seq-v.log").splitlines() if "test_rx_pass" in line))
    stamp(again, "emulator-5556", T0 + 12, T0 + 20)
    return merge([again, lost] if rerun_part_first else [lost, again])


def test_a_file_that_ran_twice_keeps_both_spans_the_first_marked_lost(tmp_path):
    results = _lost_and_rerun()
    spans = results.files["test_rx_crash"].settled_spans()
    assert [(s.device, s.lost) for s in spans] == [("emulator-5554", True),
                                                    ("emulator-5556", False)]
    assert results.files["test_rx_crash"].device == "emulator-5556"
    junit = tmp_path / "junit.xml"
    write_junit(results, junit)
    suite = {s.name: s for s in junitparser.JUnitXml.fromfile(str(junit))}["test_rx_crash"]
    props = [(p.name, p.value) for p in suite.properties()]
    assert ("device", "emulator-5556") in props
    assert [v for k, v in props if k == "span"] == [
        "emulator-5554 from 2027-01-15T08:00:00.000Z to 2027-01-15T08:00:10.000Z: "
        "not_run, device lost",
        f"emulator-5556 from {_iso(spans[1].started)} to {_iso(spans[1].ended)}: passed"]
    page = html_report(results, {})
    assert page.count('data-file="test_rx_crash"') == 2
    assert 'class="bar s-not_run lost"' in page and "again" in page


def test_a_lost_stretch_merged_after_the_rerun_is_kept():
    results = _lost_and_rerun(rerun_part_first=True)
    f = results.files["test_rx_crash"]
    assert f.status == FileState.PASSED
    assert [(s.device, s.lost) for s in f.settled_spans()] == [("emulator-5554", True),
                                                                ("emulator-5556", False)]


def _iso(epoch: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def test_junit_read_back_is_the_same_run(tmp_path):
    for log in ("seq-crash-v.log", "seq-hang-v.log", "rerun.log", "j2-v.log"):
        results = parse_log(_log(log))
        stamp(results, "lab-x86_64-1", T0, T0 + 30)
        junit = tmp_path / f"{log}.xml"
        write_junit(results, junit, {"command": "python -m test -v"})
        again, run = read_junit(junit)
        assert run == {"command": "python -m test -v"}
        assert again.counts().tests == results.counts().tests, log
        assert again.exit_status() == results.exit_status()
        assert {n: f.status for n, f in again.files.items()} == {
            n: f.status for n, f in results.files.items()}
        assert sorted(c.id for f in again.files.values() for c in f.all_cases()) == sorted(
            c.id for f in results.files.values() for c in f.all_cases()), log
        spans = {n: [(s.device, s.status) for s in f.settled_spans()]
                 for n, f in again.files.items()}
        assert all(spans.values()), spans
        # The report from the JUnit is the report from the run (but the headline).
        page, from_junit = html_report(results, {}), html_report(again, {})
        assert page.split("<h2 id=timeline>")[1] == from_junit.split("<h2 id=timeline>")[1]


def test_html_beside_the_junit_unless_named_or_off(tmp_path):
    assert html_path(Path("out/junit.xml"), None) == Path("out/junit.html")
    assert html_path(Path("out/results"), None) == Path("out/results.html")
    assert html_path(Path("junit.xml"), Path("r.html")) == Path("r.html")
    assert html_path(Path("junit.xml"), None, off=True) is None
    assert html_path(None, None) is None
    results = parse_log(_log("seq-v.log"))
    write_html(results, tmp_path / "deep" / "report.html")
    assert (tmp_path / "deep" / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert list((tmp_path / "deep").iterdir()) == [tmp_path / "deep" / "report.html"]


def test_a_hostile_elapsed_time_makes_no_time_a_calendar_cannot_hold(tmp_path):
    log = tmp_path / "hostile.log"
    log.write_text("999999999:00:00 load avg: 1.00 [1/1] test_x\n"
                   "999999999:59:59 load avg: 1.00 [1/1] test_x passed in 99999999 hour\n")
    junit = tmp_path / "junit.xml"
    results = convert_log(log, junit, html=tmp_path / "junit.html")
    [span] = results.files["test_x"].spans
    assert span.seconds <= 31 * 24 * 3600
    again, _ = read_junit(junit)
    assert again.files["test_x"].status == FileState.PASSED
    assert "test_x" in (tmp_path / "junit.html").read_text()
