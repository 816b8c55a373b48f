#!/usr/bin/env python3
"""The whole test suite on the android-lab: `android.py test --lab` beside regrtest's own -j2.

    python benchmarks/lab_suite.py --checkout DIR --cross-build-dir DIR --lab LAB
        [--host x86_64-linux-android] [--selection test_bool,test_json]

Runs the host python (built with `android.py build HOST --ndk-version
26.0.9635231` and ANDROID_HOME=LAB/android-sdk) on the lab's bionic runtime
twice, on the same test files: (1) `android.py test HOST --lab LAB --shards 2
--junit-xml X` and (2) regrtest's own `-j2`, run as plain code by the same
command on the same runner (`test HOST --lab LAB -c RUNPY -- -j2 TESTS`: no
sharding, no per-test events, regrtest's output as it prints it).  Both go
through tests/support/lab_entry.py, which registers the lab with the command
line.  Prints the test files and tests each counted
(ours from the JUnit XML, regrtest's from its "Total test files"/"Total
tests" lines) and the wall time of each, with the ratio ours / regrtest's.
Not a CI job: the whole suite takes minutes (about 5 on 2 idle cores).
`--selection` runs only the named files, to check the script itself.

On the lab, test_android and test_platform's test_android_ver fail (no
logcat, no system properties) and so do test_socket's VSOCK tests (no vsock
device): both runs see them; neither exit status is treated as an error.
Measured 2026-11-26, before the harness took per-test results from its own
events hook (a loaded machine, a GNU build running beside the first half):
ours 480 files, 76 tests, 535 s; regrtest 471/480 files, 39,658 tests, 257 s.
The count was low because regrtest 3.13.5's own XML writer fails after
test_xml_etree and test_xml_etree_c in one process and each shard's cases
were lost; the harness no longer depends on that writer
(tests/integration/test_lab_runner.py::test_xml_etree_keeps_per_test_cases).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The lab is the tests' target kind, not the product's: this entry registers it.
LAB_ENTRY = REPO / "tests" / "support" / "lab_entry.py"
#: regrtest as plain code (`test -c`): the harness runs it as it is, unsharded.
RUNPY = "import runpy; runpy.run_module('test', run_name='__main__', alter_sys=True)"


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - started, result


def regrtest_counts(output: str) -> tuple[str, int]:
    """(its "Total test files" line as it is, tests run) from regrtest's summary."""
    files = re.search(r"Total test files: (.*)", output)
    tests = re.search(r"Total tests: run=([\d,]+)", output)
    if not (files and tests):
        sys.exit(f"no regrtest summary in the output:\n{output[-3000:]}")
    return files[1].strip(), int(tests[1].replace(",", ""))


def junit_counts(path: Path) -> tuple[int, int]:
    """(test files, test cases) of our JUnit XML: one testsuite per file."""
    from junitparser import JUnitXml

    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    return len(suites), sum(len(list(suite)) for suite in suites)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, required=True)
    parser.add_argument("--cross-build-dir", type=Path, required=True)
    parser.add_argument("--lab", type=Path, required=True, help="make-lab.sh's DIR")
    parser.add_argument("--host", default="x86_64-linux-android")
    parser.add_argument("--selection", default="",
                        help="comma-separated test files (default: the whole suite)")
    args = parser.parse_args()

    host = args.host
    test = [sys.executable, str(LAB_ENTRY), str(REPO / "Android" / "android.py"), "--checkout",
            str(args.checkout), "--cross-build-dir", str(args.cross_build_dir), "test", host,
            "--lab", str(args.lab)]
    tests = [name for name in args.selection.split(",") if name]
    with tempfile.TemporaryDirectory(prefix="lab-suite-") as scratch:
        junit = Path(scratch) / "junit.xml"
        ours, ours_result = timed([*test, "--shards", "2", "--junit-xml", str(junit), "--",
                                   *tests])
        if not junit.is_file():
            sys.exit(f"android.py test exited {ours_result.returncode} and wrote no JUnit:\n"
                     f"{ours_result.stdout[-3000:]}\n{ours_result.stderr[-3000:]}")
        our_files, our_tests = junit_counts(junit)
        theirs, their_result = timed([*test, "-c", RUNPY, "--", "-j2", *tests])
        their_files, their_tests = regrtest_counts(their_result.stdout)
    print(f"{host} on the android-lab, {'the whole suite' if not tests else tests}:")
    print(f"  android.py test --shards 2: {our_files} files, {our_tests} tests, "
          f"{ours:.0f} s (exit {ours_result.returncode})")
    print(f"  regrtest -j2:               files {their_files}, {their_tests} tests, "
          f"{theirs:.0f} s (exit {their_result.returncode})")
    print(f"  wall time ratio (android.py / regrtest): {ours / theirs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
