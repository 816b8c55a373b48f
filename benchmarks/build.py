"""Cold build vs no-op `build` vs ccache-warm rebuild of the same tree.

    python benchmarks/build.py [--checkout DIR] [--host aarch64-linux-gnu]

Runs, in one go and in a fresh directory with an empty ccache:
  1. cold:  `build HOST --ccache` from nothing (ccache is empty: every compile misses);
  2. no-op: `build HOST --ccache` again on the up-to-date tree;
  3. warm:  `clean` (every tree), then `build HOST --ccache` (configure runs; compiles hit ccache).
and prints each as a ratio of the cold build.  Targets: no-op <= 5 %, warm <= 35 %.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tools"))
sys.path.insert(0, str(REPO / "tests"))

from support import sources  # noqa: E402  (the test rig's pinned sources)

TARGETS = {"no-op": 0.05, "ccache-warm": 0.35}


def android_py(*args: str | Path, env: dict[str, str]) -> float:
    """Run android.py; return its wall-clock seconds (raise if it fails)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "Android" / "android.py"), *map(str, args)],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def default_checkout() -> Path:
    return sources.cpython_source()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, help="CPython source (default: Debian's 3.13)")
    parser.add_argument("--host", default="aarch64-linux-gnu")
    args = parser.parse_args()
    checkout = args.checkout or default_checkout()

    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        env = dict(os.environ, CCACHE_DIR=f"{tmp}/ccache")
        common = ["--checkout", checkout, "--cross-build-dir", f"{tmp}/cross-build"]
        build = [*common, "build", args.host, "--ccache"]
        times = {"cold": android_py(*build, env=env)}
        times["no-op"] = android_py(*build, env=env)
        android_py(*common, "clean", env=env)
        times["ccache-warm"] = android_py(*build, env=env)

    cold = times["cold"]
    print(f"{'build':<12} {'seconds':>8} {'of cold':>8} {'target':>8}")
    ok = True
    for name, seconds in times.items():
        ratio = seconds / cold
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if ratio <= target else "MISSED")
        ok &= target is None or ratio <= target
        target_text = f"<= {target:.0%}" if target is not None else ""
        print(f"{name:<12} {seconds:8.1f} {ratio:8.1%} {target_text:>8} {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
