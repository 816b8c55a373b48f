"""Options that only one subcommand has (the shared ones are in `options`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import options as opt
from . import values


def run_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs="*", metavar="ARG", help="arguments for python (after --)")
    parser.set_defaults(after_dashes="args")


def results_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", metavar="LOG", type=Path,
                        help="the saved output of a regrtest run, or the JUnit XML of an "
                        "android.py run (to make its HTML report again)")
    parser.add_argument("--regrtest-xml", metavar="FILE", type=Path, default=None,
                        help="the XML regrtest itself wrote with --junit-xml, merged in")
    parser.add_argument("--junit-xml", metavar="OUT", type=opt.output_file, default=None,
                        help="where to write the JUnit XML (default: only print the summary)")
    opt.html_options(parser)


def symbolize_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", nargs="?", default="-",
                        help="a pasted logcat, tombstone or faulthandler output (default or "
                        "`-`: stdin)")


def package_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-g", "--debug", action="store_true",
                        help="keep debug information (do not strip .so files)")


def cross_env_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", type=opt.usable_dir,
                        help="where to create it")


def build_wheel_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT_DIR", type=Path, help="the project to build")
    parser.add_argument("-o", "--outdir", metavar="DIST", type=opt.usable_dir,
                        default=Path("dist"),
                        help="where the wheel goes (default: ./dist)")
    parser.add_argument("--env", metavar="DIR", type=opt.usable_dir, default=None,
                        help="cross environment to use or create (default: "
                        "cross-build/HOST/cross-env)")


def test_per_device(parser: argparse.ArgumentParser) -> None:
    """`test --per-device N` (runners/slots.py)."""
    parser.add_argument("--per-device", type=values.per_device_count, metavar="N",
                        help="Android: run N test processes on each device side by side, each "
                        "its own copy of the testbed app (default: the device's CPUs, at most "
                        "the copies the built testbed holds)")


def testbed_args(parser: argparse.ArgumentParser) -> None:
    """`build-testbed [HOST] [--per-device N]`."""
    opt.optional_host(parser)
    parser.add_argument("--per-device", type=values.per_device_count, metavar="N",
                        help="build N copies of the app, each its own application ID, for "
                        "`test --per-device N` (default: 1, the app as upstream's)")


def devices_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--connected", type=values.addresses, default=(),
                        metavar="ADDRESS[,ADDRESS]",
                        help="list the devices of the adb servers these name "
                        "(tcp:HOST:PORT/SERIAL, as `test --connected` takes them)")
