"""Benchmark: convert a 45,000-test verbose regrtest log to JUnit XML.

Target (issue 4, 11c): parsing the log and writing the XML in at most 1 s.
The log is generated in regrtest 3.13's sequential `-v` format (450 files of
100 tests, with failures and their tracebacks, skips, subtests and expected
failures) and converted the way `android.py results LOG --junit-xml OUT`
does.  Prints the best of a few runs and its ratio to the target (< 1 is
within it).

    PYTHONPATH=Tools python benchmarks/results.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tools"))

from cpython_android.results import parse_log, write_junit  # noqa: E402

TARGET_SECONDS = 1.0
FILES = 450
TESTS_PER_FILE = 100
RUNS = 3

TRACEBACK = """Traceback (most recent call last):
  File "/data/user/0/org.python.testbed/files/lib/python3.13/test/{file}.py", line 42, in {test}
    self.assertEqual(result, expected)
AssertionError: 1 != 2"""


def generate_log(files: int = FILES, per_file: int = TESTS_PER_FILE) -> str:
    """A verbose sequential regrtest log with files * per_file test lines."""
    out = ["== CPython 3.13.5", "Using random seed: 1",
           f"0:00:00 load avg: 1.00 Run {files} tests sequentially in a single process"]
    bad = 0
    for i in range(1, files + 1):
        file = f"test_bench{i:03d}"
        stamp = f"0:{i // 60:02d}:{i % 60:02d} load avg: 1.00"
        out.append(f"{stamp} [{i:3d}/{files}{f'/{bad}' if bad else ''}] {file}")
        failures = []
        for j in range(per_file):
            test = f"test_case{j:03d}"
            ident = f"test.{file}.Tests{j // 20}.{test}"
            kind = j % 50
            if kind == 7:
                out.append(f"{test} ({ident}) ... FAIL")
                failures.append(("FAIL", test, ident, ""))
            elif kind == 11:
                out.append(f"{test} ({ident}) ... skipped 'requires the network resource'")
            elif kind == 13:
                out.append(f"{test} ({ident}) ... expected failure")
            elif kind == 17:
                out.append(f"{test} ({ident}) ... ")
                out.append(f"  {test} ({ident}) (n=3) ... FAIL")
                failures.append(("FAIL", test, ident, " (n=3)"))
            else:
                out.append(f"{test} ({ident}) ... ok")
        for kind_name, test, ident, sub in failures:
            out += ["", "=" * 70, f"{kind_name}: {test} ({ident}){sub}", "-" * 70,
                    TRACEBACK.format(file=file, test=test)]
        out += ["", "-" * 70, f"Ran {per_file} tests in 0.123s", "",
                f"FAILED (failures={len(failures)})" if failures else "OK"]
        if failures:
            bad += 1
            out.append(f"test {file} failed")
            out.append(f"{stamp} [{i:3d}/{files}/{bad}] {file} failed ({len(failures)} failures)")
        else:
            out.append(f"{stamp} [{i:3d}/{files}{f'/{bad}' if bad else ''}] {file} passed")
    out += ["", "== Tests result: FAILURE ==", ""]
    return "\n".join(out) + "\n"


def convert_once(log: Path, xml: Path) -> tuple[float, int]:
    start = time.perf_counter()
    results = parse_log(log.read_text())
    write_junit(results, xml)
    return time.perf_counter() - start, results.counts().tests


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        log, xml = Path(tmp) / "regrtest.log", Path(tmp) / "junit.xml"
        log.write_text(generate_log())
        timings = [convert_once(log, xml) for _ in range(RUNS)]
        best, tests = min(timings)
        size_mb = log.stat().st_size / 1e6
        print(f"log: {tests:,} test cases, {size_mb:.1f} MB; JUnit XML "
              f"{xml.stat().st_size / 1e6:.1f} MB")
        print(f"parse + write: best {best:.3f} s of {RUNS} "
              f"(all: {', '.join(f'{t:.3f}' for t, _ in timings)})")
        print(f"ratio to the {TARGET_SECONDS:g} s target: {best / TARGET_SECONDS:.2f} "
              f"({'within' if best <= TARGET_SECONDS else 'OVER'} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
