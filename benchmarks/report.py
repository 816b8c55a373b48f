"""Benchmark: the HTML report of a 40,000-test, 480-file run (issue 29).

Targets: the page is under 5 MB, and headless Chromium renders it (loads,
lays out and paints it to a screenshot) in under 2 s, measured as the time
over the same browser rendering an empty page.  The run is a generated JUnit
file of four devices (120 files of 84 tests each, with failures, tracebacks
and skips), with the per-file properties `test` writes (status, device,
started, one span per stretch: docs/usage.rst, "The HTML report"); the page
is made from it as a user remakes one, `android.py results JUNIT --html OUT`
(so the time includes starting android.py and reading the JUnit).  Prints
each figure beside its target and the ratio (< 1 is within it); exit status
1 when a target is missed.

    python benchmarks/report.py [--smoke] [--rounds N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

REPO = Path(__file__).resolve().parent.parent
ANDROID_PY = REPO / "Android" / "android.py"
sys.path.insert(0, str(REPO / "tests"))

from support.browser import find_chromium, render_seconds  # noqa: E402

SIZE_TARGET = 5_000_000
RENDER_TARGET = 2.0
DEVICES = 4
FILES_PER_DEVICE = 120  # 480 files
TESTS_PER_FILE = 84  # 40,320 tests
TRACEBACK = "".join(f'  File "/data/user/0/org.python.testbed/files/python/lib/python3.13/'
                    f'test/test_bench.py", line {n}, in test_{n}\n    self.assertEqual(a, b)\n'
                    for n in range(8)) + "AssertionError: 1 != 2"


def utc(epoch: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_junit(path: Path, files_per_device: int, per_file: int) -> int:
    """The run's JUnit file, as `test` writes it; returns its number of tests."""
    xml = JUnitXml("regrtest")
    start = time.time() - 3600
    tests = 0
    for d in range(DEVICES):
        device, clock = f"emulator-{5554 + 2 * d}", start + d
        for i in range(files_per_device):
            name = f"test_d{d}_bench{i:03d}"
            suite = TestSuite(name)
            failed = False
            for n in range(per_file):
                case = TestCase(f"test_{n}", f"test.{name}.Bench", 0.01)
                if n % 40 == 7:
                    case.result = [Failure("AssertionError: 1 != 2", "AssertionError")]
                    case.result[0].text = TRACEBACK
                    failed = True
                elif n % 40 == 9:
                    case.result = [Error("boom", "RuntimeError")]
                    failed = True
                elif n % 10 == 3:
                    case.result = [Skipped("not on this platform")]
                suite.add_testcase(case)
            seconds = per_file * 0.01 + 0.5
            status = "failed" if failed else "passed"
            for key, value in (("status", status), ("device", device), ("started", utc(clock)),
                               ("span", f"{device} from {utc(clock)} to "
                                        f"{utc(clock + seconds)}: {status}")):
                suite.add_property(key, value)
            suite.time = seconds
            clock += seconds
            tests += per_file
            xml.add_testsuite(suite)
    xml.write(str(path))
    return tests


def best_of(rounds: int, command: list[str]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if "HTML report:" not in result.stdout:
            sys.exit(f"{' '.join(command)} wrote no report (exit {result.returncode}):\n"
                     f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return min(times)


def verdict(value: float, target: float) -> str:
    return f"ratio {value / target:.2f} {'ok' if value <= target else 'MISSED'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="a small run, one round (CI: the benchmark still works)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the report and JUnit here")
    args = parser.parse_args()
    files, per_file = (FILES_PER_DEVICE, TESTS_PER_FILE) if not args.smoke else (5, 10)
    rounds = 1 if args.smoke else args.rounds
    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        junit, page = out / "junit.xml", out / "report.html"
        tests = make_junit(junit, files, per_file)
        print(f"run: {DEVICES * files} files, {tests} tests on {DEVICES} devices")
        seconds = best_of(rounds, [sys.executable, str(ANDROID_PY), "results", str(junit),
                                   "--html", str(page)])
        print(f"write the report (android.py results JUNIT --html, start-up included): "
              f"best {seconds:.3f} s")
        size = page.stat().st_size
        failed = size > SIZE_TARGET
        print(f"report from the JUnit: {size / 1e6:.2f} MB (target < {SIZE_TARGET / 1e6:.2f} "
              f"MB), {verdict(size, SIZE_TARGET)}")
        browser = find_chromium()
        if browser is None:
            print("render: skipped (no chromium: install Debian's `chromium`)")
            return 1 if failed else 0
        render = min(render_seconds(browser, page) for _ in range(rounds))
        failed |= render > RENDER_TARGET
        print(f"render in headless chromium: best {render:.2f} s over an empty page "
              f"(target < {RENDER_TARGET:g} s), {verdict(render, RENDER_TARGET)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
