"""The build context: what one command works on, built in one place.

    checkout → host (triplet, API level) → toolchain options → Layout

`make_context` turns the command line's (or tasks.py's) plain values into a
`BuildContext`: the host is parsed once, here, and carried typed from then
on.  The steps (`steps`), the prerequisite libraries (`deps`), packaging,
wheels and the test harness all take this one object.  The helpers at the
end are what both the steps and `deps` need from it (the host environment,
the build triplet, --clean), so `deps` depends on this module and `steps`
on `deps`, with no cycle.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import checkout as checkout_mod
from . import hostsettings, toolchains
from .abi import Variant, variant_for, with_variant_args
from .checkout import Checkout
from .console import Console
from .deps.options import DepsOptions
from .errors import SetupError, UserError
from .hosts import DEFAULT_API_LEVEL, Host, parse_host, validate_api_level
from .hostsettings import Requested, Use
from .layout import Layout, make_tree, require_own_tree
from .process import capture
from .runners import NATIVE_HOST
from .textutil import export_lines
from .toolchains import Toolchain, ToolchainOptions


@dataclass
class BuildContext:
    checkout: Checkout
    layout: Layout
    console: Console
    host: Host | None = None  # None: the build python (or the native `test` target)
    configure_args: Sequence[str] = ()
    clean: bool = False
    jobs: int = field(default_factory=toolchains.cpu_count)
    toolchain_options: ToolchainOptions = field(default_factory=ToolchainOptions)
    deps: DepsOptions = field(default_factory=DepsOptions)
    # Directories --clean already deleted in this run: the deps step cleans the
    # host tree before filling the prefix, and configure-host must not again.
    cleaned: set[Path] = field(default_factory=set)

    @property
    def variant(self) -> Variant:
        """Default or free-threaded: the layout's trees and configure's arguments follow."""
        return self.layout.variant

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
            raise SetupError("--ccache given but ccache is not on PATH: install ccache")
        base = Path(os.path.commonpath([self.checkout.root, self.layout.root.resolve()]))
        return {"CCACHE_BASEDIR": str(base), "CCACHE_NOHASHDIR": "true"}


def make_context(*, console: Console, checkout: Path | None = None,
                 cross_build_dir: Path | None = None, script_dir: Path | None = None,
                 host: str | None = None, api_level: int | None = None,
                 configure_args: Sequence[str] = (), clean: bool = False,
                 jobs: int | None = None, ndk_version: str | None = None,
                 ccache: bool = False, deps: DepsOptions | None = None,
                 native_ok: bool = False, settings: Use = Use.REQUIRE,
                 disable_gil: bool = False) -> BuildContext:
    """A context from plain values (the command line and tasks.py both use this).

    The host is validated first, so a typo is reported before anything else
    is looked for.  With `native_ok` (`test`), HOST `build` means the native
    build python: the context then has no host.  An option left out (None,
    no configure arguments) takes the value the host was built with
    (`hostsettings`); `settings` says what an explicit other value means.
    `disable_gil` (or `--disable-gil` among the configure arguments) picks the
    free-threaded variant: its own trees in the cross-build directory (see
    `layout`), and so its own remembered settings."""
    native = native_ok and host == NATIVE_HOST
    parsed_host = parse_host(host, api_level or DEFAULT_API_LEVEL) if host and not native \
        else None
    found = checkout_mod.find(checkout, script_dir)
    found.version_tuple  # noqa: B018 (a PY_VERSION that is no version: refused here, first)
    if found.is_package and parsed_host and str(parsed_host) != found.package_host:
        raise UserError(f"this release package is for {found.package_host}, not {parsed_host}: "
                        f"use the {parsed_host} package or pass --checkout DIR")
    root = cross_build_dir or found.root / "cross-build"
    variant = variant_for(found.version_tuple, configure_args, disable_gil)
    checkout_mod.require_supported(found)  # after --disable-gil's own, more precise line
    layout = Layout(root.resolve(), package_prefix=found.package_prefix, variant=variant)
    if parsed_host is not None:
        recorded = None if clean else hostsettings.load(layout.host_settings(parsed_host))
        explicit_args = with_variant_args(variant, configure_args) if configure_args else ()
        chosen, notes = hostsettings.resolve(
            parsed_host, recorded, Requested(api_level, ndk_version, explicit_args), settings)
        for note in notes:
            console.write(note)
        parsed_host = replace(parsed_host, api_level=chosen.api_level or DEFAULT_API_LEVEL)
        ndk_version, configure_args = chosen.ndk_version, chosen.configure_args
    return BuildContext(
        checkout=found, layout=layout, console=console, host=parsed_host,
        configure_args=with_variant_args(variant, configure_args), clean=clean,
        jobs=jobs or toolchains.cpu_count(),
        toolchain_options=ToolchainOptions(ndk_version=ndk_version, ccache=ccache),
        deps=deps or DepsOptions())


def record_settings(ctx: BuildContext) -> None:
    """After configure-host: what the host is built with, for later commands."""
    host = ctx.require_host()
    hostsettings.save(ctx.layout.host_settings(host), hostsettings.effective(
        host, ctx.toolchain_options.ndk_version, ctx.configure_args))


# --- what the steps and the deps step share -----------------------------------

def clean_dir(ctx: BuildContext, directory: Path) -> None:
    """--clean: delete `directory` (once per run), if it is a tree android.py
    made.  Callers validate every input first (steps.check_inputs)."""
    if ctx.clean and os.path.lexists(directory) and directory not in ctx.cleaned:
        require_own_tree(directory)
        ctx.console.write(f"Deleting {directory}")
        shutil.rmtree(directory)
    ctx.cleaned.add(directory)


def clean_host_dir(ctx: BuildContext) -> None:
    """--clean: delete the host's tree (once per run)."""
    clean_dir(ctx, ctx.layout.host_dir(ctx.require_host()))


def make_host_tree(ctx: BuildContext) -> Path:
    """The host's tree, created with its marker (see layout.make_tree)."""
    return make_tree(ctx.layout.host_dir(ctx.require_host()))


#: What autoconf's configure refuses in a source or build directory (its
#: config.status would run `$(...)` and backquotes in them).
UNSAFE_PATH_CHARS = "\\\"#$&'` \t\n"


def check_build_paths(ctx: BuildContext) -> None:
    """Refuse, before any work, a checkout or cross-build path configure cannot use."""
    ctx.checkout.configure  # noqa: B018 (a release package has none: that error first)
    for what, path in (("checkout", ctx.checkout.root), ("cross-build directory",
                                                          ctx.layout.root)):
        bad = sorted({c for c in str(path) if c in UNSAFE_PATH_CHARS})
        if bad:
            raise UserError(f"the {what} path {str(path)!r} contains {''.join(bad)!r}, which "
                            "CPython's configure cannot work with: move it to a plain path")


def invalidate_configure(ctx: BuildContext) -> None:
    """Make configure-host run again (the prefix's libraries changed)."""
    ctx.layout.configure_stamp(ctx.layout.host_dir(ctx.require_host())).unlink(missing_ok=True)


@functools.cache
def build_triplet(checkout: Checkout) -> str:
    """The build machine's GNU triplet, as CPython's own config.guess says
    (asked once: the deps step builds several libraries, then configure-host)."""
    return capture(["sh", str(checkout.root / "config.guess")]).strip()


def host_environment(ctx: BuildContext, toolchain: Toolchain) -> dict[str, str]:
    """os.environ plus the toolchain's variables and CONFIG_SITE, for host steps."""
    return {**os.environ, **export_environment(ctx, toolchain), **ctx.ccache_env()}


def export_environment(ctx: BuildContext, toolchain: Toolchain) -> dict[str, str]:
    """What `env HOST` prints: the toolchain's variables (and CONFIG_SITE)."""
    host = ctx.require_host()
    env = toolchain.environment()
    if values := toolchain.config_site():
        site = ctx.layout.config_site(host)
        make_tree(site.parent)
        site.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        env["CONFIG_SITE"] = str(site)
    return env


def export_script(ctx: BuildContext) -> str:
    """`env HOST`: the host's build environment as shell `export` lines, for
    $ANDROID_API_LEVEL when it is set (as upstream's android-env.sh)."""
    ctx = with_environment_api_level(ctx, os.environ)
    return export_lines(export_environment(ctx, ctx.toolchain()))


# --- `env`, as cibuildwheel calls a release package's android.py ------------------

#: The API level upstream's android-env.sh targets (default 24); cibuildwheel
#: sets it when it runs `{package}/android.py env`.
API_LEVEL_ENV = "ANDROID_API_LEVEL"


def env_host(explicit: str | None, checkout_dir: Path | None, script_dir: Path | None) -> str:
    """`env [HOST]`: HOST, else the release package's own host (upstream reads
    it from the prefix's sysconfigdata: `checkout.find_package` does too)."""
    if explicit:
        return explicit
    found = checkout_mod.find(checkout_dir, script_dir)
    if found.package_host is None:
        raise UserError("env needs HOST here (only a release package's android.py knows its "
                        "own host): `android.py env HOST`")
    return found.package_host


def with_environment_api_level(ctx: BuildContext, environ: Mapping[str, str]) -> BuildContext:
    """An Android host targeting $ANDROID_API_LEVEL, as android-env.sh's CC does:
    a wheel may need a higher API level than the python it builds against."""
    host = ctx.require_host()
    value = environ.get(API_LEVEL_ENV, "").strip()
    if not value or not host.is_android:
        return ctx
    try:
        level = validate_api_level(value)
    except UserError as e:
        raise UserError(f"{API_LEVEL_ENV}={value!r}: {e}") from None
    return replace(ctx, host=replace(host, api_level=level))
