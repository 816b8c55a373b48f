"""After a run: release the runners, write one JUnit file, print the summary,
and choose the exit status."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..console import Console
from ..errors import UserError
from ..results import (
    FileState,
    append_job_summary,
    apply_regrtest_options,
    html_path,
    write_html,
    write_junit,
)
from ..runners import Runner
from .context import RunContext
from .shards import RunReport


def junit_properties(runners: Sequence[Runner], ctx: RunContext) -> dict[str, str]:
    options = ctx.options
    return {
        "command": " ".join(ctx.command.argv()),
        "runners": " ".join(r.name for r in runners),
        "shards": str(len(runners)),
        "resume": str(options.resume).lower(),
        **({"timeout": f"{options.timeout:g}"} if options.timeout else {}),
        **({"deadline": f"{options.deadline:g}"} if options.deadline else {}),
    }


async def close_runners(runners: Sequence[Runner], console: Console) -> None:
    results = await asyncio.gather(*(runner.close() for runner in runners),
                                   return_exceptions=True)
    for runner, result in zip(runners, results, strict=True):
        if isinstance(result, Exception):
            console.warn(f"warning: could not release {runner.name}: {result}")


def finish_report(report: RunReport, runners: Sequence[Runner], ctx: RunContext,
                  logs: Mapping[str, Path] | None = None) -> int:
    """JUnit, HTML report (linking each runner's log, `logs`), summary; the exit status."""
    console = ctx.console
    problems = list(report.problems)
    if ctx.command.is_regrtest_run:
        apply_regrtest_options(report.results, ctx.command.args)
    if ctx.options.junit_xml:
        try:
            write_junit(report.results, ctx.options.junit_xml, junit_properties(runners, ctx))
            console.write(f"JUnit XML: {ctx.options.junit_xml}")
        except UserError as e:  # the summary still says how the run went
            problems.append(str(e))
    html = html_path(ctx.options.junit_xml, ctx.options.html, off=ctx.options.html_off)
    if html is not None:
        try:
            write_html(report.results, html, junit_properties(runners, ctx), logs=logs)
            console.write(f"HTML report: {html}")
        except UserError as e:
            problems.append(str(e))
    console.write(report.results.summary())
    title = f"Tests on {', '.join(r.name for r in runners)}"
    if (summary := append_job_summary(report.results, title)) is not None:
        console.write(f"Job summary: {summary}")
    for problem in problems:
        console.write(f"Error: {problem}")
    if report.interrupted:
        raise KeyboardInterrupt  # the cli says so and exits 130
    # regrtest's status when tests failed; else the status of the error that
    # stopped a runner (4 for a lost device, as outside a shard), also when the
    # only files that did not pass are the ones it left unfinished; else 1 for
    # any other problem.
    results = report.results
    if report.failure_status and not any(
            results.file_failed(f) for f in results.files.values() if f.status not in LEFT):
        return report.failure_status
    return results.exit_status() or report.failure_status or (1 if problems else 0)


#: The states of the files a runner stopped by an error leaves behind.
LEFT = frozenset({FileState.NOT_RUN, FileState.RUNNING})
