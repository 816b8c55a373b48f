"""The command line: argparse only.  Every subcommand is one call into the library.

Errors meant for the user (`UserError`) become one line on stderr and exit
status 2; a failed subprocess (`CommandFailed`) shows its command, status,
log tail and log path, with exit status 1.  Nothing below this module exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import steps
from .console import Console
from .errors import USAGE_EXIT_STATUS, CommandFailed, UserError
from .hosts import DEFAULT_API_LEVEL, supported_description, validate_api_level
from .textutil import export_lines
from .toolchains.ndk import DEFAULT_NDK_VERSION

PROG = "android.py"


class Parser(argparse.ArgumentParser):
    """argparse, but bad input is one line (what is wrong, what to do), exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


def _api_level(value: str) -> int:
    try:
        return validate_api_level(value)
    except UserError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _existing_dir(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is not a directory")
    return path.resolve()


# --- argument groups shared by several subcommands ---------------------------

def add_host_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("host", metavar="HOST", nargs=None if required else "?",
                        help=f"target triplet: {supported_description()}")
    parser.add_argument("--api-level", type=_api_level, default=DEFAULT_API_LEVEL,
                        metavar="N", help="minimum Android API level (default "
                        f"{DEFAULT_API_LEVEL}, at least 21; Android hosts only)")
    parser.add_argument("--ndk-version", default=None, metavar="VERSION",
                        help=f"Android NDK version (default {DEFAULT_NDK_VERSION})")


def add_build_arguments(parser: argparse.ArgumentParser, *, configure: bool) -> None:
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="parallel make jobs (default: CPU count)")
    parser.add_argument("--ccache", action="store_true",
                        help="compile through ccache (shares hits across build trees)")
    if configure:
        parser.add_argument("--clean", action="store_true",
                            help="delete the relevant build directories first")
        parser.add_argument("configure_args", nargs="*", metavar="ARG",
                            help="extra arguments for configure (after --)")


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="Build CPython for Android (or a GNU cross host) "
                    "and run its test suite there.")
    parser.add_argument("--checkout", type=Path, metavar="DIR",
                        help="CPython source tree (default: $CPYTHON_CHECKOUT, or the tree "
                        "this script is in)")
    parser.add_argument("--cross-build-dir", type=Path, metavar="DIR",
                        help="where builds go (default: <checkout>/cross-build)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="show subprocess output as it comes")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("configure-build", help="run configure for the build python")
    add_build_arguments(p, configure=True)
    p.set_defaults(handler=cmd_configure_build)

    p = sub.add_parser("make-build", help="run make for the build python")
    add_build_arguments(p, configure=False)
    p.set_defaults(handler=cmd_make_build)

    p = sub.add_parser("configure-host", help="run configure for the host python")
    add_host_arguments(p)
    add_build_arguments(p, configure=True)
    p.set_defaults(handler=cmd_configure_host)

    p = sub.add_parser("make-host", help="run make and make install for the host python")
    add_host_arguments(p)
    add_build_arguments(p, configure=False)
    p.set_defaults(handler=cmd_make_host)

    p = sub.add_parser("build", help="configure-build, make-build, configure-host, make-host")
    add_host_arguments(p)
    add_build_arguments(p, configure=True)
    p.set_defaults(handler=cmd_build)

    p = sub.add_parser("env", help="print the host's build environment as export lines")
    add_host_arguments(p)
    p.set_defaults(handler=cmd_env)

    p = sub.add_parser("clean", help="delete a host's build tree, or every tree")
    add_host_arguments(p, required=False)
    p.set_defaults(handler=cmd_clean)

    p = sub.add_parser("run", help="run the host python (GNU hosts: under qemu-user)")
    add_host_arguments(p)
    p.add_argument("args", nargs="*", metavar="ARG", help="arguments for python (after --)")
    p.set_defaults(handler=cmd_run)
    return parser


# --- building the context from arguments -------------------------------------

def script_dir() -> Path | None:
    """Android/ when running as Android/android.py (set by the shim)."""
    value = os.environ.get("_ANDROID_PY_SCRIPT_DIR")
    return Path(value) if value else None


def context_of(args: argparse.Namespace, console: Console) -> steps.BuildContext:
    return steps.make_context(
        console=console, checkout=args.checkout, cross_build_dir=args.cross_build_dir,
        script_dir=script_dir(), host=getattr(args, "host", None),
        api_level=getattr(args, "api_level", DEFAULT_API_LEVEL),
        configure_args=getattr(args, "configure_args", ()), clean=getattr(args, "clean", False),
        jobs=getattr(args, "jobs", None), ndk_version=getattr(args, "ndk_version", None),
        ccache=getattr(args, "ccache", False))


# --- handlers: one library call each -----------------------------------------

def cmd_configure_build(args: argparse.Namespace, console: Console) -> int:
    steps.configure_build(context_of(args, console))
    return 0


def cmd_make_build(args: argparse.Namespace, console: Console) -> int:
    steps.make_build(context_of(args, console))
    return 0


def cmd_configure_host(args: argparse.Namespace, console: Console) -> int:
    steps.configure_host(context_of(args, console))
    return 0


def cmd_make_host(args: argparse.Namespace, console: Console) -> int:
    steps.make_host(context_of(args, console))
    return 0


def cmd_build(args: argparse.Namespace, console: Console) -> int:
    steps.build_all(context_of(args, console))
    return 0


def cmd_env(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console)
    sys.stdout.write(export_lines(steps.export_environment(ctx, ctx.toolchain())))
    return 0


def cmd_clean(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console)
    steps.clean(ctx.layout, console, ctx.host)
    return 0


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console)
    command = steps.host_python_command(ctx, list(args.args))
    return subprocess.run(command).returncode


# --- entry point -------------------------------------------------------------

Handler = Callable[[argparse.Namespace, Console], int]


def _sigterm_as_interrupt() -> None:
    """A buildbot stops us with SIGTERM: clean up exactly as for Ctrl-C."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        console = Console(verbose=args.verbose)
        _sigterm_as_interrupt()
        handler: Handler = args.handler
        return handler(args, console)
    except UserError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return USAGE_EXIT_STATUS
    except CommandFailed as e:
        print(e.describe(), file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
