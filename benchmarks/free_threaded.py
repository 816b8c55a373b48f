#!/usr/bin/env python3
"""The free-threaded host python against the default one, on a CPU-bound threaded workload.

The same pure-Python workload (a prime count, split into `--threads` equal
chunks) runs on both builds of one GNU host under qemu-user, once with the
chunks one after another in one thread and once with one thread per chunk;
the time is measured inside the guest, so qemu's start-up is not counted.
Printed: each build's thread speedup (serial / threaded), and the ratio the
issue asks for, default threaded / free-threaded threaded (> 1: the
free-threaded build is faster).  The same is measured with the two native
build pythons (cross-build/build and build-t, the same CPython for this
machine), which shows what qemu-user does to the figure.  The host pythons
run through the command line (`android.py run HOST [--disable-gil] -- -c
WORKLOAD`), the build pythons from where `build` puts them
(cross-build/build/python, cross-build/build-t/python).

Each measurement is repeated `--rounds` times, interleaved, and the fastest
is kept (the machine is shared: the minimum is the least disturbed).

    python benchmarks/free_threaded.py --checkout DIR --cross-build-dir DIR
        [--host aarch64-linux-gnu]

Both `build HOST` and `build HOST --disable-gil` must have run in DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ANDROID_PY = REPO / "Android" / "android.py"

WORKLOAD = """
import json, sys, threading, time

def count_primes(start, stop):
    found = 0
    for n in range(start, stop):
        if n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1)):
            found += 1
    return found

threads, per_chunk = int(sys.argv[1]), int(sys.argv[2])
chunks = [(i * per_chunk, (i + 1) * per_chunk) for i in range(threads)]
started = time.perf_counter()
serial = sum(count_primes(a, b) for a, b in chunks)
serial_s = time.perf_counter() - started
results = [0] * threads
def work(i):
    results[i] = count_primes(*chunks[i])
workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
started = time.perf_counter()
for t in workers: t.start()
for t in workers: t.join()
threaded_s = time.perf_counter() - started
assert sum(results) == serial
gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
print(json.dumps({"serial": serial_s, "threaded": threaded_s, "gil": gil}))
"""


def measure(command: list[str], threads: int, per_chunk: int) -> dict[str, float]:
    result = subprocess.run([*command, "-c", WORKLOAD, str(threads), str(per_chunk)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def fastest(runs: list[dict[str, float]]) -> dict[str, float]:
    return {"serial": min(r["serial"] for r in runs),
            "threaded": min(r["threaded"] for r in runs), "gil": runs[0]["gil"]}


def report(label: str, default: dict[str, float], free: dict[str, float]) -> None:
    assert default["gil"] and not free["gil"], (default, free)
    for name, r in (("default", default), ("free-threaded", free)):
        print(f"  {label:6} {name:14} serial {r['serial']:7.2f} s  threaded "
              f"{r['threaded']:7.2f} s  thread speedup {r['serial'] / r['threaded']:.2f}x")
    print(f"  {label:6} default/free-threaded, threaded: "
          f"{default['threaded'] / free['threaded']:.2f}x;  single-thread cost of "
          f"free-threading: {free['serial'] / default['serial']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, required=True)
    parser.add_argument("--cross-build-dir", type=Path, required=True)
    parser.add_argument("--host", default="aarch64-linux-gnu")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--per-chunk", type=int, default=30_000, help="numbers per thread "
                        "under qemu (natively 10x more: qemu-user is ~10x slower)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = args.cross_build_dir.resolve()
    run = [sys.executable, str(ANDROID_PY), "--checkout", str(args.checkout),
           "--cross-build-dir", str(root), "run", args.host]
    qemu = {ft: [*run, *(["--disable-gil"] if ft else []), "--"] for ft in (False, True)}
    native = {ft: [str(root / ("build-t" if ft else "build") / "python")] for ft in (False, True)}
    for ft, command in native.items():
        if not Path(command[0]).is_file():
            sys.exit(f"no {command[0]}: run `android.py build {args.host}"
                     f"{' --disable-gil' if ft else ''}` first")
    print(f"{args.threads} threads, {os.cpu_count()} CPUs here; best of {args.rounds}")
    # (label, free-threaded) -> command and work per thread; natively 10x the
    # work, so both take seconds.
    targets = {("qemu", ft): (qemu[ft], args.per_chunk) for ft in (False, True)}
    targets |= {("native", ft): (native[ft], args.per_chunk * 10) for ft in (False, True)}
    runs: dict[tuple[str, bool], list[dict[str, float]]] = {key: [] for key in targets}
    for _ in range(args.rounds):  # interleaved, so a busy spell hits every kind
        for key, (command, per_chunk) in targets.items():
            runs[key].append(measure(command, args.threads, per_chunk))
    for label in ("qemu", "native"):
        report(label, fastest(runs[(label, False)]), fastest(runs[(label, True)]))

if __name__ == "__main__":
    main()
