"""`android.py ci HOST --fast-ci|--slow-ci [-- TEST ARGS]`: upstream's CI job.

configure-build, make-build, pythoninfo-build, (deps,) configure-host,
make-host, package; then the package is extracted into a temporary
directory and the tests run from there, with the extracted copy of this tool
and no checkout, which proves the package self-contained.  As upstream's
`ci`, each step is a GitHub Actions log group (`::group::`/`::endgroup::`)
when GITHUB_ACTIONS is set; there, as upstream's, the tests are skipped with one
line where the runner cannot run the emulator (`github_actions`).  The
package's `test` always gets -v, as upstream's.  The steps skip what is up to date, so on a
built tree `ci` only packages and tests.

Unlike upstream's `ci`, arguments after `--` are the tests' (as for `test`);
the configure arguments are the host's remembered ones (`hostsettings`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import github_actions, package, pythoninfo, steps, treelock
from .console import Console
from .context import BuildContext
from .deps.extract import extract_to
from .errors import ToolError
from .process import run_foreground
from .runners import Avd, Connected, Managed, Target

#: Upstream's ci runs the package's tests on this Gradle managed device.
DEFAULT_MANAGED_DEVICE = "maxVersion"


@dataclass(frozen=True)
class CiOptions:
    ci_mode: str  # "fast" | "slow"
    args: tuple[str, ...] = ()  # for the tests
    debug: bool = False  # package -g
    junit_xml: Path | None = None  # default: cross-build/logs/junit-HOST.xml
    verbose: int = 0
    # Where the package's tests run (Android): None is upstream's managed device.
    target: Target | None = None


@contextmanager
def group(console: Console, caption: str) -> Iterator[None]:
    """A collapsible log group on GitHub Actions; nothing elsewhere."""
    marked = "GITHUB_ACTIONS" in os.environ
    if marked:
        console.write(f"::group::{caption}")
    try:
        yield
    finally:
        if marked:
            console.write("::endgroup::")


def build_and_package(ctx: BuildContext, options: CiOptions) -> Path:
    """Every build step, each in its group; the package's path.  One context
    serves the build python's steps and the host's (each knows its tree)."""
    build_ctx = host_ctx = ctx
    stages: list[tuple[str, Callable[[], object]]] = [
        ("Configure build Python", lambda: steps.configure_build(build_ctx)),
        ("Make build Python", lambda: steps.make_build(build_ctx)),
        ("Build Python info", lambda: pythoninfo.build_python(build_ctx)),
        ("Prerequisite libraries", lambda: steps.prepare_deps(host_ctx)),
        ("Configure host Python", lambda: steps.configure_host(host_ctx)),
        ("Make host Python", lambda: steps.make_host(host_ctx)),
    ]
    trees = [ctx.layout.build_dir, ctx.layout.host_dir(ctx.require_host())]
    with treelock.holding(trees, ctx.console.write):  # not the tests: they use a copy
        for caption, run in stages:
            with group(build_ctx.console, caption):
                run()
        with group(build_ctx.console, "Package"):
            path = package.make_package(host_ctx, debug=options.debug)
    if path is None:
        raise ToolError(f"ci: {host_ctx.require_host()} was not packaged: `check` found "
                        "problems (table above)")
    return path


def test_command(package_root: Path, ctx: BuildContext, options: CiOptions) -> list[str]:
    """The extracted package's own `android.py test`, upstream's CI options."""
    host = ctx.require_host()
    junit = options.junit_xml or ctx.layout.logs_dir / f"junit-{host}.xml"
    command = [sys.executable, str(package_root / "android.py"),
               # -v at least, as upstream's ci passes it.
               "--cross-build-dir", str(ctx.layout.root), *["-v"] * max(1, options.verbose),
               "test", str(host), f"--{options.ci_mode}-ci", "--junit-xml", str(junit)]
    if host.is_android:
        match options.target:
            case Connected(addresses):
                command += ["--connected", ",".join(map(str, addresses))]
            case Avd(name):
                command += ["--avd", name]
            case Managed(name):
                command += ["--managed", name]
            case _:
                command += ["--managed", DEFAULT_MANAGED_DEVICE]
        command += ["--api-level", str(host.api_level)]
    return [*command, "--", *options.args] if options.args else command


def run(ctx: BuildContext, options: CiOptions) -> int:
    """`android.py ci HOST`: the tests' exit status."""
    host_ctx = ctx
    ctx.require_host()
    archive = build_and_package(ctx, options)
    emulator = ctx.require_host().is_android and not isinstance(options.target, Connected)
    if emulator and github_actions.skip_emulator_tests(ctx.console):
        return 0
    with group(host_ctx.console, "Tests"), \
            tempfile.TemporaryDirectory(prefix="android-ci-") as temp:
        root = Path(temp) / "package"
        extract_to(archive, root)  # deps' safe extraction: nothing leaves `root`
        command = test_command(root, host_ctx, options)
        host_ctx.console.write(f"Testing the package extracted in {root}")
        # Not in the checkout, and with no CPYTHON_CHECKOUT: the package alone.
        env_free = {k: v for k, v in os.environ.items() if k != "CPYTHON_CHECKOUT"}
        return run_foreground(command, cwd=root, env=env_free)
