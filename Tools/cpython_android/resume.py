"""Per-test results and resume inside a crashed test file, for one shard.

A single-process regrtest run goes through `events_hook.py` (on the target),
which appends each test's start and result to an events file; the runner
brings that file here (on Android it is pulled from the device like regrtest's
XML used to be).  This module decides how to run regrtest for that and what
the file says after each run of a shard:

- every test that ran is a case, from the events, whatever happened later in
  the process (regrtest's own --junit-xml is no longer asked for: it is
  written only at the end, and 3.13's writer fails in one process once
  test_xml_etree re-imported ElementTree);
- the test that started and never stopped is the one a crash or hang
  interrupted: it becomes an error case of its own;
- the next process runs the rest of that file (`--skip-started`: the hook
  ignores every test the events file saw start) before the files not run
  yet; a test that crashes twice is not retried again;
- planned tests of such a file that never started are "not run" cases.

regrtest -j runs its tests in worker processes the hook does not reach: such
runs keep regrtest's XML and file-level resume.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .results import RunResults, TestCase, apply_events, attribute_stop, read_events
from .results.cases import ERROR
from .results.events import EventLog, case_key

#: The hook as a script on this machine (qemu and native runs).
HOOK_SCRIPT = Path(__file__).resolve().with_name("events_hook.py")
#: The hook as the testbed app ships it (site-packages of the APK).
HOOK_MODULE = "android_testbed_events"


def runs_in_one_process(regrtest_args: Sequence[str]) -> bool:
    """Whether regrtest runs the tests itself, not in -j worker processes."""
    if "--single-process" in regrtest_args:
        return True
    for arg in regrtest_args:
        if arg in ("-j", "--multiprocess", "--fast-ci", "--slow-ci") or arg.startswith(
                ("-j", "--multiprocess=")):
            return False
    return True


def hook_argv(args: Sequence[str], hook: Sequence[str], events: str, skip_started: bool
              ) -> list[str]:
    """`[OPTS] -m test ARGS` as `[OPTS] HOOK --events FILE [--skip-started] -- ARGS`."""
    args = list(args)
    where = next(i for i in range(len(args) - 1) if args[i:i + 2] == ["-m", "test"])
    ours = ["--events", events, *(["--skip-started"] if skip_started else [])]
    return [*args[:where], *hook, *ours, "--", *args[where + 2:]]


@dataclass
class ShardEvents:
    """One shard's events file across its runs, and what they say together."""

    directory: Path | None = None  # made on first use, removed by close()
    offset: int = 0
    runs: int = 0
    crashes: Counter[str] = field(default_factory=Counter)  # test id -> times it stopped a run
    planned: dict[str, list[str]] = field(default_factory=dict)  # file -> ids, all runs
    started: dict[str, set[str]] = field(default_factory=dict)  # file -> ids, all runs
    unrun_reason: dict[str, str] = field(default_factory=dict)  # file -> why tests did not run
    xml_errors: list[str] = field(default_factory=list)
    last_log: EventLog | None = None
    # Files whose rest a later run runs: their parts join when merged (results.merge).
    resumed: set[str] = field(default_factory=set)

    @property
    def path(self) -> Path:
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="android-py-events-"))
        return self.directory / "events.jsonl"

    def next_run(self) -> bool:
        """Before a run: True if it continues the file (skip started tests)."""
        if self.runs == 0:
            self.path.unlink(missing_ok=True)
        self.runs += 1
        return self.runs > 1

    def collect(self, results: RunResults) -> EventLog:
        """After a run: its events into `results`."""
        log, self.offset = read_events(self.path, self.offset)
        for name, events in log.files.items():
            plan = self.planned.setdefault(name, [])
            plan += [i for i in events.planned if i not in plan]
            self.started.setdefault(name, set()).update(events.started)
        if log.xml_error:
            self.xml_errors.append(log.xml_error)
        apply_events(results, log)
        self.last_log = log
        return log

    def attribute(self, results: RunResults, file: str) -> str | None:
        """`file` crashed or hung: its running test becomes its own case; its id."""
        f = results.file(file)
        events = self.last_log.files.get(file) if self.last_log else None
        key = attribute_stop(f, idle_known=events is not None)
        if key is None:
            return None
        test_id = f"{key[0]}.{key[1]}"
        if events is not None and events.running:
            test_id = events.running  # the exact id, as the hook will match it
        self.crashes[test_id] += 1
        return test_id

    def resume_file(self, file: str, culprit: str | None, why: str) -> str | None:
        """`file` if a fresh process should run the rest of it."""
        if culprit is None:
            self.unrun_reason[file] = f"{why} before any test of the file started"
            return None
        if self.crashes[culprit] > 1:
            self.unrun_reason[file] = f"{culprit} {why} twice; not retried again"
            return None
        self.unrun_reason.setdefault(file, f"{why} and the rest of the file did not run")
        if not set(self.planned.get(file, ())) - self.started.get(file, set()):
            return None  # nothing left in the file
        self.resumed.add(file)
        return file

    def forget(self, file: str) -> None:
        """`file` runs again elsewhere, from its start (its device was lost)."""
        for known in (self.planned, self.started, self.unrun_reason):
            known.pop(file, None)
        self.resumed.discard(file)

    def stop_file(self, file: str, reason: str) -> None:
        self.unrun_reason[file] = reason

    def mark_unrun(self, parts: Sequence[RunResults]) -> None:
        """Planned tests of a stopped file that never started: "not run" cases,
        never dropped.  (A file that ended normally ran all it could: a class
        skipped by its setUpClass never starts its tests.)"""
        for file, reason in self.unrun_reason.items():
            holder = next((p for p in reversed(parts) if file in p.files), None)
            if holder is None:
                continue
            f = holder.files[file]
            fixtures = {c.classname for p in parts if file in p.files
                        for c in p.files[file].cases if c.name.startswith("setUp")}
            missing = [i for i in self.planned.get(file, ())
                       if i not in self.started.get(file, set())
                       and not _under(case_key(i)[0], fixtures)]
            for test_id in missing:
                classname, name = case_key(test_id)
                f.add_case(TestCase(classname, name, status=ERROR, message=f"not run: {reason}"))

    def close(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def _under(classname: str, fixtures: set[str]) -> bool:
    """A class (or its module) whose setUpClass/setUpModule had a result of its own."""
    return any(classname == f or classname.startswith(f + ".") for f in fixtures)
