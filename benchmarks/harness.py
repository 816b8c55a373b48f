#!/usr/bin/env python3
"""Benchmark `android.py test` on a GNU cross host under qemu-user.

Prints, from one run, side by side on the same test files:

(a) sharding speedup: 2 shards (balanced by the durations of the 1-shard
    run's JUnit, `--durations`) against 1 shard; target >= 1.7x.
(b) harness overhead: `android.py test HOST` with 1 shard against regrtest
    run directly with the same python arguments (the qemu wrapper, `-u -m test
    --junit-xml`), output read through a pipe in both cases; target <= 2 %.
(c) per-test JUnit's cost: regrtest run directly through the events hook
    (`events_hook.py --events FILE -- TESTS`, what `android.py test` runs for
    complete per-test JUnit) against plain `-u -m test TESTS`; target <= 2 %.
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
sys.path.insert(0, str(REPO / "Tools"))

from cpython_android.checkout import validate  # noqa: E402
from cpython_android.hosts import parse_host  # noqa: E402
from cpython_android.layout import Layout  # noqa: E402
from cpython_android.resume import HOOK_SCRIPT  # noqa: E402
from cpython_android.runners.qemu import QemuPython  # noqa: E402

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


def main() -> None:
    args = built_host_arguments(__doc__, 2, DEFAULT_TESTS)

    checkout = validate(args.checkout)
    host = parse_host(args.host)
    layout = Layout(args.cross_build_dir.resolve())
    python = layout.require_host_python(host)
    wrapper = QemuPython(host, python).ensure_wrapper()
    cli = [sys.executable, str(REPO / "Android" / "android.py"), "--checkout",
           str(checkout.root), "--cross-build-dir", str(layout.root), "test", args.host]

    times: dict[str, list[float]] = {"direct": [], "harness": [], "sharded": [], "plain": [],
                                     "hooked": []}
    cpu: dict[str, list[float]] = {kind: [] for kind in times}
    with tempfile.TemporaryDirectory() as scratch:
        durations = Path(scratch) / "one-shard.xml"
        commands = {
            "direct": [str(wrapper), "-u", "-m", "test", *args.tests,
                       "--junit-xml", f"{scratch}/direct.xml"],
            "harness": [*cli, "--junit-xml", str(durations), "--", *args.tests],
            "sharded": [*cli, "--shards", "2", "--durations", str(durations), "--",
                        *args.tests],
            "plain": [str(wrapper), "-u", "-m", "test", *args.tests],
            "hooked": [str(wrapper), "-u", str(HOOK_SCRIPT), "--events",
                       f"{scratch}/events.jsonl", "--", *args.tests],
        }
        for round_number in range(1, args.rounds + 1):
            for kind, command in commands.items():
                Path(scratch, "events.jsonl").unlink(missing_ok=True)
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
    hook = best["hooked"] / best["plain"] - 1
    hook_cpu = best_cpu["hooked"] / best_cpu["plain"] - 1
    print(f"(c) per-test JUnit (events hook) vs plain regrtest: wall {hook * 100:+.1f} %, "
          f"CPU {hook_cpu * 100:+.1f} % (target <= 2 %)")
    resume, total = resume_cost(cli, args.tests, python.parent.parent / "lib" /
                                f"python{checkout.short_version}" / "test")
    print(f"(d) resume cost: crash to the next test of the file {resume:.2f} s of a "
          f"{total:.1f} s run ({resume / total * 100:.1f} %)")


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
