"""Our own JUnit file back into the result model, so a report can be made
from the JUnit a run left (`android.py results JUNIT`): each testsuite a
file, with the per-file properties junit.py writes (status, device, spans,
the crash and hang attributions), each testcase with its result and its
earlier attempts (`flakyFailure`, `rerunError`, ...)."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import UserError
from .cases import ERROR, FAILED, SKIPPED, FileState, Span, TestCase
from .junit import xml_seconds
from .model import RunResults, TestFile

_SPAN = re.compile(r"(.+) from (\S+) to (\S+): (\w+)(, device lost)?")
_STOP = re.compile(r"(Crashed|Timed out)(?: in (\S+))?: (.*)", re.DOTALL)
#: Per-file properties; the others are the run's (command, runners, ...).
FILE_PROPERTIES = frozenset({"status", "reason", "running_test", "stop", "crash", "timeout",
                             "device", "started", "span", "crash_report", "lost_device",
                             "lost_device_detail"})
# junit.write_junit's suite for the files regrtest announced that never reported.
_MISSING = re.compile(r"(?<!\d)(\d{1,9}) test file\(s\) regrtest announced never reported")
_RESULTS = {"failure": FAILED, "error": ERROR, "skipped": SKIPPED}
_EARLIER = {"flakyFailure": FAILED, "rerunFailure": FAILED, "flakyError": ERROR,
            "rerunError": ERROR}


def read_junit(path: Path) -> tuple[RunResults, dict[str, str]]:
    """The run in the JUnit file at `path` and the run's own properties.

    Read with ElementTree: our own file's few elements need no more (and the
    shim's bare python3 has no junitparser)."""
    try:
        root = ET.parse(path).getroot()
    except OSError as e:
        raise UserError(f"cannot read the JUnit file {path}: {e.strerror or e}") from None
    except ET.ParseError as e:
        raise UserError(f"{path} is not valid XML ({e}); pass the file --junit-xml "
                        "wrote") from None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    results, run = RunResults(), dict[str, str]()
    try:
        for suite in suites:
            props = [(p.get("name") or "", p.get("value") or "")
                     for p in suite.iterfind("properties/property")]
            run.update((k, v) for k, v in props if k not in FILE_PROPERTIES)
            if suite.get("name") == "not run" and (m := _MISSING.search(_first_message(suite))):
                results.missing_files = int(m.group(1))  # regrtest's count, not a file
            else:
                results.files[suite.get("name") or "?"] = _file(suite, props)
    except ValueError as e:  # a bad time, status or span
        raise UserError(f"{path}: not a JUnit file android.py wrote "
                        f"({' '.join(str(e).split())})") from None
    return results, run


def _file(suite: ET.Element, props: list[tuple[str, str]]) -> TestFile:
    f = TestFile(suite.get("name") or "?", status=FileState.PASSED)
    for key, value in props:
        if key == "status":
            f.status = FileState(value)
        elif key == "reason":
            f.reason = value
        elif key == "running_test":
            f.running_test = value
        elif key == "timeout":
            f.timeout = float(value)
        elif key == "crash":
            test, _, top = value.partition(": ")
            f.crash_frames["" if test == f.name else test] = top
        elif key == "crash_report":
            test, _, where = value.partition(": ")
            f.crash_reports["" if test == f.name else test] = where
        elif key == "stop" and (m := _STOP.fullmatch(value)):
            f.stops.append((m.group(1), m.group(2) or "", m.group(3)))
        elif key == "span" and (m := _SPAN.fullmatch(value)):
            f.spans.append(Span(m.group(1), _epoch(m.group(2)), _epoch(m.group(3)),
                                m.group(4), bool(m.group(5))))
    f.duration = xml_seconds(suite, f"the time of {f.name}")
    f.replace_cases(_case(case) for case in suite.iterfind("testcase"))
    # The file-level case (crash, not run, ...) is made again from the status.
    made = f.file_case()
    if made is not None:
        f.module = made.classname
        same = [c for c in f.cases if c.key == made.key]
        f.replace_cases([c for c in f.cases if c.key != made.key])
        f.output = same[-1].detail if same else ""
    return f


def _first_message(suite: ET.Element) -> str:
    return next((_case(case).message for case in suite.iterfind("testcase")), "")


def _case(elem: ET.Element) -> TestCase:
    case = TestCase(elem.get("classname") or "", elem.get("name") or "",
                    time=xml_seconds(elem, "a testcase's time"))
    earlier = []
    for child in elem:
        if child.tag in _RESULTS:
            case.status = _RESULTS[child.tag]
            case.message, case.detail = child.get("message") or "", child.text or ""
        elif child.tag in _EARLIER:
            trace = child.find("stackTrace")
            earlier.append(TestCase(case.classname, case.name, status=_EARLIER[child.tag],
                                    message=child.get("message") or "",
                                    detail=trace.text or "" if trace is not None else ""))
    case.earlier = tuple(earlier)
    return case


def _epoch(text: str) -> float:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
