"""What `test` runs: the python command line (upstream's defaults and
`--fast-ci`/`--slow-ci` option sets), regrtest's arguments, and the split of
the selected test files into shards (by earlier durations or by count)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UserError
from ..results.junit import xml_seconds

if TYPE_CHECKING:
    from ..crash import CrashSymbols


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
    html: Path | None = None  # --html (default: beside the JUnit XML)
    html_off: bool = False  # --no-html
    durations: Path | None = None  # an earlier JUnit file, to balance shards
    shards: int = 1
    per_device: int | None = None  # Android: test processes per device (None: chosen)
    resume: bool = True
    timeout: float | None = None  # per test file, passed to regrtest --timeout
    deadline: float | None = None  # seconds for the whole run
    stall_timeout: float | None = None  # Android: silence before the device must answer
    verbose: int = 0
    pull: tuple[str, ...] = ()  # --pull: files the run produces, copied back after it
    output_dir: Path | None = None  # --output-dir: where they go
    pythoninfo: bool = False  # --pythoninfo (implied by --fast-ci/--slow-ci, as upstream)

    @property
    def wants_pythoninfo(self) -> bool:
        return self.pythoninfo or self.ci_mode is not None


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


@dataclass(frozen=True)
class TargetInfo:
    """What the target's python is, probed once before a run (run_test_command)."""

    regrtest_has_no_randomize: bool = True  # 3.13's regrtest does not have it
    # 3.13's regrtest has no --pythoninfo: then the harness runs `-m test.pythoninfo` first.
    regrtest_has_pythoninfo: bool = True
    # How to symbolize a crash's native frames (crash/), from the build's ELF files.
    crash_symbols: CrashSymbols | None = field(default=None, compare=False)


#: Defaults as for a current regrtest, no crash symbols (tests, `-c` runs).
NOTHING_PROBED = TargetInfo()


def build_command(options: TestOptions, info: TargetInfo = NOTHING_PROBED) -> PythonCommand:
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
        fixed_order = (["--no-randomize"] if info.regrtest_has_no_randomize
                       else ["--randseed", FIXED_RANDOM_SEED])
        args = [f"--{options.ci_mode}-ci", "--single-process", *fixed_order,
                *pythoninfo_option(options, info), *args]
    elif code is None and module == REGRTEST:
        args = [*pythoninfo_option(options, info), *args]
    command = PythonCommand(tuple(python_options), code, module, tuple(args))
    regrtest = command.is_regrtest_run
    if options.timeout is not None:
        if not regrtest:
            raise UserError("--timeout is regrtest's per-test-file timeout: use it with "
                            "the test suite (-m test), or use --deadline")
        command = PythonCommand(command.python_options, code, module,
                                ("--timeout", f"{options.timeout:g}", *command.args))
    if not regrtest:
        for given, name in ((options.junit_xml, "--junit-xml"), (options.html, "--html"),
                            (options.durations, "--durations"),
                            (options.shards > 1 or None, "--shards"),
                            (options.per_device, "--per-device")):
            if given:
                raise UserError(f"{name} needs a regrtest run (-m test without "
                                "--list-tests): drop it or run the test suite")
    return command


def pythoninfo_option(options: TestOptions, info: TargetInfo) -> list[str]:
    """regrtest's --pythoninfo where wanted and the target's regrtest has it
    (main's CI options end with it; elsewhere the harness runs the module)."""
    return ["--pythoninfo"] if options.wants_pythoninfo and info.regrtest_has_pythoninfo \
        else []


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


#: regrtest's own re-run of failed files at the end of a process (3.13: -w and
#: --verbose2 are its other names; --fast-ci and --slow-ci imply it).
_RERUN = {"--rerun", "-w", "--verbose2"}


def wants_rerun(args: Sequence[str]) -> bool:
    return bool((_RERUN | {"--fast-ci", "--slow-ci"}) & set(args))


def rerun_args(args: Sequence[str]) -> list[str]:
    """The arguments for re-running failed files the way regrtest does: in
    verbose mode, and not re-run once more (--fast-ci/--slow-ci still would:
    regrtest cannot be told otherwise, so such a test may get a third attempt)."""
    verbose = [] if {"-v", "--verbose"} & set(args) else ["-v"]
    return [*verbose, *(arg for arg in args if arg not in _RERUN)]


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
    suites = read_durations_xml(path)
    wanted = set(files)
    totals: dict[str, float] = {}
    for suite in suites:
        suite_file = suite.name if suite.name in wanted else None
        suite_time = xml_seconds(suite, "a suite's time")
        if suite_file and suite_time:
            totals[suite_file] = totals.get(suite_file, 0.0) + suite_time
            continue
        for case in suite:
            owner = suite_file or _file_of(f"{case.classname or ''}.{case.name or ''}", wanted)
            if owner:
                totals[owner] = totals.get(owner, 0.0) + xml_seconds(case, "a test's time")
    return totals


def read_durations_xml(path: Path) -> list[Any]:
    """The suites of a JUnit file, every time in it a number; else UserError
    (the command line checks --durations with this before any work)."""
    from junitparser import JUnitXml, JUnitXmlError, TestSuite  # lazily: --durations only

    try:
        xml = JUnitXml.fromfile(str(path))
        if xml._elem.tag not in ("testsuites", "testsuite"):
            raise ValueError(f"the root element is <{xml._elem.tag}>, not <testsuites>")
        suites = [xml] if isinstance(xml, TestSuite) else list(xml)
        for suite in suites:
            xml_seconds(suite, f"the time of suite {suite.name}")
            for case in suite:
                xml_seconds(case, f"the time of {case.name}")
    except (OSError, SyntaxError, ValueError, JUnitXmlError) as e:  # parse errors too
        reason = ("its root element is not <testsuites> or <testsuite>"
                  if isinstance(e, JUnitXmlError) else " ".join(str(e).split()))
        raise UserError(f"--durations {path}: not a readable JUnit XML file ({reason})") from None
    return suites


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


def cases_per_file(case_ids: Iterable[str], files: Sequence[str]) -> dict[str, int]:
    """regrtest's `--list-cases` ids ("test.test_os.FileTests.test_x") counted
    per test file of `files`."""
    wanted = set(files)
    counts: dict[str, int] = {}
    owners: dict[str, str | None] = {}  # a class's file, found once per class
    for case_id in case_ids:
        holder = case_id.rpartition(".")[0]
        if holder not in owners:
            owners[holder] = _file_of(case_id, wanted)
        owner = owners[holder]
        if owner is not None:
            counts[owner] = counts.get(owner, 0) + 1
    return counts
