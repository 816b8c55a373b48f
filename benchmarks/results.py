"""Benchmark: convert a 45,000-test verbose regrtest log to JUnit XML.

Target (issue 4, 11c): parsing the log and writing the XML in at most 1 s.
The log is generated in regrtest 3.13's sequential `-v` format (450 files of
100 tests, with failures and their tracebacks, skips, subtests and expected
failures) and converted by `android.py results LOG --junit-xml OUT`; its
time less the floor of starting android.py at all (`android.py --help`, best of
a few) is what is judged.  Prints the best of a few runs and its ratio to the
target (< 1 is within it).

Target (issue 20): re-run classification costs at most 2 % over the parse
before it.  The same log, and the same log followed by regrtest's `--rerun`
section (each failed file's failed tests re-run, now passing: flaky), are
converted by this checkout's `android.py results` and by the one before re-runs
were classified (`--baseline REV`: its Android/ and Tools/ taken from git),
alternating, best of each, each less its own start-up floor.

    python benchmarks/results.py [--baseline REV]
"""

from __future__ import annotations

import argparse
import functools
import io
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 1.0
RERUN_TARGET_RATIO = 1.02
RERUN_FILES = 10  # a run with a few flaky or failing files
#: The last commit before re-run classification (issue 20).
BASELINE = "87b395f"
REPO = Path(__file__).resolve().parent.parent
ANDROID_PY = REPO / "Android" / "android.py"
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


def rerun_section(files: int, per_file: int = TESTS_PER_FILE) -> str:
    """regrtest -j's re-run of the first `files` failed files above: only their
    failed tests, verbose, all passing now."""
    failed = [j for j in range(per_file) if j % 50 in (7, 17)]
    out = [f"0:10:00 load avg: 1.00 Re-running {files} failed tests in verbose mode in "
           "subprocesses", f"0:10:00 load avg: 1.00 Run {files} tests in parallel using 2 "
           "worker processes"]
    for i in range(1, files + 1):
        file = f"test_bench{i:03d}"
        out += [f"0:10:01 load avg: 1.00 [{i:3d}/{files}] {file} passed",
                f"Re-running {file} in verbose mode (matching: "
                f"{', '.join(f'test_case{j:03d}' for j in failed)})"]
        out += [f"test_case{j:03d} (test.{file}.Tests{j // 20}.test_case{j:03d}) ... ok"
                for j in failed]
        out += ["", "-" * 70, f"Ran {len(failed)} tests in 0.001s", "", "OK"]
    out += ["", "== Tests result: FAILURE then SUCCESS ==", ""]
    return "\n".join(out) + "\n"


def baseline_tree(rev: str, into: Path) -> Path:
    """The command line as it was at `rev` (its Android/ and Tools/), extracted."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "Android", "Tools"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "Android" / "android.py"


def seconds(android_py: Path, *args: str | Path) -> tuple[float, str]:
    """Wall-clock seconds of `python ANDROID_PY ARGS`, and its output (exit 0 or 1)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(android_py), *map(str, args)],
                            capture_output=True, text=True)
    took = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{android_py} {' '.join(map(str, args))} exited {result.returncode}:\n"
                 f"{result.stderr[-3000:]}")
    return took, result.stdout


@functools.cache
def floor(android_py: Path, tries: int = 3) -> float:
    """What starting this android.py costs at all: `--help`, best of `tries`."""
    return min(seconds(android_py, "--help")[0] for _ in range(tries))


def compare(ours: Path, theirs: Path, log: Path, xml: Path, runs: int = RUNS) -> float:
    """Best time of this checkout's `results LOG --junit-xml OUT` over the
    baseline's, each less its start-up floor, alternating (`runs` + 8 rounds;
    one in a smoke run)."""
    times: dict[Path, list[float]] = {ours: [], theirs: []}
    for _ in range(runs + 8 if runs > 1 else 1):
        for android_py, taken in times.items():
            taken.append(seconds(android_py, "results", log, "--junit-xml", xml)[0])
    tries = 3 if runs > 1 else 1
    # At least 1 ms each: a smoke run's tiny log can take less than the noise in start-up.
    return (max(min(times[ours]) - floor(ours, tries), 1e-3)
            / max(min(times[theirs]) - floor(theirs, tries), 1e-3))


def convert_once(log: Path, xml: Path, start_up: float) -> tuple[float, int]:
    took, output = seconds(ANDROID_PY, "results", log, "--junit-xml", xml)
    total = re.search(r"^Tests: ([\d,]+) total", output, re.M)
    if total is None:
        sys.exit(f"`results` printed no test count:\n{output[-2000:]}")
    return max(took - start_up, 0.0), int(total[1].replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", default=BASELINE,
                        help=f"git revision to compare with (default {BASELINE})")
    parser.add_argument("--smoke", action="store_true", help="the smallest log, one round: "
                        "does the benchmark still run? (the tests run it so)")
    args = parser.parse_args()
    files, runs = (RERUN_FILES, 1) if args.smoke else (FILES, RUNS)
    with tempfile.TemporaryDirectory() as tmp:
        log, xml = Path(tmp) / "regrtest.log", Path(tmp) / "junit.xml"
        log.write_text(generate_log(files))
        start_up = floor(ANDROID_PY, 3 if runs > 1 else 1)
        timings = [convert_once(log, xml, start_up) for _ in range(runs)]
        best, tests = min(timings)
        size_mb = log.stat().st_size / 1e6
        print(f"log: {tests:,} test cases, {size_mb:.1f} MB; JUnit XML "
              f"{xml.stat().st_size / 1e6:.1f} MB")
        print(f"parse + write: best {best:.3f} s of {runs}, beyond the {start_up:.2f} s "
              "start-up "
              f"(all: {', '.join(f'{t:.3f}' for t, _ in timings)})")
        print(f"ratio to the {TARGET_SECONDS:g} s target: {best / TARGET_SECONDS:.2f} "
              f"({'within' if best <= TARGET_SECONDS else 'OVER'} target)")
        return compare_with_baseline(args.baseline, Path(tmp), log, xml, files, runs)


def compare_with_baseline(rev: str, tmp: Path, log: Path, xml: Path, files: int = FILES,
                          runs: int = RUNS) -> int:
    try:
        baseline = baseline_tree(rev, tmp / "baseline")
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"benchmarks/results.py: cannot take the baseline {rev} from git ({e}): run it "
              "in a git clone, or pass --baseline REV", file=sys.stderr)
        return 2
    cases = {"the log": log}
    for rerun in sorted({RERUN_FILES, files}):
        cases[f"the log and a --rerun of {rerun} files"] = path = tmp / f"rerun-{rerun}.log"
        path.write_text(log.read_text() + rerun_section(rerun))
    for what, path in cases.items():
        ratio = compare(ANDROID_PY, baseline, path, xml, runs)
        if what.endswith(f"of {FILES} files"):
            # Every file re-run: the baseline kept only the last attempt of each
            # (its JUnit lost 44,100 of the 45,000 tests), so not like for like.
            verdict = "for information: the baseline's output dropped 44,100 tests"
        else:
            verdict = "within" if ratio <= RERUN_TARGET_RATIO else "OVER"
            verdict += f" the {RERUN_TARGET_RATIO} target"
        print(f"results on {what}: {ratio:.3f}x the code before re-run classification "
              f"({rev}): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
