#!/usr/bin/env python3
"""Benchmark `android.py test` on a GNU cross host under qemu-user.

Prints, from one run, side by side on the same test files, every command
through the command line (`android.py`), as a user runs it:

(a) sharding speedup: 2 shards (balanced by the durations of the 1-shard
    run's JUnit, `--durations`) against 1 shard; target >= 1.7x.
(b) harness overhead: `android.py test HOST` with 1 shard against regrtest
    run directly with the same python (`android.py run HOST -- -u -m test
    --junit-xml`: the same qemu wrapper, no harness), output read through a
    pipe in both cases; target <= 2 %.
(c) per-test JUnit's cost: `android.py test HOST` (regrtest through the
    events hook, its events read into per-test JUnit) against the same
    harness running regrtest as plain code (`test HOST -c RUNPY -- TESTS`:
    no hook, no per-test parsing); target <= 2 %.
(d) resume cost, from one `android.py test HOST -v` run of a test file that
    crashes (SIGSEGV) in its second test, then the other files: the time from
    the crash report to the start of the next test of that file in the fresh
    process, against the run's total.

Each kind is run `--rounds` times, interleaved, and the fastest run of each
kind is compared (the machine is shared: the minimum is the least disturbed).

    python benchmarks/harness.py --checkout DIR --cross-build-dir DIR [TEST ...]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ANDROID_PY = REPO / "Android" / "android.py"
#: regrtest as plain code (`test -c`): the harness runs it without the events hook.
RUNPY = "import runpy; runpy.run_module('test', run_name='__main__', alter_sys=True)"

# About 45 s sequentially under qemu here, with one long file (test_set) so
# that balancing by durations matters.
DEFAULT_TESTS = ["test_bool", "test_int", "test_list", "test_tuple", "test_dict", "test_set",
                 "test_str", "test_math", "test_json", "test_re", "test_textwrap",
                 "test_collections"]


def timed(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall-clock seconds, CPU seconds (the command and every descendant), result.

    CPU time is less disturbed than wall time by the other work on a shared
    machine, so the overhead is given both ways.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result


def check(what: str, result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode != 0:
        sys.exit(f"{what} exited {result.returncode}:\n{result.stdout[-3000:]}\n"
                 f"{result.stderr[-3000:]}")


def built_host_arguments(doc: str, rounds: int, tests: list[str]) -> argparse.Namespace:
    """The options of a benchmark over a built host (this one, crash.py)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, required=True)
    parser.add_argument("--cross-build-dir", type=Path, required=True)
    parser.add_argument("--host", default="aarch64-linux-gnu")
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("tests", nargs="*", default=tests)
    return parser.parse_args()


def android_py(args: argparse.Namespace) -> list[str]:
    """`android.py --checkout DIR --cross-build-dir DIR`, to which a subcommand is added."""
    return [sys.executable, str(ANDROID_PY), "--checkout", str(args.checkout),
            "--cross-build-dir", str(args.cross_build_dir)]


def main() -> None:
    args = built_host_arguments(__doc__, 2, DEFAULT_TESTS)
    cli = android_py(args)
    test = [*cli, "test", args.host]

    times: dict[str, list[float]] = {"direct": [], "harness": [], "sharded": [], "plain": []}
    cpu: dict[str, list[float]] = {kind: [] for kind in times}
    with tempfile.TemporaryDirectory() as scratch:
        durations = Path(scratch) / "one-shard.xml"
        commands = {
            "direct": [*cli, "run", args.host, "--", "-u", "-m", "test", *args.tests,
                       "--junit-xml", f"{scratch}/direct.xml"],
            "harness": [*test, "--junit-xml", str(durations), "--", *args.tests],
            "sharded": [*test, "--shards", "2", "--durations", str(durations), "--",
                        *args.tests],
            "plain": [*test, "-c", RUNPY, "--", *args.tests],
        }
        for round_number in range(1, args.rounds + 1):
            for kind, command in commands.items():
                wall, used, result = timed(command)
                check(kind, result)
                times[kind].append(wall)
                cpu[kind].append(used)
            print(f"round {round_number}: " + ", ".join(
                f"{kind} {times[kind][-1]:.1f} s (CPU {cpu[kind][-1]:.1f} s)"
                for kind in times), flush=True)

    best = {kind: min(values) for kind, values in times.items()}
    best_cpu = {kind: min(values) for kind, values in cpu.items()}
    speedup = best["harness"] / best["sharded"]
    overhead = best["harness"] / best["direct"] - 1
    cpu_overhead = best_cpu["harness"] / best_cpu["direct"] - 1
    print(f"{len(args.tests)} test files on {args.host} under qemu-user, best of "
          f"{args.rounds}: direct regrtest {best['direct']:.1f} s, harness 1 shard "
          f"{best['harness']:.1f} s, harness 2 shards {best['sharded']:.1f} s")
    print(f"(a) sharding speedup, 2 shards vs 1: {speedup:.2f}x (target >= 1.7x)")
    print(f"(b) harness overhead vs direct regrtest: wall {overhead * 100:+.1f} %, "
          f"CPU {cpu_overhead * 100:+.1f} % (target <= 2 %)")
    hook = best["harness"] / best["plain"] - 1
    hook_cpu = best_cpu["harness"] / best_cpu["plain"] - 1
    print(f"(c) per-test JUnit (events hook) vs plain regrtest, both through `test`: wall "
          f"{hook * 100:+.1f} %, CPU {hook_cpu * 100:+.1f} % (target <= 2 %)")
    resume, total = resume_cost(test, args.tests, stdlib_tests(args))
    print(f"(d) resume cost: crash to the next test of the file {resume:.2f} s of a "
          f"{total:.1f} s run ({resume / total * 100:.1f} %)")


def stdlib_tests(args: argparse.Namespace) -> Path:
    """The host's installed test package (cross-build/HOST/prefix/lib/pythonX.Y/test)."""
    lib = args.cross_build_dir / args.host / "prefix" / "lib"
    found = sorted(p for p in lib.glob("python3.*/test") if p.is_dir())
    if not found:
        sys.exit(f"no test package under {lib}: run `android.py build {args.host}` first")
    return found[-1]


CRASHING_FILE = """
    import faulthandler, unittest
    class Crash(unittest.TestCase):
        def test_a(self): pass
        def test_segfault(self): faulthandler._sigsegv()
        def test_z_after(self): pass
    """


def resume_cost(cli: list[str], tests: list[str], stdlib_tests: Path) -> tuple[float, float]:
    """(seconds from the crash report to the next test's start, the run's seconds),
    from the arrival times of android.py's output lines.  The crashing file
    and (linked) the target's own test files share one --testdir."""
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "test_bench_crash.py").write_text(textwrap.dedent(CRASHING_FILE))
        for name in tests:
            found = [p for p in (stdlib_tests / name, stdlib_tests / f"{name}.py") if p.exists()]
            Path(scratch, found[0].name).symlink_to(found[0])
        started = time.perf_counter()
        crashed = resumed = None
        with subprocess.Popen([*cli, "--", "-v", "--testdir", scratch, "test_bench_crash",
                               *tests], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) as process:
            assert process.stdout is not None
            for line in process.stdout:
                if crashed is None and "Fatal Python error" in line:
                    crashed = time.perf_counter()
                elif resumed is None and line.startswith("test_z_after ("):
                    resumed = time.perf_counter()
        total = time.perf_counter() - started
    if crashed is None or resumed is None:
        sys.exit("the resume run did not crash and resume as expected")
    return resumed - crashed, total


if __name__ == "__main__":
    main()
