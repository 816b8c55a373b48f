"""The command line: a table of subcommands, each one call into the library.

Options are declared once (`cli.options`); errors are formatted by
`errors.report` (one line and exit status 2 for bad input; command, status,
log tail and log path for a failed subprocess).  Nothing below this module
exits.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from .. import (
    ci,
    context,
    crossenv,
    devices,
    harness,
    package,
    pythoninfo,
    results,
    steps,
    targets,
    testbed,
    treelock,
    wheels,
)
from ..checkout import Shape, shape_of
from ..console import Console
from ..crash import for_layout
from ..crash.collect import symbolize_command
from ..deps import install as deps_install
from ..errors import UserError, report
from ..hosts import ANDROID_ABIS
from ..hostsettings import Use
from ..runners import Connected, TargetKind, qemu
from . import options as opt
from . import own_options as own
from .contexts import context_of, runner_spec, target_from, test_contexts

PROG = "android.py"

Handler = Callable[[argparse.Namespace, Console], int]
Options = Callable[[argparse.ArgumentParser], None]


class Parser(argparse.ArgumentParser):
    """argparse, but bad input is one line (what is wrong, what to do), exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


def simple(step: Callable[[context.BuildContext], object],
           settings: Use = Use.REQUIRE, trees: Trees | None = None) -> Handler:
    """A handler that runs one library function over the context; status 0.
    `settings`: Use.BUILD for build steps (an explicit other NDK version, API
    level or configure arguments reconfigures the host).  `trees`: the build
    trees the step changes, each held locked while it runs (treelock)."""
    def handler(args: argparse.Namespace, console: Console) -> int:
        ctx = context_of(args, console, settings=settings)
        with treelock.holding(trees(ctx) if trees else (), console.write):
            step(ctx)
        return 0
    return handler


#: Which trees a command changes: locked while it runs.
Trees = Callable[[context.BuildContext], list[Path]]


def build_tree(ctx: context.BuildContext) -> list[Path]:
    return [ctx.layout.build_dir]


def host_tree(ctx: context.BuildContext) -> list[Path]:
    return [ctx.layout.host_dir(ctx.require_host())]


def building(step: Callable[[context.BuildContext], object]) -> Handler:
    return simple(step, Use.BUILD, host_tree)


def checked(step: Callable[[context.BuildContext], int]) -> Handler:
    """A handler whose library function returns the exit status."""
    return lambda args, console: step(context_of(args, console))


# --- handlers that need more than the context ---------------------------------------

def cmd_deps(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console, settings=Use.BUILD)
    with treelock.holding(host_tree(ctx), console.write):
        deps_install.prepare(ctx, explicit=True)
    return 0


def cmd_build(args: argparse.Namespace, console: Console) -> int:
    base = context_of(args, console, settings=Use.BUILD)
    selection = targets.select(args.target, base.layout, for_build=True)
    trees = [base.layout.host_dir(host) for host in selection.hosts]
    if selection.build_python:
        trees.append(base.layout.build_dir)
    with treelock.holding(trees, console.write):
        targets.build(selection, lambda host: base if host is None else context_of(
            args, console, settings=Use.BUILD, host=host))
    return 0


def cmd_env(args: argparse.Namespace, console: Console) -> int:
    host = context.env_host(args.host, args.checkout, args.script_dir)
    sys.stdout.write(context.export_script(context_of(args, console, host=host)))
    return 0


def cmd_clean(args: argparse.Namespace, console: Console) -> int:
    layout = context_of(args, console).layout
    selection = targets.select(args.target, layout, for_build=False)
    with treelock.holding(targets.clean_paths(selection, layout), console.write):
        targets.clean(selection, layout, console)
    return 0


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console)
    return qemu.run_host_python(ctx.layout, ctx.require_host(), list(args.args))


def cmd_test(args: argparse.Namespace, console: Console) -> int:
    (ctx, target), *more = test_contexts(args, console)
    others = [(c, devices) for c, devices in more if isinstance(devices, Connected)]
    return harness.run_test_command(opt.pick(harness.TestOptions, args), ctx, target,
                                    more_devices=others)


def cmd_build_testbed(args: argparse.Namespace, console: Console) -> int:
    """HOST, or (as upstream's, whose APK holds every built ABI) each built Android host."""
    if args.host is not None:
        testbed.build_testbed(context_of(args, console), args.per_device or 1)
        return 0
    layout = context_of(args, console).layout
    hosts = [name for name in layout.installed_hosts() if name in ANDROID_ABIS]
    if not hosts:
        raise UserError(f"build-testbed: no Android host is built in {layout.root}: build one "
                        "(`android.py build aarch64-linux-android`) or name HOST")
    for host in hosts:
        testbed.build_testbed(context_of(args, console, host=host), args.per_device or 1)
    return 0


def cmd_pythoninfo_build(args: argparse.Namespace, console: Console) -> int:
    pythoninfo.build_python(context_of(args, console))
    return 0


def cmd_pythoninfo(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console, native_ok=True)
    return pythoninfo.host_python(ctx, runner_spec(args, ctx))


def cmd_ci(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console, settings=Use.BUILD)
    given = args.connected or args.managed or args.avd
    target = target_from(args, ctx.host) if given and ctx.require_host().is_android else None
    return ci.run(ctx, opt.pick(ci.CiOptions, args, target=target))


def cmd_setup_testbed(args: argparse.Namespace, console: Console) -> int:
    testbed.setup_wrapper()
    return 0


def cmd_devices(args: argparse.Namespace, console: Console) -> int:
    for line in devices.describe_devices(args.connected):
        console.write(line)
    return 0


def cmd_results(args: argparse.Namespace, console: Console) -> int:
    html = results.html_path(args.junit_xml, args.html, off=args.html_off)
    converted = results.convert_log(args.log, args.junit_xml, args.regrtest_xml, html)
    if html is not None:
        print(f"HTML report: {html}")
    print(converted.summary())
    return converted.exit_status()


def cmd_symbolize(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console, native_ok=True)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(
            encoding="utf-8", errors="replace")
    except OSError as e:
        raise UserError(f"cannot read {args.file}: {e.strerror or e}") from None
    symbols = for_layout(ctx.layout, ctx.host, ctx.toolchain_options.ndk_version)
    output, status = symbolize_command(text, symbols, "stdin" if args.file == "-" else args.file)
    sys.stdout.write(output)
    return status


def cmd_package(args: argparse.Namespace, console: Console) -> int:
    ctx = context_of(args, console)
    with treelock.holding(host_tree(ctx), console.write):  # not while make-host installs
        return package.package(ctx, debug=args.debug)


def cmd_cross_env(args: argparse.Namespace, console: Console) -> int:
    crossenv.create(context_of(args, console), args.directory)
    return 0


def cmd_build_wheel(args: argparse.Namespace, console: Console) -> int:
    wheels.build_wheel(context_of(args, console), args.project, args.outdir, env_dir=args.env)
    return 0


# --- the table -----------------------------------------------------------------------

@dataclass(frozen=True)
class Command:
    name: str
    help: str
    handler: Handler
    options: tuple[Options, ...] = ()


HOST, CONFIGURE, MAKE, DEPS = (opt.host_options, opt.configure_options, opt.make_options,
                               opt.deps_options)

COMMANDS = (
    Command("configure-build", "run configure for the build python",
            simple(steps.configure_build, trees=build_tree), (CONFIGURE, opt.variant_options)),
    Command("make-build", "run make for the build python",
            simple(steps.make_build, trees=build_tree),
            (MAKE, opt.variant_options)),
    Command("configure-host", "run configure for the host python",
            building(steps.configure_host_with_deps), (HOST, CONFIGURE, DEPS)),
    Command("make-host", "run make and make install for the host python",
            simple(steps.make_host, trees=host_tree), (HOST, MAKE)),
    Command("build", "configure-build and make-build, then deps, configure-host and "
            "make-host for each host: TARGET all, build, hosts or HOST",
            cmd_build, (opt.target_options, CONFIGURE, DEPS)),
    Command("deps", "put the prerequisite libraries (OpenSSL, libffi, ...) into the host "
            "prefix and say where each came from", cmd_deps,
            (HOST, opt.deps_libraries, MAKE, DEPS)),
    Command("pythoninfo-build", "run the build python's test.pythoninfo (saved in "
            "cross-build/logs)", cmd_pythoninfo_build),
    Command("pythoninfo", "run the host python's test.pythoninfo on HOST, as `test` runs "
            "it (saved in cross-build/logs)", cmd_pythoninfo,
            (opt.test_host, opt.device_options)),
    Command("ci", "upstream's CI job: build, pythoninfo-build, package, then test the "
            "package extracted elsewhere", cmd_ci, (HOST, opt.make_options, DEPS,
                                                    opt.clean_option, opt.ci_options)),
    Command("env", "print the host's build environment as export lines (HOST: a release "
            "package's own; $ANDROID_API_LEVEL honoured)", cmd_env, (opt.optional_host,)),
    Command("clean", "delete build trees: TARGET all (every tree), build, hosts or HOST",
            cmd_clean, (opt.target_options,)),
    Command("run", "run the host python (GNU hosts: under qemu-user)", cmd_run,
            (HOST, own.run_args)),
    Command("test", "run the test suite (or any python) on HOST (left out, as upstream's: "
            "the device's ABI, the machine's for --managed, a package's own); HOST `build` is "
            "the native build python", cmd_test, (opt.inferred_host, opt.test_options,
                                                   own.test_per_device)),
    Command("build-testbed", "build the testbed app and its test APK for an Android HOST, "
            "or for every Android host built (once: `test` installs them on every device)",
            cmd_build_testbed, (own.testbed_args,)),
    Command("setup-testbed", "fetch the Gradle wrapper into testbed/ (build-testbed and test "
            "do it when needed)", cmd_setup_testbed),
    Command("devices", "list the Android devices adb sees, with their state (and those of "
            "the adb servers ADB_SERVER_SOCKET and --connected name)", cmd_devices,
            (own.devices_args,)),
    Command("results", "convert a saved regrtest output (plain or -v, sequential or -j) to "
            "JUnit XML; exit 0 only if it shows success", cmd_results, (own.results_args,)),
    Command("symbolize", "symbolize a pasted logcat, tombstone or faulthandler output "
            "against HOST's build (frames matched by ELF BuildId)", cmd_symbolize,
            (opt.test_host, own.symbolize_args)),
    Command("check", "check the host prefix's ELF files (machine, 16 KB pages, DT_NEEDED, "
            "RPATH); exit 1 on any problem", checked(package.check), (HOST,)),
    Command("package", "check, then write python-VERSION-HOST.tar.gz in cross-build/HOST/dist",
            cmd_package, (HOST, own.package_args)),
    Command("cross-env", "create DIR: an environment whose python builds wheels for HOST, "
            "plus CMake, Meson and py-build-cmake cross files", cmd_cross_env,
            (HOST, own.cross_env_args)),
    Command("build-wheel", "cross-build a wheel of PROJECT_DIR for HOST", cmd_build_wheel,
            (HOST, own.build_wheel_args)),
)


def prog_name(script_dir: Path | None) -> str:
    """How the user ran us: `Platforms/Android` (main's shape) or `android.py`."""
    if script_dir is not None and shape_of(script_dir) is Shape.PLATFORMS:
        return Shape.PLATFORMS.value
    return PROG


def build_parser(script_dir: Path | None = None,
                 target_kinds: Sequence[TargetKind] = ()) -> Parser:
    """`target_kinds`: where-to-run kinds the product does not ship (the tests'
    android-lab), each adding its option to `test` and `pythoninfo`."""
    parser = Parser(prog=prog_name(script_dir), description="Build CPython for Android (or a "
                    "GNU cross host) and run its test suite there.")
    opt.global_options(parser)
    parser.set_defaults(script_dir=script_dir, target_kinds=tuple(target_kinds), **opt.DEFAULTS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.help)
        opt.subcommand_globals(p)
        for add in command.options:
            add(p)
        if command.name in ("test", "pythoninfo") and target_kinds:
            group = p.add_argument_group("where to run, registered by the caller")
            for kind in target_kinds:
                kind.add_option(group)
        p.set_defaults(handler=command.handler)
    return parser


def parse(parser: Parser, argv: Sequence[str]) -> argparse.Namespace:
    """Arguments after `--` go to the subcommand's `after_dashes` list.

    argparse fills a trailing nargs="*" positional at the first positional
    it meets (the HOST), so `test HOST --timeout 5 -- -v` would leave
    `-- -v` unrecognised; splitting at `--` first avoids that.
    """
    argv, tail = list(argv), []
    if "--" in argv:
        cut = argv.index("--")
        argv, tail = argv[:cut], argv[cut + 1:]
    args = parser.parse_args(argv)
    args.verbose += getattr(args, "verbose_after", 0)
    if tail:
        if args.after_dashes is None:
            parser.error(f"unrecognized arguments: -- {' '.join(tail)}")
        setattr(args, args.after_dashes, [*getattr(args, args.after_dashes), *tail])
    return args


# --- entry point -----------------------------------------------------------------------

def _sigterm_as_interrupt() -> None:
    """A buildbot stops us with SIGTERM: clean up exactly as for Ctrl-C."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None, *, script_dir: Path | None = None,
         target_kinds: Sequence[TargetKind] = ()) -> int:
    """`script_dir`: Android/ when run as Android/android.py (the shim passes it),
    so a copy in a CPython checkout finds that checkout.  `target_kinds`: see
    `build_parser` (the tests' entry script registers the android-lab)."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    verbose = 0
    try:
        args = parse(build_parser(script_dir, target_kinds),
                     sys.argv[1:] if argv is None else argv)
        verbose = args.verbose
        _sigterm_as_interrupt()
        handler: Handler = args.handler
        return handler(args, Console(verbose=verbose))
    except (Exception, KeyboardInterrupt) as e:
        if isinstance(e, OSError) and verbose:
            traceback.print_exc()
        shown = report(e)  # raises again what is not ours (a bug: show its traceback)
        print(shown.text, file=sys.stderr)
        return shown.exit_status
