"""JUnit XML in (regrtest's own `--junit-xml`) and out (ours), with junitparser.

regrtest's XML (see FACTS.md): `testsuites > testsuite` without names,
`testcase name="test.test_x.Class.test_y"` without classname; an expected
failure is an `<output>` child, an unexpected success `<outcome>UNEXPECTED_SUCCESS`,
a subtest failure an empty `<testcase/>`.  It lacks crashed and hung files and
setUpClass errors, so it only adds to what the streamed output shows: per-test
times, tracebacks, and the tests of a run that was not verbose.

Ours: one `testsuite` per test file, one `testcase` per test with classname,
name, time and a failure/error/skipped child carrying message and traceback;
valid against the Jenkins/GitLab JUnit schema (tests/data/junit-10.xsd).
"""

from __future__ import annotations

import contextlib
import datetime
import math
import re
import socket
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UserError
from ..safefiles import is_no_space, no_space
from ..textutil import read_float
from .cases import (
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    FileState,
    TestCase,
)
from .model import RunResults, TestFile
from .regrtest import doctest_key

if TYPE_CHECKING:
    import junitparser

# Characters XML 1.0 cannot hold (test output has ANSI escapes, NULs, lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


#: The most seconds a time in a JUnit file may say (a month); Surefire's schema
#: takes plain decimals only, so no `nan`, `inf`, negative or `1e+22`.
MAX_SECONDS = 31 * 24 * 3600.0


def xml_seconds(element: Any, what: str) -> float:
    """The `time` attribute of a JUnit element (junitparser's or ElementTree's)
    as seconds; NumberError (a ValueError) for what is not a finite,
    non-negative time."""
    elem = getattr(element, "_elem", element)
    return read_float(elem.get("time") or "0", what, high=MAX_SECONDS)


def written_seconds(seconds: float) -> float:
    """A time as written into our JUnit: the schema's plain decimal, always."""
    return round(seconds, 3) if math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS else 0.0


def xml_text(text: str) -> str:
    """`text` made storable in XML 1.0: a forbidden character becomes `\\xNN`."""
    if not _NOT_XML.search(text):
        return text
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# --- reading regrtest's XML ---------------------------------------------------

def _outcome_class() -> type[junitparser.Element]:
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    import junitparser

    class Outcome(junitparser.Element):
        """regrtest's `<outcome>UNEXPECTED_SUCCESS</outcome>`."""

        _tag = "outcome"

    return Outcome


def _case_from_xml(case: junitparser.TestCase, outcome: type[junitparser.Element]
                   ) -> TestCase | None:
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    import junitparser

    full = case.name
    if not full:
        return None  # a subtest failure: the streamed output names it
    if case.classname:
        classname, name = case.classname, full
    else:
        classname, name = doctest_key(full)
    result = TestCase(classname, name, time=xml_seconds(case, f"the time of {full}"))
    for item in case.result:
        if isinstance(item, junitparser.Skipped):
            result.status, result.message = SKIPPED, item.message or (item.text or "")
        elif isinstance(item, junitparser.Error | junitparser.Failure):
            result.status = ERROR if isinstance(item, junitparser.Error) else FAILED
            result.message = (item.message or "").strip()
            result.detail = item.text or ""
    mark = case.child(outcome)
    if mark is not None and (mark._elem.text or "").strip() == "UNEXPECTED_SUCCESS":
        result.status, result.message = FAILED, "unexpected success"
    return result


def _file_for(results: RunResults, classname: str) -> str:
    """The test file a case's dotted classname belongs to: a known file whose
    module is a prefix of it, else its first component after `test.`."""
    parts = classname.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in results.files:
            return prefix
        if parts[0] == "test" and n > 1 and ".".join(parts[1:n]) in results.files:
            return ".".join(parts[1:n])
    return parts[1] if parts[0] == "test" and len(parts) > 1 else parts[0]


def _suite_file(results: RunResults, cases: list[TestCase]) -> str:
    """The test file one of regrtest's suites (one per test file) is about.

    Judged by the first case that names a test module: the first case can be a
    doctest of the module under test (classname "" or "json.encoder...")."""
    for case in cases:
        if case.classname.startswith("test.") or _known_file(results, case.classname):
            return _file_for(results, case.classname)
    return _file_for(results, cases[0].classname)


def _known_file(results: RunResults, classname: str) -> bool:
    return _file_for(results, classname) in results.files


def _merge_cases(f: TestFile, cases: list[TestCase]) -> None:
    """The n-th XML case with a given class and name completes the n-th one the
    output showed; more of them than that really ran again (the same doctest
    collected by two suites), so they are added, not merged."""
    existing: dict[tuple[str, str], list[TestCase]] = {}
    for case in f.cases:
        existing.setdefault(case.key, []).append(case)
    seen: Counter[tuple[str, str]] = Counter()
    for case in cases:
        n = seen[case.key]
        seen[case.key] += 1
        same = existing.get(case.key, [])
        if n < len(same):
            same[n].absorb(case)
        else:
            f.add_case(case, duplicate=n > 0 or bool(same))


def merge_regrtest_xml(results: RunResults, xml: str | Path) -> None:
    """Add what regrtest's own `--junit-xml` (a path, or its text) knows to `results`."""
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    import junitparser

    try:
        if isinstance(xml, Path):
            doc = junitparser.JUnitXml.fromfile(str(xml))
        else:
            doc = junitparser.JUnitXml.fromstring(xml)
    except OSError as e:
        raise UserError(f"cannot read regrtest's XML {xml}: {e.strerror or e}") from None
    except Exception as e:  # lxml and ElementTree raise their own parse errors
        where = xml if isinstance(xml, Path) else "regrtest's XML"
        raise UserError(f"{where} is not valid XML ({e}); pass the file regrtest "
                        "wrote with --junit-xml") from None
    suites = [doc] if isinstance(doc, junitparser.TestSuite) else list(doc)
    outcome = _outcome_class()
    # One suite per file and pass: a file's n-th suite is its n-th attempt
    # (regrtest's re-run appends the suites of the files it ran again).
    passes: dict[str, list[list[TestCase]]] = {}
    for suite in suites:
        cases = [c for c in (_case_from_xml(c, outcome) for c in suite) if c is not None]
        if cases:  # an empty suite (a setUpModule error) names nothing
            passes.setdefault(_suite_file(results, cases), []).append(cases)
    for name, file_passes in passes.items():
        is_new = name not in results.files
        attempts = results.file(name).attempts_for(len(file_passes))
        for f, cases in zip(attempts, file_passes, strict=True):
            _merge_cases(f, cases)
            if is_new or f.status == FileState.RUNNING and not f.running_test:
                f.status = FileState.FAILED if any(c.status in (FAILED, ERROR) for c in cases) \
                    else FileState.PASSED
                f.duration = f.duration or sum(c.time for c in cases)


# --- writing ours ---------------------------------------------------------------

#: Surefire's order of a testcase's children (its XSD is a sequence, not a
#: choice): final results and the attempts before them.
_CHILD_ORDER = ("failure", "rerunFailure", "flakyFailure", "skipped", "error", "rerunError",
                "flakyError")
# The exception class on a traceback's last line: "KeyError: 'boom'", "test.support.Failed".
_EXCEPTION_LINE = re.compile(r"([A-Za-z_][\w.]*)(?::|$)")


def exception_type(case: TestCase) -> str:
    """What JUnit's required `type` names: the exception class that ended the
    traceback, else what kind of result it was ("failure", "error")."""
    for text in (case.detail, case.message):
        last = text.rstrip().rpartition("\n")[2].strip()
        m = _EXCEPTION_LINE.match(last)
        name = m.group(1) if m is not None else ""
        if name.rpartition(".")[2][:1].isupper() and ("." in name or name.endswith(
                ("Error", "Exception", "Failure", "Exit", "Interrupt", "Warning"))):
            return name
    return "error" if case.status == ERROR else "failure"


def _final_result(case: TestCase) -> junitparser.Element | None:
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    import junitparser

    message = xml_text(case.message) if case.message else None
    result: junitparser.Failure | junitparser.Error | junitparser.Skipped
    if case.status == PASSED:
        return None
    if case.status == SKIPPED:
        result = junitparser.Skipped(message)
    else:
        kind = junitparser.Failure if case.status == FAILED else junitparser.Error
        result = kind(message, exception_type(case))
    if case.detail:
        result.text = xml_text(case.detail)
    return result


def _attempt_tag(attempt: TestCase, *, flaky: bool) -> str:
    """`flakyFailure` for a failed attempt of a test that passed in the end,
    `rerunFailure` of one that never did (`...Error` for errors)."""
    kind = "Error" if attempt.status == ERROR else "Failure"
    return f"{'flaky' if flaky else 'rerun'}{kind}"


def _earlier_attempt(attempt: TestCase, tag: str) -> junitparser.Element:
    """One earlier failed attempt as the element `tag` names."""
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    from junitparser import xunit2

    kinds = {"flakyFailure": xunit2.FlakyFailure, "flakyError": xunit2.FlakyError,
             "rerunFailure": xunit2.RerunFailure, "rerunError": xunit2.RerunError}
    element = kinds[tag](xml_text(attempt.message) or None, exception_type(attempt))
    element.stack_trace = xml_text(attempt.detail or attempt.message)  # required, maybe empty
    return element


_FINAL_TAGS = {FAILED: "failure", ERROR: "error", SKIPPED: "skipped"}


def _junit_case(case: TestCase) -> junitparser.TestCase:
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    import junitparser

    out = junitparser.TestCase(xml_text(case.name), xml_text(case.classname),
                               written_seconds(case.time))
    if case.status == PASSED and not case.earlier:
        return out  # most tests: nothing inside
    final = _final_result(case)
    children = [(_FINAL_TAGS[case.status], final)] if final is not None else []
    for attempt in case.earlier:
        tag = _attempt_tag(attempt, flaky=case.flaky)
        children.append((tag, _earlier_attempt(attempt, tag)))
    for _, child in sorted(children, key=lambda pair: _CHILD_ORDER.index(pair[0])):
        out.append(child)
    return out


def _lost_properties(results: RunResults) -> dict[str, dict[str, str]]:
    """Per file: the devices lost while it was waiting in their batch or running
    on them (`lost_device`), and what they said (`lost_device_detail`)."""
    found: dict[str, dict[str, str]] = {}
    for lost in results.lost_devices:
        for name in {*lost.handed_back, *([lost.running] if lost.running else [])}:
            entry = found.setdefault(name, {})
            entry["lost_device"] = " ".join(filter(None, [entry.get("lost_device"),
                                                         lost.device]))
            entry["lost_device_detail"] = lost.detail
    return found


def file_properties(f: TestFile) -> list[tuple[str, str]]:
    """Where and when `f` ran, for any JUnit viewer (junit_in.py reads them
    back): its status, the device that ran it last, its start, and each
    span: "emulator-5554 from 2026-12-07T15:55:03.120Z to ...Z: crashed"."""
    props = [("status", str(f.status))]
    props += [(key, value) for key, value in (("reason", f.reason),
                                              ("running_test", f.running_test or "")) if value]
    props += [("stop", f"{kind}{f' in {test}' if test else ''}: {cause}")
              for kind, test, cause in f.stops]
    props += [("crash", f"{test or f.name}: {top}") for test, top in f.crash_frames.items()]
    props += [("crash_report", f"{test or f.name}: {path}")
              for test, path in f.crash_reports.items()]
    if f.timeout:
        props.append(("timeout", f"{f.timeout:g}"))
    if f.device is not None and f.started is not None:
        props += [("device", f.device), ("started", utc_time(f.started))]
    for attempt in [*f.earlier, f]:
        for span in attempt.settled_spans():
            lost = ", device lost" if span.lost else ""
            props.append(("span", f"{span.device} from {utc_time(span.started)} to "
                          f"{utc_time(span.ended)}: {span.status}{lost}"))
    return props


#: The epoch seconds a written time is kept within (1970 to the year 9999):
#: a log's hostile "999999999:00:00" must not make a time no calendar holds.
_LAST_EPOCH = 253_402_300_799.0


def _calendar(epoch: float) -> float:
    return min(max(epoch, 0.0), _LAST_EPOCH) if math.isfinite(epoch) else 0.0


def utc_time(epoch: float) -> str:
    """ISO 8601 in UTC, to the millisecond: "2026-12-07T15:55:03.120Z"."""
    moment = datetime.datetime.fromtimestamp(_calendar(epoch), datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_time(epoch: float) -> str:
    """A testsuite's `timestamp`: local time to the second, as the schema has it."""
    # Local time, within the calendar (Windows refuses times before 1970).
    moment = datetime.datetime.fromtimestamp(_calendar(epoch), datetime.UTC).astimezone()
    return moment.replace(microsecond=0, tzinfo=None).isoformat()


def _junit_suite(f: TestFile, timestamp: str, hostname: str,
                 properties: dict[str, str],
                 lost: dict[str, dict[str, str]]) -> junitparser.TestSuite:
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    import junitparser

    suite = junitparser.TestSuite(xml_text(f.name))
    for key, value in [*properties.items(), *file_properties(f)]:
        suite.add_property(xml_text(key), xml_text(value))
    for key, value in lost.get(f.name, {}).items():
        suite.add_property(xml_text(key), xml_text(value))
    cases = f.all_cases()
    for case in cases:
        suite.append(_junit_case(case))
    # Counted here rather than by update_statistics(), which walks the tree again.
    suite.tests = len(cases)
    suite.failures = sum(1 for c in cases if c.status == FAILED)
    suite.errors = sum(1 for c in cases if c.status == ERROR)
    suite.skipped = sum(1 for c in cases if c.status == SKIPPED)
    suite.time = written_seconds(f.duration or sum(c.time for c in cases))
    suite.timestamp = timestamp if f.started is None else local_time(f.started)
    suite.hostname = hostname
    return suite


def write_junit(results: RunResults, path: Path, properties: dict[str, str] | None = None
                ) -> None:
    """Write `results` as JUnit XML at `path` (written to a temporary file and
    renamed, so a reader never sees half a file)."""
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    import junitparser

    timestamp = datetime.datetime.now().replace(microsecond=0).isoformat()
    hostname = socket.gethostname()
    doc = junitparser.JUnitXml("regrtest")
    lost = _lost_properties(results)
    suites = [_junit_suite(f, timestamp, hostname, properties or {}, lost)
              for f in results.files.values()]
    if results.missing_files:
        missing = TestFile("not run", status=FileState.NOT_RUN, module="regrtest",
                        reason=f"{results.missing_files} test file(s) regrtest announced never "
                        "reported: the output ends early")
        suites.append(_junit_suite(missing, timestamp, hostname, properties or {}, {}))
    for suite in suites:
        doc.append(suite)
    # The root carries its suites' sums (readers such as Jenkins show them;
    # Jenkins' schema has no `skipped` on the root).
    doc.tests = sum(s.tests for s in suites)
    doc.failures = sum(s.failures for s in suites)
    doc.errors = sum(s.errors for s in suites)
    doc.time = written_seconds(sum(s.time for s in suites))
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        doc.write(str(partial))
        partial.replace(path)
    except BaseException as e:  # an interrupt too: never leave OUT.partial behind
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        if is_no_space(e):
            raise no_space(e, path, "writing the JUnit XML") from None
        if isinstance(e, OSError):
            raise UserError(f"cannot write the JUnit XML {path}: {e.strerror or e}") from None
        raise
