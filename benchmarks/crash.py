#!/usr/bin/env python3
"""Benchmark the native crash reports (crash/, issue 21), through the command line.

Prints, from one run:

(a) symbolizing a crash: a debuggerd tombstone at real addresses of the
    built libpython (its own symbol table and BuildId, as tests/integration/test_crash.py
    writes them) turned into the report by `android.py symbolize HOST FILE`,
    cold each time (a fresh process: the build's files scanned for their
    BuildIds, the symbolizer found and run); target <= 5 s, worst round.
(b) a run without a crash pays nothing: `android.py test HOST -- TESTS` in a
    cross-build directory beside the same with PILE more ELF files (links to
    libpython) in the host's prefix, which a crash's symbol index would scan;
    both directories are made of links to --cross-build-dir's, interleaved,
    fastest of each; target: ratio <= 1.02 (a crash-free run reads none of them).

    python benchmarks/crash.py --checkout DIR --cross-build-dir DIR [--host HOST]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from harness import android_py, built_host_arguments  # noqa: E402  (benchmarks/harness.py)

from support import crash_reports as cr  # noqa: E402  (the test rig's tombstones)

TARGET_SECONDS = 5.0
TARGET_RATIO = 1.02
PILE = 300
FUNCTIONS = [("PyObject_GetAttr", 8), ("_PyEval_EvalFrameDefault", 64), ("PyObject_Vectorcall", 4)]


def libpython(cross_build: Path, host: str) -> Path:
    return (cross_build / host / "prefix" / "lib" / "libpython3.13.so").resolve()


def tombstone(lib: Path) -> str:
    bid = cr.build_id(lib)
    path = cr.device_path("arm64-v8a", "libpython3.13.so")
    frames = [cr.frame_line(i, cr.symbol(lib, name).address + offset, path, name, offset, bid)
              for i, (name, offset) in enumerate(FUNCTIONS)]
    frames.append(cr.frame_line(len(frames), 0x52F8C, "/apex/com.android.runtime/lib64/bionic/"
                                "libc.so", "__libc_init", 92, "0123456789abcdef" * 2))
    return "\n".join(cr.tombstone(frames, abi="arm64")) + "\n"


def symbolizing(args: argparse.Namespace) -> list[float]:
    seconds = []
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "tombstone.txt"
        report.write_text(tombstone(libpython(args.cross_build_dir, args.host)))
        for _ in range(args.rounds):
            started = time.perf_counter()
            result = subprocess.run([*android_py(args), "symbolize", args.host, str(report)],
                                    capture_output=True, text=True)
            seconds.append(time.perf_counter() - started)
            if "PyObject_GetAttr (" not in result.stdout:
                sys.exit(f"symbolize exited {result.returncode} without the frame's source "
                         f"line:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    top = next(line for line in result.stdout.splitlines() if "PyObject_GetAttr" in line)
    print(f"(a) symbolizing a crash ({len(FUNCTIONS)} frames of the build): {top.strip()}")
    return seconds


def link_farm(source: Path, target: Path, host: str, pile: int) -> Path:
    """`target`, a cross-build directory made of links to `source`'s, with
    `pile` more ELF files in the host's prefix.  The prefix's bin/ is copied:
    `test` writes its qemu wrapper there, which must not reach `source`."""
    prefix = target / host / "prefix"
    (prefix / "lib" / "pile").mkdir(parents=True)
    (target / "build").symlink_to(source / "build", target_is_directory=True)
    for entry in (source / host).iterdir():
        if entry.name != "prefix":
            (target / host / entry.name).symlink_to(entry)
    for entry in (source / host / "prefix").iterdir():
        if entry.name == "bin":
            shutil.copytree(entry, prefix / "bin", symlinks=True)
        elif entry.name != "lib":
            (prefix / entry.name).symlink_to(entry)
    for entry in (source / host / "prefix" / "lib").iterdir():
        (prefix / "lib" / entry.name).symlink_to(entry)
    for index in range(pile):
        (prefix / "lib" / "pile" / f"libpile{index}.so").symlink_to(libpython(source, host))
    return target


def crash_free_runs(args: argparse.Namespace) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"plain": [], "pile": []}
    with tempfile.TemporaryDirectory() as scratch:
        dirs = {kind: link_farm(args.cross_build_dir, Path(scratch, kind), args.host,
                                PILE if kind == "pile" else 0) for kind in times}
        for round_number in range(args.rounds):
            order = list(dirs.items())  # alternate which goes first
            for kind, cross_build in order if round_number % 2 else reversed(order):
                command = [sys.executable, str(REPO / "Android" / "android.py"), "--checkout",
                           str(args.checkout), "--cross-build-dir", str(cross_build), "test",
                           args.host, "--", *args.tests]
                started = time.perf_counter()
                result = subprocess.run(command, capture_output=True, text=True,
                                        env=dict(os.environ))
                times[kind].append(time.perf_counter() - started)
                if result.returncode != 0 or "crashed" in result.stdout:
                    sys.exit(f"{kind}: exit {result.returncode}\n{result.stdout[-2000:]}"
                             f"{result.stderr[-2000:]}")
    return times


def main() -> None:
    args = built_host_arguments(__doc__, 3, ["test_bool", "test_int"])
    args.cross_build_dir = args.cross_build_dir.resolve()

    seconds = symbolizing(args)
    print(f"    cold, {args.rounds} rounds: best {min(seconds):.2f} s, worst "
          f"{max(seconds):.2f} s; worst / target ({TARGET_SECONDS:g} s) = "
          f"{max(seconds) / TARGET_SECONDS:.3f}")

    times = crash_free_runs(args)
    ratio = min(times["pile"]) / min(times["plain"])
    print(f"(b) a crash-free `test {args.host} -- {' '.join(args.tests)}`: with {PILE} more "
          f"ELF files in the prefix {min(times['pile']):.2f} s, without "
          f"{min(times['plain']):.2f} s (fastest of {args.rounds}); ratio {ratio:.3f} "
          f"(target <= {TARGET_RATIO})")


if __name__ == "__main__":
    main()
