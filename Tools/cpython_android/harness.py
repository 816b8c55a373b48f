"""`android.py test`: run the test suite on a target and say how it went.

Above the runners (one interface for qemu-user, the native build python and
Android devices) this module decides *what* runs *where*:

- the python command line, with upstream's defaults (`-m test`) and its
  `--fast-ci`/`--slow-ci` option sets;
- selection and sharding: the test files regrtest would run (asked of the
  target itself with `--list-tests`), split across runners by earlier
  durations or by count;
- resume: regrtest runs sequentially in one process per shard, so when that
  process crashes or hangs, the file that was running is known, and a fresh
  process runs the files not run yet;
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
import contextlib
import re
import signal
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .console import Console
from .errors import CommandFailed, UserError
from .runners import NATIVE_HOST, Invocation, Outcome, Runner
from .textutil import join_command

if TYPE_CHECKING:
    from .results import RegrtestParser, RunResults
    from .steps import BuildContext

FIXED_RANDOM_SEED = "1"
REGRTEST = "test"

# regrtest (3.13/3.14) options that take a value as the next argument: needed
# to tell test names from option values on a command line.
_VALUE_OPTIONS = frozenset({
    "--timeout", "-S", "--start", "-p", "--python", "--randseed", "-f", "--fromfile",
    "-u", "--use", "-M", "--memlimit", "--testdir", "-R", "--huntrleaks", "-j",
    "--multiprocess", "-D", "--coverdir", "-t", "--threshold", "--junit-xml", "--tempdir",
    "-m", "--match", "-i", "--ignore", "--matchfile", "--ignorefile",
})
# Options that choose the test files: the harness replaces them by an explicit
# list of names when it runs part of the selection (a shard or a resume).
_SELECTION_FLAGS = frozenset({"-x", "--exclude", "-s", "--single"})
_SELECTION_VALUE_OPTIONS = frozenset({"-f", "--fromfile", "-S", "--start"})
# Arguments that make regrtest list or explain instead of running tests.
_NOT_A_RUN = frozenset({"--list-tests", "--list-cases", "-h", "--help"})

#: faulthandler's line when regrtest's --timeout stops a test file.
_TIMEOUT_BANNER = re.compile(r"^Timeout \(\d+:\d\d:\d\d(\.\d+)?\)!$")
_TEST_NAME = re.compile(r"^[A-Za-z_][\w.]*$")


@dataclass(frozen=True)
class TestOptions:
    """What `android.py test` was asked to do (everything but where)."""

    __test__ = False  # not a pytest class

    code: str | None = None  # -c CODE
    module: str | None = None  # -m MODULE (default: regrtest, `-m test`)
    args: tuple[str, ...] = ()  # after `--`: for the module, or whole python arguments
    ci_mode: str | None = None  # "fast" | "slow": upstream's --fast-ci / --slow-ci
    site_packages: Path | None = None
    cwd: Path | None = None
    junit_xml: Path | None = None
    durations: Path | None = None  # an earlier JUnit file, to balance shards
    shards: int = 1
    resume: bool = True
    timeout: float | None = None  # per test file, passed to regrtest --timeout
    deadline: float | None = None  # seconds for the whole run
    verbose: int = 0
    # Whether the target's regrtest has --no-randomize (3.13's does not).
    regrtest_has_no_randomize: bool = True


# --- the python command line -------------------------------------------------

@dataclass(frozen=True)
class PythonCommand:
    """`python [options] (-c CODE | -m MODULE) [args]`."""

    python_options: tuple[str, ...]
    code: str | None
    module: str | None
    args: tuple[str, ...]

    @property
    def is_regrtest_run(self) -> bool:
        """Runs tests through regrtest (not a listing, not other code)."""
        return (self.code is None and self.module == REGRTEST
                and not _NOT_A_RUN.intersection(self.args))

    def argv(self, args: Sequence[str] | None = None) -> list[str]:
        head = ["-c", self.code] if self.code is not None else ["-m", str(self.module)]
        return [*self.python_options, *head, *(self.args if args is None else args)]


def build_command(options: TestOptions) -> PythonCommand:
    """The python arguments, as upstream's `android.py test` composes them."""
    if options.code is not None and options.module is not None:
        raise UserError("-c and -m cannot be used together: choose one")
    args = list(options.args)
    code, module = options.code, options.module
    python_options: list[str] = []
    if code is None and module is None:
        # Upstream's rule: arguments after -- that hold -c or -m are a whole
        # python command line; otherwise they are regrtest's.
        where = next((i for i, arg in enumerate(args) if arg in ("-c", "-m")), None)
        if where is None:
            module = REGRTEST
        elif where + 1 >= len(args):
            raise UserError(f"{args[where]} at the end of the arguments needs a value")
        else:
            python_options = args[:where]
            if args[where] == "-c":
                code = args[where + 1]
            else:
                module = args[where + 1]
            args = args[where + 2:]
    if options.ci_mode:
        if code is not None or module != REGRTEST:
            raise UserError(f"--{options.ci_mode}-ci runs the test suite (-m test): "
                            "leave out -c and other -m modules")
        # As upstream: the options regrtest's --fast-ci/--slow-ci would re-exec
        # python with (impossible on Android), then single-process, in a fixed
        # order (an order-dependent failure must be reproducible on a rerun).
        python_options = ["-W", "error", "-bb", "-E", *python_options]
        # 3.13's regrtest cannot turn off the shuffling --*-ci implies; a fixed
        # seed at least gives the same order on every run.
        fixed_order = (["--no-randomize"] if options.regrtest_has_no_randomize
                       else ["--randseed", FIXED_RANDOM_SEED])
        args = [f"--{options.ci_mode}-ci", "--single-process", *fixed_order, *args]
    command = PythonCommand(tuple(python_options), code, module, tuple(args))
    regrtest = command.is_regrtest_run
    if options.timeout is not None:
        if not regrtest:
            raise UserError("--timeout is regrtest's per-test-file timeout: use it with "
                            "the test suite (-m test), or use --deadline")
        command = PythonCommand(command.python_options, code, module,
                                ("--timeout", f"{options.timeout:g}", *command.args))
    if not regrtest:
        for given, name in ((options.junit_xml, "--junit-xml"),
                            (options.durations, "--durations"),
                            (options.shards > 1 or None, "--shards")):
            if given:
                raise UserError(f"{name} needs a regrtest run (-m test without "
                                "--list-tests): drop it or run the test suite")
    return command


def split_regrtest_args(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(options that do not choose test files, test names) from regrtest arguments.

    Options that choose test files (-x, -f, --start, -s) are left out: the
    harness passes the names it wants instead.  Short options must stand
    alone (`-x`, not `-vx`) to be recognised.
    """
    options: list[str] = []
    names: list[str] = []
    iterator = iter(args)
    for arg in iterator:
        if arg in _SELECTION_FLAGS:
            continue
        if arg in _SELECTION_VALUE_OPTIONS:
            next(iterator, None)
            continue
        if arg.startswith(("--fromfile=", "--start=")):
            continue
        if arg in _VALUE_OPTIONS:
            options.append(arg)
            value = next(iterator, None)
            if value is not None:
                options.append(value)
        elif arg.startswith("-") and arg != "-":
            options.append(arg)
        else:
            names.append(arg)
    return options, names


def subset_args(args: Sequence[str], files: Sequence[str]) -> list[str]:
    """regrtest arguments that run exactly `files`, with the user's other options."""
    options, _ = split_regrtest_args(args)
    return [*options, *files]


# --- sharding ------------------------------------------------------------------

def load_durations(path: Path, files: Sequence[str]) -> dict[str, float]:
    """Seconds per test file from an earlier JUnit file (ours or regrtest's).

    A suite named like a test file gives its time; otherwise each case is
    attributed to the test file its dotted name contains
    (`test.test_os.FileTests.test_x` → `test_os`) and the times are summed.
    """
    from junitparser import JUnitXml, TestSuite  # lazily: only with --durations

    try:
        xml = JUnitXml.fromfile(str(path))
    except (OSError, SyntaxError, ValueError) as e:  # lxml/ElementTree parse errors
        raise UserError(f"--durations {path}: not a readable JUnit XML file ({e})") from None
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    wanted = set(files)
    totals: dict[str, float] = {}
    for suite in suites:
        suite_file = suite.name if suite.name in wanted else None
        if suite_file and suite.time:
            totals[suite_file] = totals.get(suite_file, 0.0) + float(suite.time)
            continue
        for case in suite:
            owner = suite_file or _file_of(f"{case.classname or ''}.{case.name or ''}", wanted)
            if owner:
                totals[owner] = totals.get(owner, 0.0) + float(case.time or 0.0)
    return totals


def _file_of(dotted: str, files: set[str]) -> str | None:
    """The longest test file name that is a run of components of `dotted`."""
    parts = [p for p in dotted.split(".") if p]
    best: str | None = None
    for start in range(len(parts)):
        for end in range(len(parts), start, -1):
            candidate = ".".join(parts[start:end])
            if candidate in files and (best is None or len(candidate) > len(best)):
                best = candidate
    return best


def plan_shards(files: Sequence[str], count: int,
                durations: Mapping[str, float] | None = None) -> list[list[str]]:
    """Split `files` into `count` lists of about equal total duration.

    Longest first, each to the least loaded shard (ties: lowest index), so
    the same inputs always give the same plan.  Files without a duration
    weigh the mean of the known ones; with no durations at all, every file
    weighs the same and the split is by count.  Each shard keeps the
    selection's order.
    """
    durations = durations or {}
    known = [durations[f] for f in files if f in durations]
    default = sum(known) / len(known) if known else 1.0
    weight = {f: durations.get(f, default) for f in files}
    shards: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for name in sorted(weight, key=lambda f: (-weight[f], f)):
        index = min(range(count), key=lambda i: (loads[i], i))
        shards[index].append(name)
        loads[index] += weight[name]
    position = {name: i for i, name in enumerate(files)}
    return [sorted(shard, key=position.__getitem__) for shard in shards]


# --- running -------------------------------------------------------------------

@dataclass
class RunContext:
    """What every shard shares: options, output, the deadline."""

    options: TestOptions
    command: PythonCommand
    console: Console
    labelled: bool  # prefix target output with the runner's name (several shards)
    deadline_at: float | None = None  # time.monotonic() value
    interrupted_by: str | None = None  # "SIGTERM": set when a signal stops the run

    def remaining(self) -> float | None:
        if self.deadline_at is None:
            return None
        return max(0.0, self.deadline_at - time.monotonic())

    def show(self, label: str, line: str) -> None:
        self.console.write(f"[{label}] {line}" if self.labelled else line)


async def list_tests(runner: Runner, ctx: RunContext, args: Sequence[str]) -> list[str]:
    """The test files regrtest selects for `args`, asked of the target itself."""
    lines: list[str] = []
    argv = ctx.command.argv([*args, "--list-tests"])
    outcome = await runner.run(
        Invocation(argv, cwd=ctx.options.cwd, site_packages=ctx.options.site_packages,
                   timeout=ctx.remaining()),
        lambda line, stream: lines.append(line))
    if outcome.returncode != 0:
        raise CommandFailed([runner.name, *argv], -1 if outcome.returncode is None
                            else outcome.returncode, tail="\n".join(lines[-30:]),
                            step="list the selected test files")
    # Keep names only: regrtest's re-exec line ("+ python ...") and warnings go.
    return [line.strip() for line in lines if _TEST_NAME.match(line.strip())]


@dataclass
class ShardRun:
    """One runner working through its test files, resuming after a crash."""

    runner: Runner
    ctx: RunContext
    files: list[str] | None  # None: the user's own selection, not listed yet
    parts: list[RunResults] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # harness-level failures
    _parser: RegrtestParser | None = None
    _pending: list[str] | None = None

    @property
    def label(self) -> str:
        return self.runner.name

    async def run(self) -> None:
        self._pending = self.files
        try:
            while await self._attempt():
                pass
        except asyncio.CancelledError:
            how = f"interrupted by {self.ctx.interrupted_by or 'a cancellation'}"
            self._record_stop(how, f"not run: the run was {how}")
            raise
        except Exception as e:
            # This runner failed (a lost device, a listing that failed, a bug):
            # the other shards carry on, and the report says what happened.
            text = str(e).strip().splitlines()
            message = f"{self.label}: {type(e).__name__}: {text[-1] if text else ''}"
            self.ctx.console.warn(f"android.py: error: {message}")
            self.problems.append(message)
            self._record_stop(None, f"not run: {message}")

    async def _attempt(self) -> bool:
        """Run the pending files once; True if a resume should follow."""
        from .results import RegrtestParser, mark_crashed, mark_timed_out, merge_regrtest_xml
        from .results.model import FILE_TIMED_OUT

        ctx, options = self.ctx, self.ctx.options
        command = ctx.command
        args = (list(command.args) if self._pending is None
                else subset_args(command.args, self._pending))
        parser = RegrtestParser()
        self._parser = parser
        timeout_seen = False

        def on_line(line: str, stream: str) -> None:
            nonlocal timeout_seen
            ctx.show(self.label, line)
            parser.feed(line)
            if _TIMEOUT_BANNER.match(line):
                timeout_seen = True

        with tempfile.TemporaryDirectory(prefix="android-py-test-") as scratch:
            invocation = Invocation(
                command.argv(args), cwd=options.cwd, site_packages=options.site_packages,
                junit_xml=Path(scratch) / "regrtest.xml", timeout=ctx.remaining())
            if options.verbose:
                ctx.console.write(f"[{self.label}] > python {join_command(invocation.args)}")
            outcome = await self.runner.run(invocation, on_line)
            running = parser.current_file
            results = parser.finish()
            self._parser = None
            if outcome.junit_xml is not None:
                merge_regrtest_xml(results, outcome.junit_xml)
        self.parts.append(results)

        if outcome.timed_out:  # the overall deadline
            if running:
                mark_timed_out(results, running, options.deadline or 0.0)
            await self._mark_rest(results, "not run: the overall deadline (--deadline) expired")
            return False
        if running is None:
            self._check_ended_well(results, outcome)
            return False
        # The process ended inside a test file: it crashed, or regrtest's
        # --timeout (faulthandler) stopped it.  The parser knows which from
        # the output when it shows; the exit status adds the rest.
        stopped = results.file(running)
        if stopped.status == FILE_TIMED_OUT or timeout_seen:
            if stopped.status != FILE_TIMED_OUT:
                mark_timed_out(results, running, options.timeout or parser.timeout or 0.0)
            what = "timed out"
        else:
            mark_crashed(results, running, outcome.detail)
            what = "crashed"
        if not options.resume:
            await self._mark_rest(results, f"not run: {running} {what} and --no-resume "
                                  "stops at the first crash")
            return False
        before = self._pending
        remaining = await self._not_done()
        # The files regrtest announced but never reached are accounted by name now.
        results.missing_files = 0
        if not remaining:
            return False
        if before is not None and set(remaining) == set(before):
            # Nothing got done (the crash is not where the names say): do not loop.
            mark_not_run_reason = f"not run: {running} {what} and no test file finished"
            await self._mark_rest(results, mark_not_run_reason)
            self.problems.append(f"{self.label}: {running} {what} before any listed "
                                 "test file finished; not resuming again")
            return False
        ctx.console.write(f"[{self.label}] {running} {what} ({outcome.detail}); resuming "
                          f"in a fresh process with the {len(remaining)} test file(s) not run")
        self._pending = remaining
        return True

    def _check_ended_well(self, results: RunResults, outcome: Outcome) -> None:
        """A regrtest exit status outside its own set means python itself failed."""
        code = outcome.returncode
        if code in (0, 2, 3, 4, 5, 130):  # regrtest's EXITCODE_* values
            return
        message = f"{self.label}: python ended with {outcome.detail or code} outside any test file"
        self.ctx.console.warn(f"android.py: error: {message}")
        self.problems.append(message)

    async def _selection(self) -> list[str]:
        if self._pending is None:
            self._pending = await list_tests(self.runner, self.ctx, self.ctx.command.args)
        return self._pending

    def _done(self) -> set[str]:
        from .results.model import FILE_NOT_RUN, FILE_RUNNING

        return {name for part in self.parts for name, f in part.files.items()
                if f.status not in (FILE_NOT_RUN, FILE_RUNNING)}

    async def _not_done(self) -> list[str]:
        done = self._done()
        return [name for name in await self._selection() if name not in done]

    async def _mark_rest(self, results: RunResults, reason: str) -> None:
        from .results import mark_not_run

        if self.ctx.remaining() == 0.0 and self._pending is None:
            # No time left to ask the target for the names: regrtest's "[n/N]"
            # count (results.missing_files) says how many did not run.
            return
        with contextlib.suppress(UserError, CommandFailed, OSError):
            rest = await self._not_done() if self.ctx.remaining() != 0.0 else self._known_rest()
            mark_not_run(results, rest, reason)
            results.missing_files = 0

    def _known_rest(self) -> list[str]:
        done = self._done()
        return [name for name in self._pending or () if name not in done]

    def _record_stop(self, how: str | None, reason: str) -> None:
        """After an interrupt or a runner error: keep what ran, name what did not."""
        from .results import RunResults, mark_not_run
        from .results.model import FILE_INTERRUPTED

        parser = self._parser
        if parser is not None:
            running = parser.current_file
            results = parser.finish()
            self._parser = None
            if running and how:
                stopped = results.file(running)
                stopped.status = FILE_INTERRUPTED
                where = f" while running {stopped.running_test}" if stopped.running_test else ""
                stopped.reason = how + where
            self.parts.append(results)
        rest = self._known_rest()
        if rest:
            if not self.parts:
                self.parts.append(RunResults())
            mark_not_run(self.parts[-1], rest, reason)
            self.parts[-1].missing_files = 0


@contextlib.contextmanager
def _cancel_on_signals(task: asyncio.Task[object], ctx: RunContext) -> Iterator[list[int]]:
    """SIGINT/SIGTERM cancel `task` (so every runner kills its processes) and
    are recorded, instead of raising wherever the event loop happens to be."""
    loop = asyncio.get_running_loop()
    received: list[int] = []
    previous: dict[signal.Signals, object] = {}

    def handler(signum: int) -> None:
        received.append(signum)
        ctx.interrupted_by = signal.Signals(signum).name
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.getsignal(signum)
            loop.add_signal_handler(signum, handler, signum)
        except (RuntimeError, ValueError):  # not the main thread: leave signals alone
            previous.pop(signum, None)
    try:
        yield received
    finally:
        for signum, old in previous.items():
            loop.remove_signal_handler(signum)
            signal.signal(signum, old)  # type: ignore[arg-type]


@dataclass
class Report:
    """What a regrtest run produced."""

    results: RunResults
    problems: list[str]
    interrupted: bool


async def run_regrtest(runners: Sequence[Runner], ctx: RunContext) -> Report:
    """Shard the selection over `runners`, run, resume, and merge the results."""
    from .results import merge

    task = asyncio.current_task()
    assert task is not None
    shard_runs: list[ShardRun] = []
    interrupted = False
    with _cancel_on_signals(task, ctx) as received:
        try:
            shard_runs = await _plan(runners, ctx)
            async with asyncio.TaskGroup() as group:
                for shard in shard_runs:
                    group.create_task(shard.run())
        except asyncio.CancelledError:
            if not received:
                raise
            interrupted = True
    results = merge(part for shard in shard_runs for part in shard.parts)
    problems = [p for shard in shard_runs for p in shard.problems]
    return Report(results, problems, interrupted)


async def _plan(runners: Sequence[Runner], ctx: RunContext) -> list[ShardRun]:
    options = ctx.options
    if len(runners) == 1:
        # One shard: run the user's selection as given; list it only if a
        # crash makes a resume necessary (listing costs a python start-up).
        return [ShardRun(runners[0], ctx, None)]
    selection = await list_tests(runners[0], ctx, ctx.command.args)
    if not selection:
        return []
    durations = load_durations(options.durations, selection) if options.durations else None
    plan = plan_shards(selection, len(runners), durations)
    shards = [ShardRun(runner, ctx, files) for runner, files in zip(runners, plan, strict=True)
              if files]
    for shard in shards:
        ctx.console.write(f"[{shard.label}] {len(shard.files or ())} test file(s)")
    return shards


async def run_plain(runner: Runner, ctx: RunContext) -> int:
    """-c CODE, another module, or a regrtest listing: stream it, return its status."""
    task = asyncio.current_task()
    assert task is not None
    options = ctx.options
    with _cancel_on_signals(task, ctx) as received:
        try:
            outcome = await runner.run(
                Invocation(ctx.command.argv(), cwd=options.cwd,
                           site_packages=options.site_packages, timeout=ctx.remaining()),
                lambda line, stream: ctx.show(runner.name, line))
        except asyncio.CancelledError:
            if not received:
                raise
            raise KeyboardInterrupt from None
    if outcome.timed_out:
        ctx.console.warn(f"android.py: error: the deadline expired: {outcome.detail}")
        return 1
    return 1 if outcome.returncode is None else outcome.returncode


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


def has_no_randomize(ctx: BuildContext) -> bool:
    """Whether the checkout's regrtest (which the target runs) has --no-randomize."""
    cmdline = ctx.checkout.root / "Lib" / "test" / "libregrtest" / "cmdline.py"
    try:
        return "'--no-randomize'" in cmdline.read_text(encoding="utf-8", errors="replace")
    except OSError:  # a release package has no Lib/: judge by the version
        return ctx.checkout.version_tuple >= (3, 14)


def run_test_command(options: TestOptions, ctx: BuildContext, *, connected: tuple[str, ...] = (),
                     managed: str | None = None, avd: str | None = None,
                     lab: Path | None = None) -> int:
    """`android.py test`: validate, find the runners, run.  `ctx.host` None
    means the native build python."""
    from .runners import RunnerSpec, create_runners

    options = replace(options, regrtest_has_no_randomize=has_no_randomize(ctx))
    build_command(options)  # bad options are reported before anything starts
    spec = RunnerSpec(host=ctx.host or NATIVE_HOST, layout=ctx.layout,
                      python_version=ctx.checkout.short_version, shards=options.shards,
                      verbose=options.verbose, connected=connected, managed=managed, avd=avd,
                      lab=lab)
    return run_tests(options, create_runners(spec), ctx.console)


def run_tests(options: TestOptions, runners: Sequence[Runner], console: Console) -> int:
    """Run and report; the exit status follows regrtest's meaning (0: all passed)."""
    command = build_command(options)
    deadline_at = time.monotonic() + options.deadline if options.deadline else None
    ctx = RunContext(options, command, console, labelled=len(runners) > 1,
                     deadline_at=deadline_at)
    try:
        if not command.is_regrtest_run:
            return asyncio.run(run_plain(runners[0], ctx))
        report = asyncio.run(run_regrtest(runners, ctx))
    finally:
        asyncio.run(close_runners(runners, console))  # e.g. shut down emulators we booted
    return finish_report(report, runners, ctx)


async def close_runners(runners: Sequence[Runner], console: Console) -> None:
    results = await asyncio.gather(*(runner.close() for runner in runners),
                                   return_exceptions=True)
    for runner, result in zip(runners, results, strict=True):
        if isinstance(result, Exception):
            console.warn(f"warning: could not release {runner.name}: {result}")


def finish_report(report: Report, runners: Sequence[Runner], ctx: RunContext) -> int:
    from .results import write_junit

    console = ctx.console
    problems = list(report.problems)
    if ctx.options.junit_xml:
        try:
            write_junit(report.results, ctx.options.junit_xml, junit_properties(runners, ctx))
            console.write(f"JUnit XML: {ctx.options.junit_xml}")
        except UserError as e:  # the summary still says how the run went
            problems.append(str(e))
    console.write(report.results.summary())
    for problem in problems:
        console.write(f"Error: {problem}")
    if report.interrupted:
        raise KeyboardInterrupt  # the cli says so and exits 130
    status = report.results.exit_status()
    return status or (1 if problems else 0)
