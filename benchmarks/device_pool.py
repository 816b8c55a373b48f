#!/usr/bin/env python3
"""Devices as one pool (issue 28), side by side in one run, on Android's own python.

    python benchmarks/device_pool.py --checkout DIR --cross-build-dir DIR --lab LAB
        [--host x86_64-linux-android] [--selection test_bool,test_json]

The "devices" are the tests' ADB double (tests/support/adb_double.py: the real
adb wire protocol on loopback) whose app runs the host python built for the
android-lab (`android.py build HOST` with ANDROID_HOME=LAB/android-sdk) on the
lab's bionic runtime; everything from `android.py test --connected` down to
the socket is the product.  Five runs of the same test files:

1. ours, ONE device with 2 test processes (`--per-device 2`);
2. regrtest's own `-j2` on the same python (the lab wrapper, no harness);
3. ours, one device with one process: the single-process run upstream does
   (run first: the times it records weigh the files of the sharded runs, as a
   buildbot's earlier run does for its next);
4. ours, two devices, one process each, undisturbed;
5. the same, with the second device unplugged halfway (at half of run 4's
   wall time): its unfinished files must run on the first, nothing lost.

Targets: (1)/(2) <= 1.05; (3)/(1) >= 1.8 on 2 cores; (5)/(4) <= 1.6 with every
file in the JUnit once.  A missed target prints MISSED and exits 1.  The whole
suite takes about half an hour on 2 idle cores; `--selection` runs only the
named files (the smoke setting CI runs: tests/integration/test_benchmarks.py).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The rig (not the product): the ADB double, fake APKs where build-testbed puts them.
sys.path.insert(0, str(REPO / "tests"))

from junitparser import JUnitXml  # noqa: E402

from support.adb_double import AdbDouble  # noqa: E402
from support.devices import fake_apks_in  # noqa: E402

#: The lab is the tests' target kind, not the product's: this entry registers it.
LAB_ENTRY = REPO / "tests" / "support" / "lab_entry.py"
ANDROID_PY = REPO / "Android" / "android.py"
SERIALS = ("emulator-5554", "emulator-5556")


@dataclass
class Run:
    label: str
    seconds: float
    returncode: int
    files: int  # test files in the JUnit (or regrtest's own count)
    output: str


def lab_wrapper(args: argparse.Namespace) -> Path:
    """The script that runs the host python on the lab's runtime: `test --lab`
    writes it beside the python (tests/support/lab_runner.py)."""
    result = subprocess.run(
        [sys.executable, str(LAB_ENTRY), str(ANDROID_PY), "--checkout", str(args.checkout),
         "--cross-build-dir", str(args.cross_build_dir), "test", args.host, "--lab",
         str(args.lab), "-c", "import sys; print(sys.executable)"],
        capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"the host python does not run on the lab:\n{result.stdout}{result.stderr}")
    found = sorted((args.cross_build_dir / args.host / "prefix" / "bin").glob("python3*-lab"))
    if not found:
        sys.exit(f"no lab wrapper under {args.cross_build_dir / args.host / 'prefix'}")
    return found[0]


def ours(label: str, args: argparse.Namespace, double: AdbDouble, layout: Path,
         serials: tuple[str, ...], tests: list[str], *more: str,
         unplug_after: float | None = None) -> Run:
    junit = layout / f"{label.split()[0]}.xml"
    command = [sys.executable, str(ANDROID_PY), "--checkout", str(args.checkout),
               "--cross-build-dir", str(layout), "test", args.host, "--connected",
               ",".join(serials), *more, "--junit-xml", str(junit), "--", *tests]
    timer = None
    if unplug_after is not None:
        device = next(d for d in double.listed() if d.serial == serials[-1])
        timer = threading.Timer(unplug_after, device.disconnect)
        timer.start()
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=double.env)
    seconds = time.perf_counter() - started
    if timer is not None:
        timer.cancel()
    files = len(list(JUnitXml.fromfile(str(junit)))) if junit.is_file() else 0
    return Run(label, seconds, result.returncode, files, result.stdout + result.stderr)


def regrtest_j2(wrapper: Path, tests: list[str]) -> Run:
    started = time.perf_counter()
    result = subprocess.run([str(wrapper), "-m", "test", "-j2", *tests], capture_output=True,
                            text=True)
    seconds = time.perf_counter() - started
    ran = re.search(r"Total test files: run=(\d+)", result.stdout)
    return Run("regrtest -j2", seconds, result.returncode, int(ran[1]) if ran else 0,
               result.stdout + result.stderr)


def judge(name: str, value: float, target: str, ok: bool) -> bool:
    print(f"  {name}: {value:.2f} (target {target}){'' if ok else '  MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, required=True)
    parser.add_argument("--cross-build-dir", type=Path, required=True)
    parser.add_argument("--lab", type=Path, required=True, help="make-lab.sh's DIR")
    parser.add_argument("--host", default="x86_64-linux-android")
    parser.add_argument("--selection", default="",
                        help="comma-separated test files (default: the whole suite)")
    args = parser.parse_args()
    tests = [name for name in args.selection.split(",") if name]
    wrapper = lab_wrapper(args)
    abi = {"x86_64-linux-android": "x86_64", "aarch64-linux-android": "arm64-v8a"}[args.host]
    with tempfile.TemporaryDirectory(prefix="device-pool-") as scratch, AdbDouble() as double:
        layout = Path(scratch) / "cross-build"
        fake_apks_in(layout, args.host, apps=2)  # build-testbed --per-device 2
        for serial in SERIALS:
            double.add_device(serial, Path(scratch) / serial, python=[str(wrapper)],
                              props={"ro.product.cpu.abilist": abi})
        # The single-process run first: like any run, it records each file's time
        # (cross-build/logs/test-durations-HOST.json), by which the sharded runs
        # after it weigh their files, as a buildbot's every run after its first.
        single = ours("single (1 device, 1 process)", args, double, layout, SERIALS[:1], tests,
                      "--per-device", "1")
        runs = [ours("pool (1 device, 2 processes)", args, double, layout, SERIALS[:1], tests,
                     "--per-device", "2"),
                regrtest_j2(wrapper, tests), single,
                ours("two (2 devices, undisturbed)", args, double, layout, SERIALS, tests,
                     "--per-device", "1")]
        runs.append(ours("lost (2 devices, one unplugged halfway)", args, double, layout,
                         SERIALS, tests, "--per-device", "1",
                         unplug_after=runs[3].seconds / 2))
    print(f"{args.host} on the android-lab through the ADB double, "
          f"{'the whole suite' if not tests else ' '.join(tests)}:")
    for run in runs:
        print(f"  {run.label:42} {run.seconds:7.1f} s  {run.files} files  exit {run.returncode}")
    pool, j2, single, two, lost = runs
    # android.py exits 0 or 1 for the tests' result, regrtest 0, 2 (a test
    # failed) or 3 (environment changed); anything else, or no file, is breakage.
    broken = [run for run in runs if not run.files or run.returncode not in (
        (0, 2, 3) if run is j2 else (0, 1))]
    if broken:  # not a measurement: a run that could not run its tests
        for run in broken:
            print(f"{run.label} exited {run.returncode} with {run.files} files:\n"
                  f"{run.output[-3000:]}")
        return 2
    expected = two.files
    ok = all([
        judge("pool / regrtest -j2", pool.seconds / j2.seconds, "<= 1.05",
              pool.seconds <= 1.05 * j2.seconds),
        judge("single / pool (speed-up)", single.seconds / pool.seconds, ">= 1.8",
              single.seconds >= 1.8 * pool.seconds),
        judge("lost / undisturbed", lost.seconds / two.seconds, "<= 1.6",
              lost.seconds <= 1.6 * two.seconds),
    ])
    if lost.files != expected or lost.returncode != two.returncode:
        print(f"  MISSED: the run that lost a device has {lost.files} files (undisturbed: "
              f"{expected}), exit {lost.returncode} (undisturbed: {two.returncode})")
        ok = False
    if "Lost device" not in lost.output:
        print("  (the unplugged device had finished its work before it went: nothing to lose)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
