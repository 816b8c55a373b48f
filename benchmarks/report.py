"""Benchmark: the HTML report of a 40,000-test, 480-file run (issue 29).

Targets: the page is under 5 MB, and headless Chromium renders it (loads,
lays out and paints it to a screenshot) in under 2 s, measured as the time
over the same browser rendering an empty page.  The run is generated: four
devices' regrtest -v logs (120 files of 84 tests each, with failures,
tracebacks, skips and subtests; results.py's generator), each parsed and
stamped with its device and times, merged as the harness does; the report
is written from that model and again from the JUnit file read back (what
`android.py results JUNIT` does).  Prints each figure beside its target
and the ratio (< 1 is within it); exit status 1 when a target is missed.

    python benchmarks/report.py [--smoke] [--rounds N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tools"))
sys.path.insert(0, str(REPO / "tests"))

from results import generate_log  # noqa: E402  (benchmarks/results.py)

from cpython_android.results import (  # noqa: E402
    merge,
    parse_log,
    read_junit,
    stamp,
    write_html,
    write_junit,
)
from support.browser import find_chromium, render_seconds  # noqa: E402

SIZE_TARGET = 5_000_000
RENDER_TARGET = 2.0
DEVICES = 4
FILES_PER_DEVICE = 120  # 480 files
TESTS_PER_FILE = 84  # 40,320 tests


def make_run(files_per_device: int, per_file: int):  # noqa: ANN201
    """Four devices' parts of one run, stamped and merged."""
    parts = []
    start = time.time() - 3600
    for d in range(DEVICES):
        part = parse_log(generate_log(files_per_device, per_file).replace(
            "test_bench", f"test_d{d}_bench"))
        length = max(f.began_at or 0.0 for f in part.files.values()) + 1
        stamp(part, f"emulator-{5554 + 2 * d}", start + d, start + d + length)
        parts.append(part)
    return merge(parts)


def best_of(rounds: int, work) -> float:  # noqa: ANN001
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
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
    results = make_run(files, per_file)
    tests = results.counts().tests
    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        junit, page, again = out / "junit.xml", out / "report.html", out / "from-junit.html"
        write_junit(results, junit)
        print(f"run: {len(results.files)} files, {tests} tests on {DEVICES} devices")
        html_s = best_of(rounds, lambda: write_html(results, page))
        print(f"write the report: best {html_s:.3f} s")
        read_s = best_of(rounds, lambda: write_html(read_junit(junit)[0], again))
        print(f"read the JUnit + write the report: best {read_s:.3f} s")
        failed = False
        for name, path in (("report", page), ("report from the JUnit", again)):
            size = path.stat().st_size
            failed |= size > SIZE_TARGET
            print(f"{name}: {size / 1e6:.2f} MB (target < {SIZE_TARGET / 1e6:.2f} MB), "
                  f"{verdict(size, SIZE_TARGET)}")
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
