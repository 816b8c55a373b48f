"""What a test names, shown as it is; times, written as the schema wants.

The GitHub job summary shows what a test named, exactly (issue 30): a name
or message with `|`, backticks, HTML or Markdown adds no column, no live HTML,
no emphasis or link.  Rendered by GitHub's own cmark-gfm, raw HTML allowed,
so what would be live HTML is seen."""

from __future__ import annotations

import html
import re

import cmarkgfm
import pytest
import xmlschema
from cmarkgfm.cmark import Options

from cpython_android.results import markdown_summary, merge_regrtest_xml, write_junit
from cpython_android.results.regrtest import parse_log
from cpython_android.results.summary import markdown_cell
from cpython_android.textutil import NumberError
from support.cli import REPO
from support.surefire import surefire_problems

JENKINS_SCHEMA = REPO / "tests" / "data" / "junit-10.xsd"

HOSTILE = [
    "test_a|b`c", "<img src=x onerror=alert(1)>", "*bold* _it_ ~~gone~~", "[x](http://e)",
    "&lt;script&gt;", "a\\|b", "``", "x | y | z", "<script>alert(1)</script>", "![i](http://e)",
]


def render(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def cells(rendered: str) -> list[list[str]]:
    """Each table row's cells, as the text they show."""
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c))
             for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)] for row in rows]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("code", [False, True])
def test_a_cell_shows_its_text_and_nothing_else(text, code):
    rendered = render(f"| a | b |\n| --- | --- |\n| {markdown_cell(text, code=code)} | end |\n")
    assert cells(rendered)[1] == [text, "end"]
    assert "<img" not in rendered and "<script" not in rendered  # (a bare URL may link)
    assert "<em>" not in rendered and "<strong>" not in rendered and "<del>" not in rendered


def test_a_cell_is_one_line_and_bounded():
    cell = markdown_cell("a\nb\r\n| c" + "x" * 10_000)
    assert "\n" not in cell and len(cell) < 400


def test_hostile_file_and_test_names_in_the_job_summary(tmp_path):
    name = "test_a|b`c<img/src=x/onerror=alert(1)>"  # regrtest's names have no spaces
    log = "\n".join([
        "0:00:00 load avg: 1.00 Run 1 test sequentially",
        f"0:00:00 load avg: 1.00 [1/1] {name}",
        "test_x (test.m.T.test_x) ... FAIL",
        "=" * 70,
        "FAIL: test_x (test.m.T.test_x)",
        "-" * 70,
        "Traceback (most recent call last):",
        "AssertionError: <img src=y onerror=alert(2)> | *not bold*",
        "",
        f"0:00:05 load avg: 1.00 [1/1/1] {name} failed (1 failure) in 5.0 sec",
    ])
    rendered = render(markdown_summary(parse_log(log)))
    assert "<img" not in rendered and "<em>" not in rendered
    for row in cells(rendered):
        assert len(row) in (3, 7, 2), row  # slowest files, counts, failed tests
    shown = [c for row in cells(rendered) for c in row]
    assert name in shown
    assert "AssertionError: <img src=y onerror=alert(2)> | *not bold*" in shown


# --- JUnit times ------------------------------------------------------------------

@pytest.mark.parametrize("time", ["nan", "inf", "-inf", "-5.0", "1e999", "1e22", "9" * 5000,
                                  "NaN", "zz", "٣"])
def test_a_regrtest_xml_time_that_is_no_time_is_refused_in_one_line(tmp_path, time):
    xml = tmp_path / "r.xml"
    xml.write_text(f'<testsuites><testsuite name="test_os" time="1"><testcase '
                   f'name="test.test_os.T.t" time="{time}"/></testsuite></testsuites>')
    with pytest.raises(NumberError) as e:
        merge_regrtest_xml(parse_log(""), xml)
    assert "test.test_os.T.t" in str(e.value) and len(str(e.value)) < 200


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -5.0, 1e22])
def test_our_junit_writes_plain_decimal_times_whatever_a_result_holds(tmp_path, seconds):
    results = parse_log("0:00:00 Run 1 test sequentially\n0:00:00 [1/1] test_os\n"
                        "test_x (test.test_os.T.test_x) ... ok\n"
                        "0:00:01 [1/1] test_os passed\n")
    for f in results.files.values():
        f.duration = seconds
        for case in f.all_cases():
            case.time = seconds
    out = tmp_path / "junit.xml"
    write_junit(results, out)
    xmlschema.XMLSchema(JENKINS_SCHEMA).validate(out)
    assert surefire_problems(out) == []
    times = re.findall(r'time="([^"]*)"', out.read_text())
    assert times and all(re.fullmatch(r"\d+(\.\d+)?", t) for t in times), times
