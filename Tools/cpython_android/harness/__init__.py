"""`android.py test`: run the test suite on a target and say how it went.

Above the runners (one interface for qemu-user, the native build python and
Android devices) this module decides *what* runs *where*:

- the python command line, with upstream's defaults (`-m test`) and its
  `--fast-ci`/`--slow-ci` option sets;
- selection and sharding: the test files regrtest would run (asked of the
  target itself with `--list-tests`) go into one pool (`pool`), weighed by
  earlier durations or their test cases; each runner takes batches from it
  as it is free, and a lost device's unfinished files go back into it;
- resume: regrtest runs sequentially in one process per shard, so when that
  process crashes or hangs, the file (and, through the events hook, the
  test) that was running is known, and a fresh process runs the rest of
  that file, then the files not run yet (`shard_run`, `..resume`);
- the deadline, SIGINT/SIGTERM, one merged JUnit file, the summary and the
  exit status.

Sharding uses plain asyncio rather than pytest-xdist: each shard is one
long-lived target process (a qemu python, or a device through adb) whose
output must be streamed and parsed line by line, and whose whole process tree
must die on a deadline or a signal.  xdist distributes Python callables to
worker interpreters of *this* machine; it would only add a layer of
processes between us and the targets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..console import Console
from ..runners import Connected, Runner, RunnerSpec, Target, create_runners

if TYPE_CHECKING:
    from ..context import BuildContext

from .. import pythoninfo
from ..crash import for_layout
from ..results import html_path
from ..testbed import find_project
from .context import RunContext, list_tests
from .planning import (
    NOTHING_PROBED,
    PythonCommand,
    TargetInfo,
    TestOptions,
    build_command,
    load_durations,
    split_regrtest_args,
    subset_args,
)
from .recorded import record_path, write_recorded
from .report import close_runners, finish_report, junit_properties
from .runlogs import RunnerLogs
from .shard_run import ShardRun
from .shards import RunReport, run_plain, run_regrtest

__all__ = ["PythonCommand", "RunReport", "RunContext", "ShardRun", "TargetInfo", "TestOptions",
           "build_command", "close_runners", "finish_report", "junit_properties", "list_tests",
           "load_durations", "probe_target", "run_plain", "run_regrtest",
           "run_test_command", "run_tests", "split_regrtest_args", "subset_args"]


def has_no_randomize(ctx: BuildContext) -> bool:
    """Whether the checkout's regrtest (which the target runs) has --no-randomize."""
    cmdline = ctx.checkout.root / "Lib" / "test" / "libregrtest" / "cmdline.py"
    try:
        return "'--no-randomize'" in cmdline.read_text(encoding="utf-8", errors="replace")
    except OSError:  # a release package has no Lib/: judge by the version
        return ctx.checkout.version_tuple >= (3, 14)


def run_test_command(options: TestOptions, ctx: BuildContext, target: Target, *,
                     more_devices: Sequence[tuple[BuildContext, Connected]] = ()) -> int:
    """`android.py test`: validate, find the runners, run on `target`.  `ctx.host`
    None means the native build python.  `more_devices`: connected devices that
    run other hosts (each context with its devices), one shard each beside
    `target`'s."""
    info = probe_target(ctx, [other for other, _ in more_devices])
    options = replace(options, output_dir=options.output_dir or ctx.layout.logs_dir / "pulled")
    command = build_command(options, info)  # bad options are reported before anything starts
    # One process per device unless the suite runs (sharded): a -c run has one.
    per_device = options.per_device if command.is_regrtest_run else 1
    spec = RunnerSpec(host=ctx.host, layout=ctx.layout,
                      python_version=ctx.checkout.short_version, shards=options.shards,
                      per_device=per_device,
                      verbose=options.verbose, target=target,
                      ndk_version=ctx.toolchain_options.ndk_version, console=ctx.console,
                      testbed_project=find_project(ctx.checkout),
                      stall_timeout=options.stall_timeout)
    if more_devices and isinstance(target, Connected):
        spec = replace(spec, shards=len(target.addresses))
    runners = create_runners(spec)
    for other, devices in more_devices:
        runners += create_runners(replace(spec, host=other.host, target=devices,
                                          shards=len(devices.addresses)))
    if options.wants_pythoninfo and not info.regrtest_has_pythoninfo:
        # As regrtest --pythoninfo would: first, on the target the tests run on.
        pythoninfo.run_on(runners[0], ctx, pythoninfo.log_path(ctx), close=False)
    record = record_path(ctx.layout.logs_dir, ctx.host.triplet if ctx.host else "build")
    return run_tests(options, runners, ctx.console, info, record)


def probe_target(ctx: BuildContext, others: Sequence[BuildContext] = ()) -> TargetInfo:
    """What the target's python is, asked once: its regrtest's options (from the
    checkout it was built from) and the crash symbol index of its build (and of
    `others`, the builds other devices run: frames match by BuildId)."""
    symbols = for_layout(ctx.layout, ctx.host, ctx.toolchain_options.ndk_version)
    for other in others:
        symbols.roots += for_layout(other.layout, other.host).roots
    return TargetInfo(regrtest_has_no_randomize=has_no_randomize(ctx),
                      regrtest_has_pythoninfo=pythoninfo.regrtest_has_option(ctx),
                      crash_symbols=symbols)


def run_tests(options: TestOptions, runners: Sequence[Runner], console: Console,
              info: TargetInfo = NOTHING_PROBED, record: Path | None = None) -> int:
    """Run and report; the exit status follows regrtest's meaning (0: all passed)."""
    command = build_command(options, info)
    deadline_at = time.monotonic() + options.deadline if options.deadline else None
    html = html_path(options.junit_xml, options.html, off=options.html_off)
    logs = RunnerLogs(html.with_name(html.stem + "-logs"), console) \
        if html is not None and command.is_regrtest_run else None
    ctx = RunContext(options, command, console, labelled=len(runners) > 1,
                     deadline_at=deadline_at, info=info, logs=logs, record=record)
    try:
        if not command.is_regrtest_run:
            return asyncio.run(run_plain(runners[0], ctx))
        report = asyncio.run(run_regrtest(runners, ctx))
        if record is not None:  # the next sharded run weighs its files by these
            write_recorded(record, report.results, console)
    finally:
        asyncio.run(close_runners(runners, console))  # e.g. shut down emulators we booted
        logged = logs.close() if logs is not None else {}
    return finish_report(report, runners, ctx, logged)
