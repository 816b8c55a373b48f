"""`pythoninfo-build` and `pythoninfo HOST`: `-m test.pythoninfo`, saved.

Upstream's CI prints the build python's and the host python's
`test.pythoninfo` before running the tests, so a failure can be read
against the exact build.  Both outputs are printed and saved in
cross-build/logs/ (`pythoninfo-build.log`, `pythoninfo-HOST.log`).  The
host python runs through its runner (qemu-user, the native build python, or
the testbed app on a device), as the tests do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from .context import BuildContext
from .errors import UserError
from .process import run_logged
from .runners import Invocation, Runner, RunnerSpec, create_runners

MODULE = "test.pythoninfo"
#: regrtest's own option: main's Platforms/Android/__main__.py passes it in CI
#: mode; 3.13's Lib/test/libregrtest/cmdline.py has no such option, so there
#: `test --pythoninfo` runs the module first, on the same target.
REGRTEST_OPTION = "--pythoninfo"


def build_python(ctx: BuildContext) -> Path:
    """`pythoninfo-build`: the build python's pythoninfo, printed and saved."""
    python = ctx.layout.require_build_python()
    log = ctx.layout.log_path("pythoninfo-build")
    with ctx.console.step("pythoninfo-build", log) as step:
        run_logged([python, "-m", MODULE], step=step, log_path=log, cwd=ctx.layout.build_dir)
    ctx.console.write(log.read_text(encoding="utf-8", errors="replace").rstrip("\n"))
    return log


async def _collect(runner: Runner, lines: list[str], ctx: BuildContext,
                   close: bool) -> int | None:
    def on_line(line: str, stream: str) -> None:
        lines.append(line)
        ctx.console.write(line)

    try:
        outcome = await runner.run(Invocation(["-m", MODULE]), on_line)
    finally:
        if close:
            await runner.close()
    return outcome.returncode


def run_on(runner: Runner, ctx: BuildContext, log: Path, *, close: bool = True) -> int:
    """Run pythoninfo with `runner`; its output printed and written to `log`.
    `close`: release the runner afterwards (not when the tests follow on it)."""
    lines: list[str] = []
    status = asyncio.run(_collect(runner, lines, ctx, close))
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    ctx.console.write(f"pythoninfo saved in {log}")
    return 1 if status is None else status


def log_path(ctx: BuildContext) -> Path:
    return ctx.layout.log_path("pythoninfo", ctx.host or "build")


def host_python(ctx: BuildContext, spec: RunnerSpec) -> int:
    """`pythoninfo HOST`: the host python's pythoninfo, through its runner."""
    runners = create_runners(spec)
    if len(runners) != 1:
        raise UserError("pythoninfo runs on one target: leave out --shards")
    return run_on(runners[0], ctx, log_path(ctx))


def regrtest_has_option(ctx: BuildContext) -> bool:
    """Whether the checkout's regrtest takes --pythoninfo itself."""
    cmdline = ctx.checkout.root / "Lib" / "test" / "libregrtest" / "cmdline.py"
    try:
        return f"'{REGRTEST_OPTION}'" in cmdline.read_text(encoding="utf-8", errors="replace")
    except OSError:  # a release package has no Lib/: judge by the version
        return ctx.checkout.version_tuple >= (3, 15)
