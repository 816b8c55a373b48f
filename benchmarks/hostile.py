#!/usr/bin/env python3
"""Benchmark hostile sizes against normal ones (issue 30): parsing stays linear.

Prints, from one run, each hostile input against a normal input of the same
size, interleaved, best of a few rounds, and their ratio; every input goes
through the command line (`android.py`), as a user's would:

(a) line pumping (what `test` reads every runner with): `test build -c CODE`,
    CODE writing 100 MiB without a newline against the same bytes in 80-byte
    lines; target ratio <= 2.
(b) the crash report parser (run inside `test` after every crash):
    `symbolize build FILE` on a 1 MB hostile paste (long lines repeating the
    starts of debuggerd's header, faulthandler's thread line, bionic's `Fatal
    signal`, frames with long runs of spaces, 5,000-digit numbers) against 1 MB
    of real-looking tombstones; target ratio <= 3.
(c) the regrtest parser (`results`, and `test` live): `results LOG` on a 1 MB
    line of the same kind, and 1 MB of spaces with no ` ...`, against a 1 MB
    normal log; target ratio <= 3.

The "build python" is the python running this script, in a cross-build
directory of its own beside a stand-in checkout (tests/support/trees.py), so
no CPython build is needed.  Each figure includes starting android.py (a few
tenths of a second), the same on both sides.  Before issue 30, (a) took 32 s
for 64 MiB and (b) 44 s for 440 KB.

    python benchmarks/hostile.py [--mib 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.trees import fake_checkout  # noqa: E402  (the test rig's stand-in checkout)

PUMP_TARGET, PARSE_TARGET = 2.0, 3.0
PASTE_BYTES = 1_000_000

TOMBSTONE = """\
*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***
Build fingerprint: 'google/sdk_gphone64_x86_64/emu64xa:14/UE1A.230829.036/10:user/release-keys'
ABI: 'x86_64'
pid: 4242, tid: 4260, name: Thread-2  >>> org.python.testbed <<<
signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0000000000000008
Cause: null pointer dereference
backtrace:
      #00 pc 00000000001d1a3c  /data/app/lib/x86_64/libpython3.13.so (PyObject_GetAttr+12) \
(BuildId: 0123456789abcdef)
      #01 pc 00000000002b0f10  /data/app/lib/x86_64/libpython3.13.so (_PyEval_EvalFrameDefault+4100)
Fatal Python error: Segmentation fault

Current thread 0x00007f0000001000 (most recent call first):
  File "/data/user/0/org.python.testbed/files/lib/python3.13/test/test_x.py", line 42 in test_y
"""


def hostile_paste(size: int) -> str:
    """Lines that start every crash pattern again and again, never finish one."""
    pieces = ["pid: 1, tid: 1, name: ", "Thread 0x1 ", "Current thread 0x1 ",
              "Fatal signal 11 (SIGSEGV), code 1 (X), fault addr 0x0 in tid 1 (",
              "signal 1 (A), code 1 (", "#00 pc 0 " + " " * 64 + "x", "(BuildId: ",
              "  >>> ", "9" * 5000 + " "]
    lines = []
    per_line = size // len(pieces)
    for piece in pieces:
        lines.append((piece * (per_line // len(piece) + 1))[:per_line])
    return "\n".join(["backtrace:", *lines])


def normal_paste(size: int) -> str:
    return (TOMBSTONE * (size // len(TOMBSTONE) + 1))[:size]


def normal_log(size: int) -> list[str]:
    lines = ["0:00:00 load avg: 1.00 Run 480 tests sequentially"]
    i = 0
    while sum(map(len, lines)) < size:
        i += 1
        lines += [f"0:00:{i % 60:02d} load avg: 1.00 [{i}/480] test_x{i}",
                  f"test_a (test.test_x{i}.T.test_a) ... ok",
                  f"test_b (test.test_x{i}.T.test_b) ... skipped 'no'",
                  f"0:00:{i % 60:02d} load avg: 1.00 [{i}/480] test_x{i} passed in 1.2 sec"]
    return lines


def hostile_log(size: int) -> list[str]:
    head = normal_log(200)
    return [*head[:2], (" " * size), "Timeout (" * (size // 9), f"0:00:01 [1/{'9' * size}"]


class AndroidPy:
    """`android.py` over a stand-in checkout and a cross-build directory whose
    build python is this python."""

    def __init__(self, root: Path) -> None:
        self.checkout = fake_checkout(root / "cpython")
        self.cross_build = root / "cross-build"
        (self.cross_build / "build").mkdir(parents=True)
        (self.cross_build / "build" / "python").symlink_to(sys.executable)

    def __call__(self, *args: str | Path) -> None:
        result = subprocess.run(
            [sys.executable, str(REPO / "Android" / "android.py"), "--checkout",
             str(self.checkout), "--cross-build-dir", str(self.cross_build), *map(str, args)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode not in (0, 1) or "Traceback" in result.stderr:
            sys.exit(f"android.py {' '.join(map(str, args))} exited {result.returncode}:\n"
                     f"{result.stderr[-3000:]}")


def writer(mib: int, newlines: bool) -> str:
    line = b"x" * 79 + b"\n" if newlines else b"x" * 80
    return ("import sys\nout = sys.stdout.buffer\n"
            f"for _ in range({mib * 1024 * 1024 // 80}):\n    out.write({line!r})\n")


def best(rounds: int, pairs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Each callable `rounds` times, interleaved; the fastest time of each."""
    times = {name: float("inf") for name in pairs}
    for _ in range(rounds):
        for name, run in pairs.items():
            started = time.perf_counter()
            run()
            times[name] = min(times[name], time.perf_counter() - started)
    return times


def report(title: str, times: dict[str, float], target: float) -> bool:
    (normal, t_normal), (hostile, t_hostile) = times.items()
    ratio = t_hostile / t_normal
    ok = ratio <= target
    print(f"{title}: {normal} {t_normal:.3f} s, {hostile} {t_hostile:.3f} s, "
          f"ratio {ratio:.2f} (target <= {target}) {'ok' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=100, help="size of the pumped output")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        root = Path(scratch)
        android_py = AndroidPy(root)
        ok = report(f"(a) pump {args.mib} MiB", best(args.rounds, {
            "in 80-byte lines": lambda: android_py("test", "build", "-c",
                                                   writer(args.mib, True)),
            "without a newline": lambda: android_py("test", "build", "-c",
                                                    writer(args.mib, False)),
        }), PUMP_TARGET)
        files = {"normal.txt": normal_paste(PASTE_BYTES), "hostile.txt": hostile_paste(PASTE_BYTES),
                 "normal.log": "\n".join(normal_log(PASTE_BYTES)) + "\n",
                 "hostile.log": "\n".join(hostile_log(PASTE_BYTES)) + "\n"}
        for name, text in files.items():
            (root / name).write_text(text)
        ok &= report("(b) crash report parser 1 MB", best(args.rounds, {
            "tombstones": lambda: android_py("symbolize", "build", root / "normal.txt"),
            "hostile paste": lambda: android_py("symbolize", "build", root / "hostile.txt"),
        }), PARSE_TARGET)
        ok &= report("(c) regrtest parser 1 MB", best(args.rounds, {
            "normal log": lambda: android_py("results", root / "normal.log"),
            "hostile lines": lambda: android_py("results", root / "hostile.log"),
        }), PARSE_TARGET)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
