"""invoke tasks mirroring android.py's subcommands, each a call into the library.

    invoke build --host aarch64-linux-gnu --checkout ~/cpython
    invoke env --host aarch64-linux-android
    invoke --list
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from invoke import Exit, task

sys.path.insert(0, str(Path(__file__).resolve().parent / "Tools"))

from cpython_android import steps  # noqa: E402
from cpython_android.console import Console  # noqa: E402
from cpython_android.errors import CommandFailed, UserError  # noqa: E402
from cpython_android.textutil import export_lines  # noqa: E402

HELP = {"checkout": "CPython source tree", "cross_build_dir": "where builds go",
        "host": "target triplet", "api_level": "Android API level",
        "ccache": "compile through ccache", "clean": "delete build directories first",
        "jobs": "parallel make jobs"}


def library_task(function: Callable[..., Any]) -> Any:
    """An invoke task that reports our errors as the command line does: one
    line and status 2, or the failed command's report and status 1."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except UserError as e:
            raise Exit(f"error: {e}", code=2) from None
        except CommandFailed as e:
            raise Exit(e.describe(), code=1) from None

    params = inspect.signature(function).parameters
    return task(wrapper, help={k: v for k, v in HELP.items() if k in params})


def context(checkout: str | None, cross_build_dir: str | None, host: str | None = None,
            **options: Any) -> steps.BuildContext:
    return steps.make_context(
        console=Console(), checkout=Path(checkout) if checkout else None,
        cross_build_dir=Path(cross_build_dir) if cross_build_dir else None, host=host,
        **{k: v for k, v in options.items() if v is not None})


@library_task
def configure_build(c, checkout=None, cross_build_dir=None, clean=False, ccache=False):
    steps.configure_build(context(checkout, cross_build_dir, clean=clean, ccache=ccache))


@library_task
def make_build(c, checkout=None, cross_build_dir=None, jobs=None, ccache=False):
    steps.make_build(context(checkout, cross_build_dir, jobs=jobs, ccache=ccache))


@library_task
def configure_host(c, host, checkout=None, cross_build_dir=None, api_level=24, clean=False,
                   ccache=False):
    steps.configure_host(context(checkout, cross_build_dir, host, api_level=int(api_level),
                                 clean=clean, ccache=ccache))


@library_task
def make_host(c, host, checkout=None, cross_build_dir=None, api_level=24, jobs=None,
              ccache=False):
    steps.make_host(context(checkout, cross_build_dir, host, api_level=int(api_level),
                            jobs=jobs, ccache=ccache))


@library_task
def build(c, host, checkout=None, cross_build_dir=None, api_level=24, clean=False,
          ccache=False, jobs=None):
    steps.build_all(context(checkout, cross_build_dir, host, api_level=int(api_level),
                            clean=clean, ccache=ccache, jobs=jobs))


@library_task
def env(c, host, checkout=None, cross_build_dir=None, api_level=24):
    ctx = context(checkout, cross_build_dir, host, api_level=int(api_level))
    sys.stdout.write(export_lines(steps.export_environment(ctx, ctx.toolchain())))


@library_task
def clean(c, host=None, checkout=None, cross_build_dir=None):
    ctx = context(checkout, cross_build_dir, host)
    steps.clean(ctx.layout, ctx.console, ctx.host)
