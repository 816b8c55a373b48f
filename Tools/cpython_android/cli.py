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
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import steps
from .console import Console
from .deps import DepsOptions
from .errors import USAGE_EXIT_STATUS, CommandFailed, UserError
from .hosts import DEFAULT_API_LEVEL, supported_description, validate_api_level
from .textutil import export_lines
from .toolchains.ndk import DEFAULT_NDK_VERSION

PROG = "android.py"


class Parser(argparse.ArgumentParser):
    """argparse, but bad input is one line (what is wrong, what to do), exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """Arguments after `--` go to the subcommand's `after_dashes` list.

        argparse fills a trailing nargs="*" positional at the first positional
        it meets (the HOST), so `test HOST --timeout 5 -- -v` would leave
        `-- -v` unrecognised; splitting at `--` first avoids that.
        """
        argv = list(sys.argv[1:] if args is None else args)
        tail: list[str] = []
        if "--" in argv:
            cut = argv.index("--")
            argv, tail = argv[:cut], argv[cut + 1:]
        parsed = super().parse_args(argv, namespace)
        if tail:
            dest = getattr(parsed, "after_dashes", None)
            if dest is None:
                self.error(f"unrecognized arguments: -- {' '.join(tail)}")
            setattr(parsed, dest, [*getattr(parsed, dest), *tail])
        return parsed


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
        parser.set_defaults(after_dashes="configure_args")


def add_deps_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the prerequisite libraries (OpenSSL, libffi, ...) come from."""
    group = parser.add_argument_group("prerequisite libraries")
    group.add_argument("--no-deps", action="store_true",
                       help="leave the prefix's libraries as they are")
    group.add_argument("--deps-from-source", action="store_true",
                       help="build the libraries from source archives with the host's "
                       "toolchain (GNU hosts have no prebuilt ones)")
    group.add_argument("--deps-source", type=_existing_dir, action="append", default=[],
                       metavar="DIR", help="where the pinned source archives are (repeatable)")
    group.add_argument("--deps-dir", type=_existing_dir, metavar="DIR",
                       help="use the archives in DIR; never download")
    group.add_argument("--cache-dir", type=Path, metavar="DIR",
                       help="download cache (default: ~/.cache/cpython-android/deps)")
    group.add_argument("--deps-mirror", metavar="URL",
                       help="base URL to download prebuilt archives from instead of "
                       "BeeWare's GitHub releases")
    group.add_argument("--require-hashes", action="store_true",
                       help="refuse archives without a pinned sha256 (no trust on first use)")
    group.add_argument("--deps-pins", type=Path, metavar="FILE",
                       help="a pins file to use instead of the built-in pins.toml")


def deps_options_of(args: argparse.Namespace) -> DepsOptions:
    return DepsOptions(
        skip=getattr(args, "no_deps", False),
        only=tuple(getattr(args, "libraries", ())),
        cache_dir=getattr(args, "cache_dir", None),
        deps_dir=getattr(args, "deps_dir", None),
        mirror=getattr(args, "deps_mirror", None),
        require_hashes=getattr(args, "require_hashes", False),
        from_source=getattr(args, "deps_from_source", False),
        source_dirs=tuple(getattr(args, "deps_source", ())),
        pins_file=getattr(args, "deps_pins", None),
    )


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds")
    return number


def _shard_count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of shards (1 or more)")
    return int(value)


def _existing_file(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{value} is not a file")
    return path.resolve()


def add_test_arguments(parser: argparse.ArgumentParser) -> None:
    """`test`: upstream's options, plus sharding, resume, deadlines and JUnit."""
    parser.add_argument("host", metavar="HOST", help=f"target triplet: "
                        f"{supported_description()}; or `build` for the native build python")
    parser.add_argument("--api-level", type=_api_level, default=DEFAULT_API_LEVEL,
                        metavar="N", help="Android API level of the build (Android hosts)")
    # SUPPRESS: without -v here, the global `android.py -v test` count stays.
    parser.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="show how the target is driven (repeat for more)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("-c", dest="code", metavar="CODE", help="run CODE instead of the tests")
    what.add_argument("-m", dest="module", metavar="MODULE",
                      help="run MODULE (default: `test`, the regression tests)")
    parser.add_argument("--site-packages", type=_existing_dir, metavar="DIR",
                        help="directory to use as site-packages (Android: copied to the "
                        "app; GNU and native: put on PYTHONPATH, which -E ignores)")
    parser.add_argument("--cwd", type=_existing_dir, metavar="DIR",
                        help="run in a copy of DIR")
    ci = parser.add_mutually_exclusive_group()
    ci.add_argument("--fast-ci", action="store_const", dest="ci_mode", const="fast",
                    help="regrtest's --fast-ci, as upstream's GitHub Actions run it")
    ci.add_argument("--slow-ci", action="store_const", dest="ci_mode", const="slow",
                    help="regrtest's --slow-ci, as upstream's buildbots run it")
    parser.add_argument("--junit-xml", type=Path, metavar="PATH",
                        help="write the results as JUnit XML to PATH")
    parser.add_argument("--shards", type=_shard_count, default=1, metavar="N",
                        help="split the test files across N runners (GNU and native: "
                        "N processes; Android: N devices)")
    parser.add_argument("--durations", type=_existing_file, metavar="FILE",
                        help="an earlier JUnit file: balance the shards by its durations")
    parser.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                        help="after a crash or hang, run the test files not run yet in a "
                        "fresh process (default: on)")
    parser.add_argument("--timeout", type=_positive_float, metavar="SECONDS",
                        help="per test file (regrtest's --timeout)")
    parser.add_argument("--deadline", type=_positive_float, metavar="SECONDS",
                        help="for the whole run: then every target process is killed")
    device = parser.add_mutually_exclusive_group()
    device.add_argument("--connected", metavar="SERIAL[,SERIAL]",
                        help="Android: run on these connected devices (see `adb devices`)")
    device.add_argument("--managed", metavar="NAME", help="Android: a Gradle managed device")
    device.add_argument("--avd", metavar="NAME", help="Android: boot this emulator (AVD)")
    device.add_argument("--lab", type=_existing_dir, metavar="DIR",
                        help="Android: run the host python on the android-lab's bionic "
                        "runtime in DIR (make-lab.sh DIR), without a device")
    parser.add_argument("args", nargs="*", metavar="ARG",
                        help="after --: regrtest's arguments, or a whole python command "
                        "line if they contain -c or -m")


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
    add_deps_arguments(p)
    p.set_defaults(handler=cmd_configure_host)

    p = sub.add_parser("make-host", help="run make and make install for the host python")
    add_host_arguments(p)
    add_build_arguments(p, configure=False)
    p.set_defaults(handler=cmd_make_host)

    p = sub.add_parser("build", help="configure-build, make-build, deps, configure-host, make-host")
    add_host_arguments(p)
    add_build_arguments(p, configure=True)
    add_deps_arguments(p)
    p.set_defaults(handler=cmd_build)

    p = sub.add_parser("deps", help="put the prerequisite libraries (OpenSSL, libffi, ...) "
                       "into the host prefix and say where each came from")
    add_host_arguments(p)
    p.add_argument("libraries", nargs="*", metavar="LIB",
                   help="only these libraries, named right after HOST (default: all the "
                   "host needs)")
    add_build_arguments(p, configure=False)
    add_deps_arguments(p)
    p.set_defaults(handler=cmd_deps)

    p = sub.add_parser("env", help="print the host's build environment as export lines")
    add_host_arguments(p)
    p.set_defaults(handler=cmd_env)

    p = sub.add_parser("clean", help="delete a host's build tree, or every tree")
    add_host_arguments(p, required=False)
    p.set_defaults(handler=cmd_clean)

    p = sub.add_parser("run", help="run the host python (GNU hosts: under qemu-user)")
    add_host_arguments(p)
    p.add_argument("args", nargs="*", metavar="ARG", help="arguments for python (after --)")
    p.set_defaults(handler=cmd_run, after_dashes="args")

    p = sub.add_parser("test", help="run the test suite (or any python) on HOST; "
                       "HOST `build` is the native build python")
    add_test_arguments(p)
    p.set_defaults(handler=cmd_test, after_dashes="args")

    p = sub.add_parser("build-testbed", help="build the testbed app and its test APK for "
                       "an Android HOST (once: `test` installs them on every device)")
    add_host_arguments(p)
    p.set_defaults(handler=cmd_build_testbed)

    p = sub.add_parser("setup-testbed", help="fetch the Gradle wrapper into testbed/ "
                       "(build-testbed and test do it when needed)")
    p.set_defaults(handler=cmd_setup_testbed)

    p = sub.add_parser("devices", help="list the Android devices adb sees, with their state")
    p.set_defaults(handler=cmd_devices)

    p = sub.add_parser("results", help="convert a saved regrtest output (plain or -v, "
                       "sequential or -j) to JUnit XML; exit 0 only if it shows success")
    p.add_argument("log", metavar="LOG", type=Path, help="the saved output of a regrtest run")
    p.add_argument("--regrtest-xml", metavar="FILE", type=Path, default=None,
                   help="the XML regrtest itself wrote with --junit-xml, merged in")
    p.add_argument("--junit-xml", metavar="OUT", type=Path, default=None,
                   help="where to write the JUnit XML (default: only print the summary)")
    p.set_defaults(handler=cmd_results)

    p = sub.add_parser("check", help="check the host prefix's ELF files (machine, 16 KB "
                       "pages, DT_NEEDED, RPATH); exit 1 on any problem")
    add_host_arguments(p)
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("package", help="check, then write python-VERSION-HOST.tar.gz in "
                       "cross-build/HOST/dist")
    add_host_arguments(p)
    p.add_argument("-g", "--debug", action="store_true",
                   help="keep debug information (do not strip .so files)")
    p.set_defaults(handler=cmd_package)

    p = sub.add_parser("cross-env", help="create DIR: an environment whose python builds "
                       "wheels for HOST, plus CMake, Meson and py-build-cmake cross files")
    add_host_arguments(p)
    p.add_argument("directory", metavar="DIR", type=Path, help="where to create it")
    p.set_defaults(handler=cmd_cross_env)

    p = sub.add_parser("build-wheel", help="cross-build a wheel of PROJECT_DIR for HOST")
    add_host_arguments(p)
    p.add_argument("project", metavar="PROJECT_DIR", type=Path, help="the project to build")
    p.add_argument("-o", "--outdir", metavar="DIST", type=Path, default=Path("dist"),
                   help="where the wheel goes (default: ./dist)")
    p.add_argument("--env", metavar="DIR", type=Path, default=None,
                   help="cross environment to use or create (default: "
                   "cross-build/HOST/cross-env)")
    p.set_defaults(handler=cmd_build_wheel)
    return parser


# --- building the context from arguments -------------------------------------

def script_dir() -> Path | None:
    """Android/ when running as Android/android.py (set by the shim)."""
    value = os.environ.get("_ANDROID_PY_SCRIPT_DIR")
    return Path(value) if value else None


def context_of(args: argparse.Namespace, console: Console) -> steps.BuildContext:
    ctx = steps.make_context(
        console=console, checkout=args.checkout, cross_build_dir=args.cross_build_dir,
        script_dir=script_dir(), host=getattr(args, "host", None),
        api_level=getattr(args, "api_level", DEFAULT_API_LEVEL),
        configure_args=getattr(args, "configure_args", ()), clean=getattr(args, "clean", False),
        jobs=getattr(args, "jobs", None), ndk_version=getattr(args, "ndk_version", None),
        ccache=getattr(args, "ccache", False))
    ctx.deps = deps_options_of(args)
    return ctx


# --- handlers: one library call each -----------------------------------------

def cmd_configure_build(args: argparse.Namespace, console: Console) -> int:
    steps.configure_build(context_of(args, console))
    return 0


def cmd_make_build(args: argparse.Namespace, console: Console) -> int:
    steps.make_build(context_of(args, console))
    return 0


def cmd_configure_host(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console)
    steps.prepare_deps(ctx)  # as upstream: configure-host fills the prefix first
    steps.configure_host(ctx)
    return 0


def cmd_deps(args: argparse.Namespace, console: Console) -> int:
    from .deps.install import prepare

    prepare(context_of(args, console), explicit=True)
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


def cmd_test(args: argparse.Namespace, console: Console) -> int:
    from . import harness

    options = harness.TestOptions(
        code=args.code, module=args.module, args=tuple(args.args), ci_mode=args.ci_mode,
        site_packages=args.site_packages, cwd=args.cwd, junit_xml=args.junit_xml,
        durations=args.durations, shards=args.shards, resume=args.resume,
        timeout=args.timeout, deadline=args.deadline, verbose=args.verbose)
    native = args.host == harness.NATIVE_HOST
    ctx = steps.make_context(console=console, checkout=args.checkout,
                             cross_build_dir=args.cross_build_dir, script_dir=script_dir(),
                             host=None if native else args.host, api_level=args.api_level)
    connected = tuple(s for s in (args.connected or "").split(",") if s)
    return harness.run_test_command(options, ctx, connected=connected, managed=args.managed,
                                    avd=args.avd, lab=args.lab)


def cmd_build_testbed(args: argparse.Namespace, console: Console) -> int:
    from . import testbed
    testbed.build_testbed(context_of(args, console))
    return 0


def cmd_setup_testbed(args: argparse.Namespace, console: Console) -> int:
    from . import testbed
    testbed.setup_wrapper()
    return 0


def cmd_devices(args: argparse.Namespace, console: Console) -> int:
    from . import devices
    for line in devices.describe_devices():
        console.write(line)
    return 0


def cmd_results(args: argparse.Namespace, console: Console) -> int:
    from . import results

    converted = results.convert_log(args.log, args.junit_xml, args.regrtest_xml)
    print(converted.summary())
    return converted.exit_status()


def cmd_check(args: argparse.Namespace, console: Console) -> int:
    from . import package

    return package.check(context_of(args, console))


def cmd_package(args: argparse.Namespace, console: Console) -> int:
    from . import package

    return package.package(context_of(args, console), debug=args.debug)


def cmd_cross_env(args: argparse.Namespace, console: Console) -> int:
    from . import crossenv

    crossenv.create(context_of(args, console), args.directory)
    return 0


def cmd_build_wheel(args: argparse.Namespace, console: Console) -> int:
    from . import wheels

    wheels.build_wheel(context_of(args, console), args.project, args.outdir, env_dir=args.env)
    return 0


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
            stream.reconfigure(line_buffering=True)
    parser = build_parser()
    verbose = 0
    try:
        args = parser.parse_args(argv)
        verbose = args.verbose
        console = Console(verbose=verbose)
        _sigterm_as_interrupt()
        handler: Handler = args.handler
        return handler(args, console)
    except OSError as e:
        # The file system or a program said no (permissions, a full disk, a
        # missing program): one line, and the traceback only when asked for.
        if verbose:
            traceback.print_exc()
        where = f": {e.filename}" if e.filename else ""
        print(f"{PROG}: error: {e.strerror or e}{where} (-v shows the traceback)",
              file=sys.stderr)
        return 1
    except UserError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return USAGE_EXIT_STATUS
    except CommandFailed as e:
        print(e.describe(), file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
