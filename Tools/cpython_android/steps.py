"""The two-phase build: small step functions over one `BuildContext`.

    configure-build → make-build → deps → configure-host → make-host

Each step knows when it is up to date, so `build` on an unchanged tree
re-runs neither configure nor make: configure re-runs only when its command,
its environment or the checkout's `configure` changed; make re-runs only when
a source file is newer than the last successful make (or install).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .checkout import Checkout
from .console import Console
from .context import (
    BuildContext,
    build_triplet,
    check_build_paths,
    clean_dir,
    host_environment,
    record_settings,
)
from .deps import install as deps_install
from .digest import sha256_file
from .errors import SetupError
from .layout import Layout, make_tree, require_own_tree
from .process import run_logged

# Source directories whose changes need a rebuild; cross-build and .git never do.
SOURCE_ENTRIES = ("configure", "Makefile.pre.in", "pyconfig.h.in", "Include", "Lib", "Modules",
                  "Objects", "Parser", "Programs", "Python", "Misc", "Tools/build")
# Variables (besides the toolchain's) that change what configure decides.
CONFIGURE_ENV_VARS = ("CC", "CXX", "CPP", "CFLAGS", "CPPFLAGS", "CXXFLAGS", "LDFLAGS", "LIBS",
                      "PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "CONFIG_SITE",
                      "MACHDEP", "ac_sys_system")
# What make-host removes before installing, as upstream does, so a stale
# libpython or header in the prefix is never used.
PREFIX_PYTHON_GLOBS = ("include/python*", "lib/libpython*", "lib/python*")


# --- up-to-date checks -------------------------------------------------------

def _fingerprint(command: Sequence[str], env: Mapping[str, str], configure: Path) -> str:
    relevant = {k: v for k, v in env.items()
                if k in CONFIGURE_ENV_VARS or k.startswith("ac_cv_") or k.endswith(
                    ("_CFLAGS", "_LIBS"))}
    data = {"command": list(command), "env": sorted(relevant.items()),
            "configure": sha256_file(configure)}
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def newer_source(checkout: Checkout, since: float) -> Path | None:
    """The first source file modified after `since`, or None if all are older."""
    for entry in SOURCE_ENTRIES:
        path = checkout.root / entry
        if path.is_file():
            if path.stat().st_mtime > since:
                return path
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                file = Path(dirpath, name)
                try:
                    if file.stat().st_mtime > since:
                        return file
                except FileNotFoundError:
                    continue
    return None


def _make_is_current(ctx: BuildContext, directory: Path) -> str | None:
    """Why make can be skipped, or None when it must run."""
    stamp = Layout.make_stamp(directory)
    if ctx.clean or not stamp.exists():
        return None
    built = stamp.stat().st_mtime
    if (directory / "Makefile").stat().st_mtime > built:
        return None
    if newer_source(ctx.checkout, built) is not None:
        return None
    return "no source changed since the last make"


def _touch_stamp(path: Path) -> None:
    path.write_text(time.strftime("%Y-%m-%dT%H:%M:%S") + "\n")


# --- steps -------------------------------------------------------------------

def _configure(ctx: BuildContext, name: str, directory: Path, command: list[str],
               env: dict[str, str]) -> None:
    stamp = Layout.configure_stamp(directory)
    host = ctx.host if directory != ctx.layout.build_dir else None
    label = f"{name} {host}" if host else name
    fingerprint = _fingerprint(command, env, ctx.checkout.configure)
    if (not ctx.clean and (directory / "Makefile").exists() and stamp.exists()
            and stamp.read_text().strip() == fingerprint):
        ctx.console.skipped(label, "same arguments, environment and configure script")
        return
    stamp.unlink(missing_ok=True)
    log = ctx.layout.log_path(name, host)
    with ctx.console.step(label, log) as step:
        run_logged(command, step=step, log_path=log, cwd=directory, env=env)
    stamp.write_text(fingerprint + "\n")


def configure_build(ctx: BuildContext) -> None:
    check_build_paths(ctx)
    directory = ctx.layout.build_dir
    clean_dir(ctx, directory)
    make_tree(directory)
    env = {**os.environ, **ctx.ccache_env()}
    if ctx.toolchain_options.ccache:
        env["CC"] = "ccache " + os.environ.get("CC", "cc")
    command = [os.path.relpath(ctx.checkout.configure, directory), *ctx.configure_args]
    _configure(ctx, "configure-build", directory, command, env)


def make_build(ctx: BuildContext) -> None:
    directory = ctx.layout.build_dir
    if not (directory / "Makefile").exists():
        raise SetupError(f"{directory} is not configured: run `android.py configure-build` first")
    if reason := _make_is_current(ctx, directory):
        ctx.console.skipped("make-build", reason)
        return
    log = ctx.layout.log_path("make-build")
    Layout.make_stamp(directory).unlink(missing_ok=True)
    with ctx.console.step("make-build", log) as step:
        run_logged(["make", "-j", str(ctx.jobs)], step=step, log_path=log, cwd=directory,
                   env={**os.environ, **ctx.ccache_env()})
    _touch_stamp(Layout.make_stamp(directory))


def configure_host(ctx: BuildContext) -> None:
    host = ctx.require_host()
    build_python = ctx.layout.require_build_python()
    toolchain = ctx.toolchain()  # fail before deleting anything
    host_dir = ctx.layout.host_dir(host)
    clean_dir(ctx, host_dir)
    make_tree(host_dir)
    prefix = ctx.layout.prefix(host)
    prefix.mkdir(parents=True, exist_ok=True)
    env = host_environment(ctx, toolchain)
    command = [
        os.path.relpath(ctx.checkout.configure, host_dir),
        f"--host={host.triplet}",
        f"--build={build_triplet(ctx.checkout)}",
        f"--with-build-python={build_python.resolve()}",
        "--without-ensurepip",
        # Android always uses a shared libpython; so do we on GNU hosts, to
        # test the same configuration.
        "--enable-shared",
        "--without-static-libpython",
    ]
    if (prefix / "include" / "openssl" / "ssl.h").exists():
        command.append(f"--with-openssl={prefix.resolve()}")
    command += list(ctx.configure_args)
    _configure(ctx, "configure-host", host_dir, command, env)
    record_settings(ctx)


def make_host(ctx: BuildContext) -> None:
    host = ctx.require_host()
    host_dir = ctx.layout.host_dir(host)
    if not (host_dir / "Makefile").exists():
        raise SetupError(f"{host_dir} is not configured: run `android.py configure-host "
                         f"{host}` first")
    if reason := _make_is_current(ctx, host_dir):
        ctx.console.skipped(f"make-host {host}", reason)
        return
    prefix = ctx.layout.prefix(host)
    Layout.make_stamp(host_dir).unlink(missing_ok=True)
    for pattern in PREFIX_PYTHON_GLOBS:
        for path in prefix.glob(pattern):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    # configure already captured the toolchain variables in the Makefile;
    # passing them again could duplicate flags, so make gets os.environ only.
    env = {**os.environ, **ctx.ccache_env()}
    log = ctx.layout.log_path("make-host", host)
    with ctx.console.step(f"make-host {host}", log) as step:
        run_logged(["make", "-j", str(ctx.jobs)], step=step, log_path=log, cwd=host_dir, env=env)
        run_logged(["make", "install", f"prefix={prefix.resolve()}"], step=step, log_path=log,
                   cwd=host_dir, env=env, append=True)
    _touch_stamp(Layout.make_stamp(host_dir))



def prepare_deps(ctx: BuildContext) -> None:
    """The prerequisite libraries, into the host prefix (see `deps`)."""
    deps_install.prepare(ctx)


def check_inputs(ctx: BuildContext, *, needs_build_python: bool) -> None:
    """What a host build needs, checked before anything is deleted or built:
    the build python (unless it is built first), the toolchain and, with
    --clean, every library archive.  Then --clean deletes."""
    check_build_paths(ctx)
    if needs_build_python:
        ctx.layout.require_build_python()
    ctx.toolchain().environment()
    if ctx.clean:
        deps_install.check_inputs(ctx)
        if not needs_build_python:  # `build` makes it again
            clean_dir(ctx, ctx.layout.build_dir)
        clean_dir(ctx, ctx.layout.host_dir(ctx.require_host()))


def configure_host_with_deps(ctx: BuildContext) -> None:
    """`configure-host`: as upstream, the prefix is filled first."""
    check_inputs(ctx, needs_build_python=True)
    prepare_deps(ctx)
    configure_host(ctx)


def delete_trees(paths: list[Path], layout: Layout, console: Console) -> None:
    """Delete the trees that exist among `paths` (links too, never followed); say so,
    or that there was nothing.  Every one must carry the tool's marker: all are
    checked before any is deleted."""
    targets = [path for path in paths if os.path.lexists(path)]
    for path in targets:
        require_own_tree(path)
    for path in targets:
        console.write(f"Deleting {path}")
        shutil.rmtree(path)
    if not targets:
        console.write(f"Nothing to clean in {layout.root}")
