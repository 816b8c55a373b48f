#!/usr/bin/env python3
"""Benchmark the native crash reports (crash/, issue 21).

Prints, from one run:

(a) symbolizing a crash: a debuggerd tombstone at real addresses of the
    built libpython (its own symbol table and BuildId, as tests/integration/test_crash.py
    writes them) turned into the report and crash-HOST-TEST.txt by
    `crash.report_crash`, cold each time (the build's files scanned for their
    BuildIds, the symbolizer found and run); target <= 5 s, worst round.
(b) a run without a crash pays nothing: `android.py test HOST -- TESTS` as
    it is, against the same command with the crash support taken out
    (`crash.for_layout` returning None, so the harness has no symbols),
    interleaved, fastest of each; target: ratio <= 1.02.  Also what the crash
    support does on such a run, timed alone (`for_layout`: no file is read).

    python benchmarks/crash.py --checkout DIR --cross-build-dir DIR [--host HOST]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tools"))
sys.path.insert(0, str(REPO / "tests"))

from harness import built_host_arguments  # noqa: E402  (benchmarks/harness.py)

from cpython_android.crash import for_layout, report_crash  # noqa: E402
from cpython_android.crash.elf import build_id  # noqa: E402
from cpython_android.hosts import parse_host  # noqa: E402
from cpython_android.hostsettings import load  # noqa: E402
from cpython_android.layout import Layout  # noqa: E402
from support import crash_reports as cr  # noqa: E402

TARGET_SECONDS = 5.0
TARGET_RATIO = 1.02
FUNCTIONS = [("PyObject_GetAttr", 8), ("_PyEval_EvalFrameDefault", 64), ("PyObject_Vectorcall", 4)]
#: `android.py` with the crash support taken out, for (b).
WITHOUT_CRASH = ("import sys, pathlib, cpython_android.crash as crash\n"
                 "crash.for_layout = lambda *args, **kwargs: None\n"
                 "from cpython_android.cli import main\n"
                 "sys.exit(main(script_dir=pathlib.Path({script_dir!r})))\n")


def tombstone(layout: Layout, host_name: str) -> str:
    lib = (layout.prefix(parse_host(host_name)) / "lib" / "libpython3.13.so").resolve()
    bid = build_id(lib) or ""
    path = cr.device_path("arm64-v8a", "libpython3.13.so")
    frames = [cr.frame_line(i, cr.symbol(lib, name).address + offset, path, name, offset, bid)
              for i, (name, offset) in enumerate(FUNCTIONS)]
    frames.append(cr.frame_line(len(frames), 0x52F8C, "/apex/com.android.runtime/lib64/bionic/"
                                "libc.so", "__libc_init", 92, "0123456789abcdef" * 2))
    return "\n".join(cr.tombstone(frames, abi="arm64")) + "\n"


def symbolizing(layout: Layout, host_name: str, rounds: int) -> list[float]:
    text = tombstone(layout, host_name)
    seconds = []
    with tempfile.TemporaryDirectory() as logs:
        for _ in range(rounds):
            host = parse_host(host_name)
            recorded = load(layout.host_settings(host))  # the NDK it was built with
            symbols = for_layout(layout, host, recorded.ndk_version if recorded else None)
            symbols.logs_dir = Path(logs)
            started = time.perf_counter()
            summary = report_crash(text, symbols, "test_bench.T.test_crash")
            seconds.append(time.perf_counter() - started)
            assert summary is not None and "PyObject_GetAttr" in summary.top, summary
    tool = symbols.symbolizer()[0]
    print(f"(a) symbolizing a crash ({len(FUNCTIONS)} frames of the build, "
          f"{tool.path if tool else 'no symbolizer'}): {summary.top}")
    return seconds


def crash_free_runs(args: argparse.Namespace) -> dict[str, list[float]]:
    android_py = REPO / "Android" / "android.py"
    tail = ["--checkout", str(args.checkout), "--cross-build-dir", str(args.cross_build_dir),
            "test", args.host, "--", *args.tests]
    commands = {
        "with": [sys.executable, str(android_py), *tail],
        "without": [sys.executable, "-c", WITHOUT_CRASH.format(script_dir=str(android_py.parent)),
                    *tail],
    }
    times: dict[str, list[float]] = {kind: [] for kind in commands}
    for round_number in range(args.rounds):
        order = list(commands.items())  # alternate which goes first
        for kind, command in order if round_number % 2 else reversed(order):
            started = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True,
                                    env={**os.environ, "PYTHONPATH": str(REPO / "Tools")})
            times[kind].append(time.perf_counter() - started)
            if result.returncode != 0 or "crashed" in result.stdout:
                sys.exit(f"{kind}: exit {result.returncode}\n{result.stdout[-2000:]}"
                         f"{result.stderr[-2000:]}")
    return times


def main() -> None:
    args = built_host_arguments(__doc__, 3, ["test_bool", "test_int"])
    layout = Layout(args.cross_build_dir.resolve())

    seconds = symbolizing(layout, args.host, args.rounds)
    print(f"    cold, {args.rounds} rounds: best {min(seconds):.2f} s, worst "
          f"{max(seconds):.2f} s; worst / target ({TARGET_SECONDS:g} s) = "
          f"{max(seconds) / TARGET_SECONDS:.3f}")

    times = crash_free_runs(args)
    ratio = min(times["with"]) / min(times["without"])
    print(f"(b) a crash-free `test {args.host} -- {' '.join(args.tests)}`: with the crash "
          f"support {min(times['with']):.2f} s, without {min(times['without']):.2f} s "
          f"(fastest of {args.rounds}); ratio {ratio:.3f} (target <= {TARGET_RATIO})")
    per_call = min(timeit.repeat(lambda: for_layout(layout, parse_host(args.host)),
                                 number=1000, repeat=3)) / 1000
    print(f"    what it does on such a run (for_layout, no file read): {per_call * 1e6:.1f} us")


if __name__ == "__main__":
    main()
