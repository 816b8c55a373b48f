"""invoke tasks mirroring android.py's subcommands, each a call into the library.

    invoke build --host aarch64-linux-gnu --checkout ~/cpython
    invoke env --host aarch64-linux-android
    invoke --list
    invoke test -h          # a task's options (tasks have no short flags)
"""

from __future__ import annotations

import functools
import inspect
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from invoke import Exit, task

sys.path.insert(0, str(Path(__file__).resolve().parent / "Tools"))

from cpython_android import context as build_context  # noqa: E402
from cpython_android import steps  # noqa: E402
from cpython_android.console import Console  # noqa: E402
from cpython_android.errors import ToolError, report  # noqa: E402

HELP = {"checkout": "CPython source tree", "cross_build_dir": "where builds go",
        "host": "target triplet", "api_level": "Android API level",
        "ccache": "compile through ccache", "clean": "delete build directories first",
        "jobs": "parallel make jobs",
        "from_source": "build the prerequisite libraries from source archives",
        "deps_source": "directory of the libraries' source archives",
        "module": "python module to run (default: test)", "code": "python code to run",
        "args": "arguments, as one shell-quoted string", "junit_xml": "JUnit XML to write",
        "shards": "parallel runners", "timeout": "seconds per test file",
        "connected": "device serials, comma-separated", "log": "saved regrtest output",
        "debug": "keep debug information", "directory": "where to create it",
        "project": "project directory", "outdir": "where the wheel goes"}


def library_task(function: Callable[..., Any]) -> Any:
    """An invoke task that reports our errors as the command line does
    (`errors.report`): one line and status 2, or the failed command's report
    and status 1."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (ToolError, KeyboardInterrupt) as e:
            shown = report(e)
            raise Exit(shown.text, code=shown.exit_status) from None

    params = inspect.signature(function).parameters
    # No automatic short flags: they would make `-h` mean --host, not help.
    return task(wrapper, help={k: v for k, v in HELP.items() if k in params},
                auto_shortflags=False, positional=[])


def opt_int(value: str | int | None) -> int | None:
    """An option given as text, or None when absent (the host's remembered value)."""
    return None if value is None else int(value)


def context(checkout: str | None, cross_build_dir: str | None, host: str | None = None,
            **options: Any) -> build_context.BuildContext:
    return build_context.make_context(
        console=Console(), checkout=Path(checkout) if checkout else None,
        cross_build_dir=Path(cross_build_dir) if cross_build_dir else None, host=host,
        **{k: v for k, v in options.items() if v is not None})


@library_task
def configure_build(c, checkout=None, cross_build_dir=None, clean=False, ccache=False):
    """Run configure for the native build python (cross-build/build)."""
    steps.configure_build(context(checkout, cross_build_dir, clean=clean, ccache=ccache))


@library_task
def make_build(c, checkout=None, cross_build_dir=None, jobs=None, ccache=False):
    """Run make for the native build python."""
    steps.make_build(context(checkout, cross_build_dir, jobs=jobs, ccache=ccache))


@library_task
def configure_host(c, host, checkout=None, cross_build_dir=None, api_level=None,
                   clean=False, ccache=False):
    """Run configure for the host python (after putting its libraries in the prefix)."""
    steps.configure_host(context(checkout, cross_build_dir, host, api_level=opt_int(api_level),
                                 clean=clean, ccache=ccache))


@library_task
def make_host(c, host, checkout=None, cross_build_dir=None, api_level=None, jobs=None,
              ccache=False):
    """Run make and make install for the host python into cross-build/HOST/prefix."""
    steps.make_host(context(checkout, cross_build_dir, host, api_level=opt_int(api_level),
                            jobs=jobs, ccache=ccache))


@library_task
def build(c, host, checkout=None, cross_build_dir=None, api_level=None, clean=False,
          ccache=False, jobs=None, disable_gil=False):
    """Build everything for a host: configure-build, make-build, deps, configure-host, make-host."""
    steps.build_all(context(checkout, cross_build_dir, host, api_level=opt_int(api_level),
                            clean=clean, ccache=ccache, jobs=jobs,
                            disable_gil=disable_gil))


@library_task
def env(c, host, checkout=None, cross_build_dir=None, api_level=None):
    """Print the host's build environment as export lines."""
    sys.stdout.write(build_context.export_script(
        context(checkout, cross_build_dir, host, api_level=opt_int(api_level))))


@library_task
def clean(c, host=None, checkout=None, cross_build_dir=None):
    """Delete one host's build tree, or every tree (only trees android.py made)."""
    from cpython_android import targets

    ctx = context(checkout, cross_build_dir, host)
    targets.clean(targets.select(str(ctx.host) if ctx.host else targets.ALL, ctx.layout,
                                 for_build=False), ctx.layout, ctx.console)


@library_task
def deps(c, host, checkout=None, cross_build_dir=None, api_level=None,
         from_source=False, deps_source=None, ccache=False):
    """Put the prerequisite libraries into the host prefix; say where each came from."""
    from cpython_android.deps import DepsOptions
    from cpython_android.deps.install import prepare

    prepare(context(checkout, cross_build_dir, host, api_level=opt_int(api_level), ccache=ccache,
                    deps=DepsOptions(from_source=from_source,
                                     source_dirs=(Path(deps_source),) if deps_source else ())),
            explicit=True)


@library_task
def test(c, host, checkout=None, cross_build_dir=None, api_level=None, module=None,
         code=None, args="", junit_xml=None, shards=1, timeout=None, connected=""):
    """Run the test suite (or any python) on the host; host `build` is the native build python."""
    from cpython_android import harness

    options = harness.TestOptions(
        code=code, module=module, args=tuple(shlex.split(args)), shards=int(shards),
        junit_xml=Path(junit_xml) if junit_xml else None,
        timeout=float(timeout) if timeout else None)
    ctx = context(checkout, cross_build_dir, host, api_level=opt_int(api_level), native_ok=True)
    status = harness.run_test_command(options, ctx, connected=tuple(
        serial for serial in connected.split(",") if serial))
    if status:
        raise Exit(code=status)


@library_task
def results(c, log, junit_xml=None):
    """Convert a saved regrtest output to JUnit XML; fail unless it shows success."""
    from cpython_android.results import convert_log

    converted = convert_log(Path(log), Path(junit_xml) if junit_xml else None)
    print(converted.summary())
    if status := converted.exit_status():
        raise Exit(code=status)


@library_task
def check(c, host, checkout=None, cross_build_dir=None, api_level=None):
    """Check the host prefix's ELF files (machine, pages, DT_NEEDED, RPATH)."""
    from cpython_android import package as packaging

    if status := packaging.check(context(checkout, cross_build_dir, host,
                                         api_level=opt_int(api_level))):
        raise Exit(code=status)


@library_task
def package(c, host, checkout=None, cross_build_dir=None, api_level=None, debug=False):
    """Check, then write a release tarball in cross-build/HOST/dist."""
    from cpython_android import package as packaging

    if status := packaging.package(context(checkout, cross_build_dir, host,
                                           api_level=opt_int(api_level)), debug=debug):
        raise Exit(code=status)


@library_task
def cross_env(c, host, directory, checkout=None, cross_build_dir=None, api_level=None):
    """Create an environment whose python cross-builds wheels for the host."""
    from cpython_android import crossenv

    crossenv.create(context(checkout, cross_build_dir, host, api_level=opt_int(api_level)),
                    Path(directory))


@library_task
def build_wheel(c, host, project, outdir, checkout=None, cross_build_dir=None,
                api_level=None):
    """Cross-build a wheel of a project for the host."""
    from cpython_android import wheels

    wheels.build_wheel(context(checkout, cross_build_dir, host, api_level=opt_int(api_level)),
                       Path(project), Path(outdir))


@library_task
def build_testbed(c, host, checkout=None, cross_build_dir=None, api_level=None):
    """Build the testbed app and its test APK for an Android host."""
    from cpython_android import testbed

    testbed.build_testbed(context(checkout, cross_build_dir, host, api_level=opt_int(api_level)))


@library_task
def devices(c):
    """List the Android devices adb sees, with their state."""
    from cpython_android.devices import describe_devices

    for line in describe_devices():
        print(line)
