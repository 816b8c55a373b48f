"""The HTML report of real runs, as headless Chromium builds and paints it
(Debian's `chromium`, installed by .ci/setup; these tests skip, saying so,
where it is absent): the aarch64 GNU python under qemu-user in two shards
with a crash, a flaky test re-run, a hang and hostile test names and output;
the android-lab's bionic python as the app of two devices of the ADB double.
The page is read from the browser's DOM (`--dump-dom`): lanes, bars, table
rows, links; a screenshot of each is kept (support/browser.py says where)."""

from __future__ import annotations

from pathlib import Path

import junitparser
import pytest

from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from support.adb_double import AdbDouble
from support.browser import Element, dump_dom, elements, need_chromium, screenshot
from support.cli import BuiltHost, run_cli
from support.devices import android_py, fake_apks
from support.lab_fixtures import X86_64, LabBuild
from support.lab_runner import LabPython
from support.regrtest_files import TEST_FILES, write_tests

pytestmark = pytest.mark.integration

#: Markup, quotes, a script end, control characters: all must show as text.
EVIL = ("<img src=x onerror=\"document.title='pwned'\">'</script>"
        "<script>document.title='pwned'</script>")
HOSTILE = f"""
    import sys, unittest
    EVIL = {EVIL!r}
    class Evil(unittest.TestCase):
        def test_markup(self):
            with self.subTest(name=EVIL):
                self.fail(EVIL + "\\x1b[31m\\x07 bell")
        def test_huge_and_undecodable(self):
            sys.stdout.flush()
            sys.stdout.buffer.write(b"not utf-8: \\xff\\xfe\\xc3\\x28\\n")
            sys.stdout.buffer.flush()
            self.fail("huge " + "x" * 400_000)
    """
FILES = ("test_crash", "test_fail", "test_flaky", "test_hang", "test_pass", "test_zz_after",
         "test_hostile")


@pytest.fixture(scope="module")
def gnu_run(gnu_build: BuiltHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JUnit file of a two-shard qemu run (its report beside it)."""
    tmp = tmp_path_factory.mktemp("report")
    TEST_FILES["test_hostile"] = HOSTILE
    testdir = write_tests(tmp / "tests", *FILES)
    junit = tmp / "junit.xml"
    result = gnu_build.cli("test", "aarch64-linux-gnu", "--shards", "2", "--timeout", "10",
                           "--junit-xml", junit, "--", "-v", "--rerun", "--testdir", testdir,
                           *FILES, timeout=900)
    assert result.returncode == 1, (result.stdout + result.stderr)[-3000:]
    assert f"HTML report: {junit.with_suffix('.html')}" in result.stdout
    return junit


def _rows(dom: list[Element], section: str) -> list[str]:
    """The text of each row of the table after the heading with id `section`."""
    at = next(i for i, e in enumerate(dom) if e.tag == "h2" and e.attrs.get("id") == section)
    table = next(e for e in dom[at:] if e.tag in ("table", "p"))
    rows = [row for part in table.children for row in
            ([part] if part.tag == "tr" else part.children) if row.tag == "tr"]
    return [" | ".join(c.text for c in row.children) for row in rows[1:]]


def _check_links(dom: list[Element], page: Path) -> None:
    ids = {e.attrs["id"] for e in dom if "id" in e.attrs}
    for e in dom:
        for attr in ("href", "src"):
            target = e.attrs.get(attr)
            if target is None:
                continue
            assert "://" not in target and not target.startswith("//"), target  # no network
            if target.startswith("#"):
                assert target[1:] in ids, target
            else:
                assert (page.parent / target).exists(), target


def test_gnu_run_report_in_chromium(gnu_run: Path) -> None:
    browser = need_chromium()
    page = gnu_run.with_suffix(".html")
    dom = elements(dump_dom(browser, page))
    lanes = [e.text for e in dom if "who" in e.classes]
    assert lanes == ["qemu-aarch64-1", "qemu-aarch64-2"]
    bars = [(e.attrs["data-file"], e.classes) for e in dom if "bar" in e.classes
            and "data-file" in e.attrs]
    assert {name for name, _ in bars} == set(FILES)
    crash = [classes for name, classes in bars if name == "test_crash"]
    assert len(crash) == 2 and "s-crashed" in crash[0] and "again" in crash[1]  # resumed
    assert any("s-timed_out" in classes for name, classes in bars if name == "test_hang")
    assert len([1 for name, _ in bars if name == "test_flaky"]) == 2  # regrtest's re-run
    failed = _rows(dom, "failed")
    assert any(row.startswith("test_fail.Fail.test_wrong | test_fail | AssertionError: 1 != 2")
               for row in failed), failed
    assert any(row.startswith("test_flaky.Flaky.test_once") for row in _rows(dom, "flaky"))
    [crashed] = _rows(dom, "crashed")
    assert crashed.startswith("test_crash.Crash.test_b_segfault | test_crash | SIGSEGV in ")
    # The saved crash report (crash/collect.py), linked relative to the page.
    [report] = [e.attrs["href"] for e in dom if e.tag == "a" and e.text.startswith("crash-")]
    assert not report.startswith("/") and (page.parent / report).read_text().strip()
    [hung] = _rows(dom, "timed-out")
    assert hung.startswith("test_hang.Hang.test_sleep | test_hang | 10 s")
    assert len(_rows(dom, "files")) == len(FILES)
    # Each shard's own output, linked relative to the page: its lines, no other's.
    logs = {e.text: page.parent / e.attrs["href"] for e in dom if e.tag == "a"
            and e.attrs.get("href", "").endswith(".log")}
    assert sorted(logs) == ["qemu-aarch64-1", "qemu-aarch64-2"]
    texts = {label: path.read_text() for label, path in logs.items()}
    assert all("Run " in t and "[qemu-aarch64" not in t for t in texts.values())
    assert ("test_crash" in texts["qemu-aarch64-1"]) != ("test_crash" in texts["qemu-aarch64-2"])
    _check_links(dom, page)
    screenshot(browser, page, "report-gnu-qemu.png")


def test_hostile_names_render_as_text(gnu_run: Path) -> None:
    browser = need_chromium()
    page = gnu_run.with_suffix(".html")
    raw = page.read_bytes()
    raw.decode("utf-8")  # whole, whatever the test printed
    assert len(raw) < 300_000  # the 400 kB message is cut to its head and tail
    dom = elements(dump_dom(browser, page))
    assert [e.tag for e in dom if e.tag in ("img", "script", "iframe", "object")] == []
    [title] = [e.text for e in dom if e.tag == "title"]
    assert "pwned" not in title
    markup = [row for row in _rows(dom, "failed") if "test_markup" in row]
    assert markup and all(EVIL in row for row in markup), markup
    assert "\\x1b[31m\\x07 bell" in "".join(markup)  # control characters shown, escaped
    huge = next(e.text for e in dom if e.tag == "pre" and "characters cut" in e.text)
    assert huge.count("x") < 30_000


def test_report_again_from_the_junit(gnu_run: Path) -> None:
    browser = need_chromium()
    again = gnu_run.with_name("again.html")
    result = run_cli("results", gnu_run, "--html", again)
    assert result.returncode == 1 and f"HTML report: {again}" in result.stdout, result.stderr
    first, second = (elements(dump_dom(browser, p)) for p in (gnu_run.with_suffix(".html"),
                                                               again))

    def bars(dom: list[Element]) -> list[tuple[str, str, list[float]]]:
        return [(e.attrs["data-file"], e.attrs["class"],
                 [float(v.split(":")[1].rstrip("%px")) for v in e.attrs["style"].split(";")])
                for e in dom if "data-file" in e.attrs]

    made, read = bars(first), bars(second)
    assert [bar[:2] for bar in made] == [bar[:2] for bar in read]
    # The same places but for rounding: the JUnit keeps times to the millisecond.
    assert [x for bar in made for x in bar[2]] == pytest.approx(
        [x for bar in read for x in bar[2]], abs=0.05)
    assert _rows(first, "failed") == _rows(second, "failed")


def test_lab_python_on_two_devices(lab_x86_64: LabBuild, double: AdbDouble,
                                   tmp_path: Path) -> None:
    browser = need_chromium()
    layout = Layout(tmp_path / "xb")
    fake_apks(layout, X86_64)
    python = [str(LabPython(parse_host(X86_64), lab_x86_64.prefix / "bin" / "python3.13",
                            lab_x86_64.lab.root).ensure_wrapper())]
    serials = ("emulator-5554", "emulator-5556")
    for serial in serials:
        double.add_device(serial, tmp_path / serial, python=python,
                          props={"ro.product.cpu.abilist": "x86_64"})
    junit = tmp_path / "out.xml"
    result = run_cli("--checkout", lab_x86_64.checkout, "--cross-build-dir", layout.root,
                     "test", X86_64, "--connected", ",".join(serials), "--shards", "2",
                     "--junit-xml", junit, "--", "test_bool", "test_keyword", "test_zlib",
                     env=double.env, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    devices = {suite.name: {p.name: p.value for p in suite.properties()}["device"]
               for suite in junitparser.JUnitXml.fromfile(str(junit))}
    assert set(devices) == {"test_bool", "test_keyword", "test_zlib"}
    assert set(devices.values()) == set(serials)
    page = junit.with_suffix(".html")
    dom = elements(dump_dom(browser, page))
    lanes = [e for e in dom if "lane" in e.classes]
    assert [lane.children[0].text for lane in lanes] == list(serials)
    for lane in lanes:  # each file's bar is in the lane of the device the JUnit names
        names = {bar.attrs["data-file"] for bar in lane.children[1].children}
        assert names == {f for f, d in devices.items() if d == lane.children[0].text}
        assert all("s-passed" in bar.classes for bar in lane.children[1].children)
    _check_links(dom, page)
    screenshot(browser, page, "report-lab-two-devices.png")


def test_a_lost_device_is_marked_where_it_happened(gnu_build: BuiltHost, double: AdbDouble,
                                                   layout: Layout, build_python: list[str],
                                                   tmp_path: Path) -> None:
    """One of two devices disconnects mid-file: its stretch of that file is
    hatched in its lane, the rerun on the other device is outlined, and the
    headline names the lost device."""
    browser = need_chromium()
    files = ["test_bool", "test_int", "test_float", "test_list"]
    durations = tmp_path / "earlier.xml"  # equal weights: no case listing on the lost one
    earlier = junitparser.JUnitXml()
    for name in files:
        suite = junitparser.TestSuite(name)
        suite.time = 1.0
        earlier.add_testsuite(suite)
    earlier.write(str(durations))
    double.add_device("emulator-5554", tmp_path / "a", python=build_python)
    double.add_device("emulator-5556", tmp_path / "b", python=build_python,
                      disconnect_after_lines=20)
    junit = tmp_path / "junit.xml"
    result = android_py(gnu_build, double, layout, "--connected", "emulator-5554,emulator-5556",
                        "--durations", durations, "--junit-xml", junit, "--", "-v", *files)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    page = junit.with_suffix(".html")
    dom = elements(dump_dom(browser, page))
    lanes = {lane.children[0].text: lane.children[1].children for lane in dom
             if "lane" in lane.classes}
    assert set(lanes) == {"emulator-5554", "emulator-5556"}
    [lost] = [bar for bar in lanes["emulator-5556"] if "lost" in bar.classes]
    name = lost.attrs["data-file"]
    assert "device lost" in lost.attrs["title"]
    [again] = [bar for bar in lanes["emulator-5554"] if bar.attrs["data-file"] == name]
    assert "again" in again.classes and "s-passed" in again.classes
    assert "was lost" in again.attrs["title"]
    assert any(e.tag == "th" and e.text == "Lost device" for e in dom)
    spans = [p.value for suite in junitparser.JUnitXml.fromfile(str(junit)) if suite.name == name
             for p in suite.properties() if p.name == "span"]
    assert len(spans) == 2 and spans[0].startswith("emulator-5556 ") and \
        spans[0].endswith(", device lost") and spans[1].startswith("emulator-5554 ")
    _check_links(dom, page)
    screenshot(browser, page, "report-lost-device.png")
