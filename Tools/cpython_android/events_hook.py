"""Runs regrtest on the target and records every test's result as it happens.

    python [OPTIONS] events_hook.py --events FILE [--skip-started] -- REGRTEST-ARGS
    python [OPTIONS] -m android_testbed_events --events FILE ... (the Android testbed)

This file runs on the *target* python (CPython 3.13+, standard library only):
the harness starts it in place of `-m test`, on the python command line rather
than through environment variables, because upstream's --fast-ci runs python
with -E.  It appends one JSON line per unittest event to FILE, then runs
regrtest unchanged (`runpy`, as `python -m test` does).

Why this and not regrtest's own --junit-xml:

- regrtest writes its XML once, at the end: a crash, a hang or a kill loses
  every result, and in one process (always on Android) 3.13's writer itself
  fails once test_xml_etree* re-imported ElementTree (`TypeError: expected an
  Element, not Element`).
- each event here is one `write()` to a file opened with O_APPEND for that
  line alone: what was written is in the kernel's page cache before the next
  test starts, so it survives a segfault, an abort, faulthandler's timeout
  exit or SIGKILL; no file descriptor stays open for a test to close or count.
- the test that started and never stopped is the one that crashed or hung,
  by its real id, with or without -v.

`--skip-started` (a resumed run after a crash) passes regrtest an
--ignorefile with the ids of every test FILE already saw start, so the fresh
process runs the rest of a crashed file without the tests that ran and the
one that crashed.  Only full dotted ids without fnmatch characters are
ignored: regrtest compares those as a set (exact ids); any other pattern would
switch it to fnmatch, where a dotless id could also match a part of another id.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import runpy
import sys
import tempfile
import time
import traceback
from typing import Any

#: Longest traceback kept per event (a huge assertion diff stays readable).
MAX_TEXT = 64 * 1024
_WRAPPED = ("addSuccess", "addError", "addFailure", "addSkip", "addExpectedFailure",
            "addUnexpectedSuccess", "addSubTest", "startTest", "stopTest")


class EventWriter:
    """Appends JSON lines to one file, from this process only (not forks)."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)  # tests change the working directory
        self.pid = os.getpid()

    def write(self, event: str, **fields: Any) -> None:
        if os.getpid() != self.pid:
            return  # a test's forked child: its results are the parent's business
        fields = {"e": event, "t": round(time.time(), 6), **fields}
        data = (json.dumps(fields) + "\n").encode("utf-8", "backslashreplace")
        # Opened per event: a test that closes or counts file descriptors
        # never meets ours, and a reused descriptor number cannot send our
        # lines into a test's file.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _error_fields(err: Any) -> dict[str, str]:
    kind, value, tb = err
    message = "".join(traceback.format_exception_only(kind, value)).strip()
    text = "".join(traceback.format_exception(kind, value, tb))
    return {"msg": message[:MAX_TEXT], "tb": text[-MAX_TEXT:]}


def _test_id(test: Any) -> str:
    try:
        return str(test.id())
    except Exception:  # a broken id() must not break the run
        return str(test)


class FileResult:
    """Which result object belongs to the test file regrtest is running.

    regrtest makes one RegressionTestResult per test file, right after it
    built the file's suite (`_run_suite`); tests of unittest itself make
    results of their own while they run, which must not be recorded."""

    def __init__(self) -> None:
        self.claim = False
        self.current: object | None = None


def _install_result_hook(writer: EventWriter, owner: FileResult) -> None:
    # the target's own regrtest: importable only once the hook runs inside it
    from test.libregrtest import testresult

    cls = testresult.RegressionTestResult
    init = cls.__init__

    def claiming_init(self: object, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if owner.claim:
            owner.current, owner.claim = self, False

    cls.__init__ = claiming_init
    for name in _WRAPPED:
        original = getattr(cls, name)

        def wrapper(self: object, *args: Any, _name: str = name, _original: Any = original
                    ) -> Any:
            if self is owner.current:
                try:
                    _record(writer, _name, args)
                except Exception as e:  # never fail a test because of the record
                    print(f"events_hook: cannot record {_name}: {e!r}", file=sys.stderr)
            return _original(self, *args)

        setattr(cls, name, wrapper)


_OUTCOMES = {"addSuccess": "passed", "addError": "error", "addFailure": "failed",
             "addSkip": "skipped", "addExpectedFailure": "xfail",
             "addUnexpectedSuccess": "xpass"}


def _record(writer: EventWriter, name: str, args: tuple[Any, ...]) -> None:
    test = args[0]
    if name == "startTest":
        writer.write("start", id=_test_id(test))
    elif name == "stopTest":
        writer.write("stop", id=_test_id(test))
    elif name == "addSubTest":
        _, subtest, err = args
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            writer.write("sub", id=_test_id(test), sub=subtest._subDescription(),
                         outcome="failed" if failed else "error", **_error_fields(err))
    elif hasattr(test, "test_case") and name == "addSkip":  # a skipped subtest
        writer.write("sub", id=_test_id(test.test_case), sub=test._subDescription(),
                     outcome="skipped", msg=str(args[1]))
    else:
        fields: dict[str, str] = {}
        if name == "addSkip":
            fields["msg"] = str(args[1])
        elif len(args) > 1 and name != "addSuccess":
            fields = _error_fields(args[1])
        writer.write("end", id=_test_id(test), outcome=_OUTCOMES[name], **fields)


def _install_file_hooks(writer: EventWriter, owner: FileResult) -> None:
    """Name each test file as it starts and ends, list the tests it will run,
    and turn regrtest's own end-of-run XML writer failure into an event."""
    # the target's own regrtest: importable only once the hook runs inside it
    from test.libregrtest import main, results, single

    run_single_test = single.run_single_test

    def run_one(test_name: str, runtests: Any) -> Any:
        writer.write("file", name=test_name)
        result = run_single_test(test_name, runtests)
        writer.write("file_end", name=test_name, state=str(getattr(result, "state", "")))
        return result

    single.run_single_test = run_one
    main.run_single_test = run_one  # main.py imported the name itself

    run_suite = single._run_suite

    def planned(suite: Any) -> Any:
        writer.write("plan", ids=[_test_id(t) for t in _flatten(suite)])
        owner.claim = True  # the next result made is this file's
        try:
            return run_suite(suite)
        finally:
            owner.current = None

    single._run_suite = planned
    write_junit = results.TestResults.write_junit

    def safe_write_junit(self: Any, filename: Any) -> None:
        try:
            write_junit(self, filename)
        except Exception as e:
            # CPython 3.13's writer fails after test_xml_etree re-imported
            # ElementTree.  The tests' results are all in the events file;
            # say what failed, and let regrtest exit with the tests' status.
            error = "".join(traceback.format_exception_only(type(e), e)).strip()
            writer.write("xml_error", error=error, path=str(filename))
            print(f"events_hook: regrtest's --junit-xml writer failed: {error}",
                  file=sys.stderr, flush=True)

    results.TestResults.write_junit = safe_write_junit


def _flatten(suite: Any) -> list[Any]:
    found: list[Any] = []
    todo = [suite]
    while todo:
        item = todo.pop()
        children = getattr(item, "_tests", None)
        if children is None:
            found.append(item)
        else:
            todo.extend(reversed(list(children)))
    return found


def started_ids(path: str) -> list[str]:
    """Ids of the tests an earlier run in `path` started, usable as exact patterns."""
    ids: dict[str, None] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                test_id = event.get("id", "") if event.get("e") == "start" else ""
                if "." in test_id and not any(c in test_id for c in "?*[]\n "):
                    ids[test_id] = None
    except FileNotFoundError:
        pass
    return list(ids)


def _ignore_file(ids: list[str]) -> str:
    fd, path = tempfile.mkstemp(prefix="regrtest-resume-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.writelines(f"{test_id}\n" for test_id in ids)
    atexit.register(_remove, path)
    return path


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def parse_args(argv: list[str]) -> tuple[str, bool, list[str]]:
    if "--" not in argv:
        raise SystemExit("usage: events_hook --events FILE [--skip-started] -- REGRTEST-ARGS")
    split = argv.index("--")
    ours, regrtest = argv[:split], argv[split + 1:]
    if "--events" not in ours or ours.index("--events") + 1 >= len(ours):
        raise SystemExit("events_hook: --events FILE is required")
    return ours[ours.index("--events") + 1], "--skip-started" in ours, regrtest


def main(argv: list[str]) -> None:
    path, skip_started, regrtest_args = parse_args(argv)
    if not any(os.path.abspath(a) == os.path.abspath(__file__) for a in sys.orig_argv[1:]):
        # Started through the testbed app's main module: regrtest's re-exec to
        # add python options (--fast-ci) would start the app's command line,
        # without these arguments, again and again.  The harness passes them.
        regrtest_args = [*regrtest_args, "--dont-add-python-opts"]
    if skip_started and (ids := started_ids(path)):
        regrtest_args = [*regrtest_args, "--ignorefile", _ignore_file(ids)]
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == here and not sys.flags.safe_path:
        sys.path[0] = os.getcwd()  # what `python -m test` puts first, not our directory
    if not skip_started:  # a fresh run: nothing of an earlier one (a reused device)
        with open(path, "w", encoding="utf-8"):
            pass
    writer = EventWriter(path)
    writer.write("run", pid=os.getpid(), argv=regrtest_args)
    owner = FileResult()
    try:
        _install_result_hook(writer, owner)
        _install_file_hooks(writer, owner)
    except (ImportError, AttributeError) as e:
        # Another regrtest than 3.13/3.14's: run it unchanged; the harness then
        # has only the output (the events file says why).
        writer.write("hook_error", error=repr(e))
        print(f"events_hook: cannot record per-test results with this regrtest: {e!r}",
              file=sys.stderr, flush=True)
    sys.argv = [sys.argv[0], *regrtest_args]
    runpy.run_module("test", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
