"""The two-phase build: small step functions over one `BuildContext`.

    configure-build → make-build → deps → configure-host → make-host

Each step knows when it is up to date, so `build` on an unchanged tree
re-runs neither configure nor make: configure re-runs only when its command,
its environment or the checkout's `configure` changed; make re-runs only when
a source file is newer than the last successful make (or install).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import checkout as checkout_mod
from . import toolchains
from .checkout import Checkout
from .console import Console
from .deps.options import DepsOptions
from .digest import sha256_file
from .errors import UserError
from .hosts import DEFAULT_API_LEVEL, Host, parse_host
from .layout import Layout
from .process import capture, run_logged
from .toolchains import Toolchain, ToolchainOptions

CONFIGURE_STAMP = ".android-py-configure.json"
MAKE_STAMP = ".android-py-make.stamp"

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


@dataclass
class BuildContext:
    checkout: Checkout
    layout: Layout
    console: Console
    host: Host | None = None
    configure_args: Sequence[str] = ()
    clean: bool = False
    jobs: int = field(default_factory=toolchains.cpu_count)
    toolchain_options: ToolchainOptions = field(default_factory=ToolchainOptions)
    deps: DepsOptions = field(default_factory=DepsOptions)
    # Directories --clean already deleted in this run: the deps step cleans the
    # host tree before filling the prefix, and configure-host must not again.
    cleaned: set[Path] = field(default_factory=set)

    def require_host(self) -> Host:
        if self.host is None:
            raise UserError("this step needs a HOST")
        return self.host

    def toolchain(self) -> Toolchain:
        host = self.require_host()
        return toolchains.for_host(host, self.layout.prefix(host), self.toolchain_options)

    def ccache_env(self) -> dict[str, str]:
        """CCACHE_BASEDIR at the common root of checkout and build trees, so
        cache entries do not depend on where the tree is."""
        if not self.toolchain_options.ccache:
            return {}
        if not shutil.which("ccache"):
            raise UserError("--ccache given but ccache is not on PATH: install ccache")
        base = Path(os.path.commonpath([self.checkout.root, self.layout.root.resolve()]))
        return {"CCACHE_BASEDIR": str(base), "CCACHE_NOHASHDIR": "true"}


def make_context(*, console: Console, checkout: Path | None = None,
                 cross_build_dir: Path | None = None, script_dir: Path | None = None,
                 host: str | None = None, api_level: int = DEFAULT_API_LEVEL,
                 configure_args: Sequence[str] = (), clean: bool = False,
                 jobs: int | None = None, ndk_version: str | None = None,
                 ccache: bool = False) -> BuildContext:
    """A context from plain values (the command line and tasks.py both use this).

    The host is validated first, so a typo is reported before anything else
    is looked for."""
    parsed_host = parse_host(host, api_level) if host else None
    found = checkout_mod.find(checkout, script_dir)
    if found.is_package and parsed_host and str(parsed_host) != found.package_host:
        raise UserError(f"this release package is for {found.package_host}, not {parsed_host}: "
                        f"use the {parsed_host} package or pass --checkout DIR")
    root = cross_build_dir or found.root / "cross-build"
    layout = Layout(root.resolve(), package_prefix=found.package_prefix)
    return BuildContext(
        checkout=found, layout=layout, console=console, host=parsed_host,
        configure_args=configure_args, clean=clean, jobs=jobs or toolchains.cpu_count(),
        toolchain_options=ToolchainOptions(ndk_version=ndk_version, ccache=ccache))


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
    stamp = directory / MAKE_STAMP
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
    stamp = directory / CONFIGURE_STAMP
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


def _clean_dir(ctx: BuildContext, directory: Path) -> None:
    if ctx.clean and directory.exists() and directory not in ctx.cleaned:
        ctx.console.write(f"Deleting {directory}")
        shutil.rmtree(directory)
    ctx.cleaned.add(directory)


def clean_host_dir(ctx: BuildContext) -> None:
    """--clean: delete the host's tree (once per run)."""
    _clean_dir(ctx, ctx.layout.host_dir(ctx.require_host()))


def invalidate_configure(ctx: BuildContext) -> None:
    """Make configure-host run again (the prefix's libraries changed)."""
    (ctx.layout.host_dir(ctx.require_host()) / CONFIGURE_STAMP).unlink(missing_ok=True)


def configure_build(ctx: BuildContext) -> None:
    directory = ctx.layout.build_dir
    _clean_dir(ctx, directory)
    directory.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **ctx.ccache_env()}
    if ctx.toolchain_options.ccache:
        env["CC"] = "ccache " + os.environ.get("CC", "cc")
    command = [os.path.relpath(ctx.checkout.configure, directory), *ctx.configure_args]
    _configure(ctx, "configure-build", directory, command, env)


def make_build(ctx: BuildContext) -> None:
    directory = ctx.layout.build_dir
    if not (directory / "Makefile").exists():
        raise UserError(f"{directory} is not configured: run `android.py configure-build` first")
    if reason := _make_is_current(ctx, directory):
        ctx.console.skipped("make-build", reason)
        return
    log = ctx.layout.log_path("make-build")
    (directory / MAKE_STAMP).unlink(missing_ok=True)
    with ctx.console.step("make-build", log) as step:
        run_logged(["make", "-j", str(ctx.jobs)], step=step, log_path=log, cwd=directory,
                   env={**os.environ, **ctx.ccache_env()})
    _touch_stamp(directory / MAKE_STAMP)


@functools.cache
def build_triplet(checkout: Checkout) -> str:
    """The build machine's GNU triplet, as CPython's own config.guess says
    (asked once: the deps step builds several libraries, then configure-host)."""
    return capture(["sh", str(checkout.root / "config.guess")]).strip()


def host_environment(ctx: BuildContext, toolchain: Toolchain) -> dict[str, str]:
    """os.environ plus the toolchain's variables and CONFIG_SITE, for host steps."""
    return {**os.environ, **export_environment(ctx, toolchain), **ctx.ccache_env()}


def configure_host(ctx: BuildContext) -> None:
    host = ctx.require_host()
    build_python = ctx.layout.require_build_python()
    toolchain = ctx.toolchain()  # fail before deleting anything
    host_dir = ctx.layout.host_dir(host)
    _clean_dir(ctx, host_dir)
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


def make_host(ctx: BuildContext) -> None:
    host = ctx.require_host()
    host_dir = ctx.layout.host_dir(host)
    if not (host_dir / "Makefile").exists():
        raise UserError(f"{host_dir} is not configured: run `android.py configure-host "
                        f"{host}` first")
    if reason := _make_is_current(ctx, host_dir):
        ctx.console.skipped(f"make-host {host}", reason)
        return
    prefix = ctx.layout.prefix(host)
    (host_dir / MAKE_STAMP).unlink(missing_ok=True)
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
    _touch_stamp(host_dir / MAKE_STAMP)


def export_environment(ctx: BuildContext, toolchain: Toolchain) -> dict[str, str]:
    """What `env HOST` prints: the toolchain's variables (and CONFIG_SITE)."""
    host = ctx.require_host()
    env = toolchain.environment()
    if values := toolchain.config_site():
        host_dir = ctx.layout.host_dir(host)
        host_dir.mkdir(parents=True, exist_ok=True)
        site = host_dir / "config.site"
        site.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        env["CONFIG_SITE"] = str(site)
    return env


def host_python_command(ctx: BuildContext, args: list[str]) -> list[str]:
    """A command line that runs the installed host python here."""
    host = ctx.require_host()
    if host.is_android:
        raise UserError(f"`run` needs a GNU host; for {host} use `android.py test {host} "
                        "--connected SERIAL -c CODE`")
    from .runners.qemu import QemuPython

    python = ctx.layout.require_host_python(host, ctx.checkout.short_version)
    return QemuPython(host, python).command(args)


#: Steps that run between the build python and the host configure (the
#: prerequisite libraries plug in here).
Step = Callable[[BuildContext], None]


def prepare_deps(ctx: BuildContext) -> None:
    """The prerequisite libraries, into the host prefix (see `deps`)."""
    from .deps.install import prepare  # deps imports this module

    prepare(ctx)


def build_steps(ctx: BuildContext) -> list[Step]:
    return [configure_build, make_build, prepare_deps, configure_host, make_host]


def build_all(ctx: BuildContext) -> None:
    for step in build_steps(ctx):
        step(ctx)
    ctx.console.write(f"Host python installed in {ctx.layout.prefix(ctx.require_host())}")


def clean(layout: Layout, console: Console, host: Host | None) -> None:
    """Delete one host's tree, or (no host) every tree in the cross-build directory."""
    if host:
        targets = [layout.host_dir(host)]
    else:
        targets = sorted(p for p in layout.root.glob("*") if p.is_dir())
    targets = [path for path in targets if path.exists()]
    for path in targets:
        console.write(f"Deleting {path}")
        shutil.rmtree(path)
    if not targets:
        console.write(f"Nothing to clean in {layout.root}")
