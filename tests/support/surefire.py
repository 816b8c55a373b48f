"""Checks of a JUnit file against the facts of Maven Surefire's published
test-report schema (surefire-test-report-3.0.xsd), the format Jenkins, GitLab
and the JUnit viewers read re-runs from.  Written here from the schema's
rules, not generated from it:

- a <testsuite> has name, tests, errors, skipped and failures;
- a <testcase> has name and time (SUREFIRE_TIME: digits, optional thousands
  commas, at most three decimals);
- a testcase's children are a sequence, in this order: failure*, rerunFailure*,
  flakyFailure*, skipped?, error?, rerunError*, flakyError*, system-out?,
  system-err?;
- <failure>/<error> and every rerun*/flaky* element have a type; the rerun*/
  flaky* elements hold a <stackTrace> first (then system-out?, system-err?).

And Surefire's meaning of them: flaky* only on a test whose last attempt
passed (no failure or error), rerun* only with the failure or error of the
last attempt; one testcase per test id.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

SUITE_ATTRIBUTES = ("name", "tests", "errors", "skipped", "failures")
CHILD_ORDER = ("failure", "rerunFailure", "flakyFailure", "skipped", "error", "rerunError",
               "flakyError", "system-out", "system-err")
AT_MOST_ONCE = {"skipped", "error", "system-out", "system-err"}
ATTEMPTS = {"rerunFailure", "flakyFailure", "rerunError", "flakyError"}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?")


def _case_problems(case: ET.Element, where: str) -> list[str]:
    problems = [f"{where}: no {attr}" for attr in ("name", "time") if attr not in case.attrib]
    if "time" in case.attrib and not SUREFIRE_TIME.fullmatch(case.attrib["time"]):
        problems.append(f"{where}: time {case.attrib['time']!r} is not SUREFIRE_TIME")
    tags = [child.tag for child in case if child.tag != "properties"]
    unknown = [t for t in tags if t not in CHILD_ORDER]
    problems += [f"{where}: unknown child <{t}>" for t in unknown]
    known = [CHILD_ORDER.index(t) for t in tags if t in CHILD_ORDER]
    if known != sorted(known):
        problems.append(f"{where}: children out of Surefire's order: {tags}")
    problems += [f"{where}: more than one <{t}>" for t in AT_MOST_ONCE if tags.count(t) > 1]
    for child in case:
        if child.tag in ("failure", "error", *ATTEMPTS) and not child.get("type"):
            problems.append(f"{where}: <{child.tag}> without type")
        if child.tag in ATTEMPTS:
            inner = [c.tag for c in child]
            if not inner or inner[0] != "stackTrace" or \
                    set(inner[1:]) - {"system-out", "system-err"}:
                problems.append(f"{where}: <{child.tag}> children {inner}: stackTrace first")
    final = {"failure", "error"} & set(tags)
    if final and {"flakyFailure", "flakyError"} & set(tags):
        problems.append(f"{where}: flaky attempts on a test that failed at last")
    if not final and {"rerunFailure", "rerunError"} & set(tags):
        problems.append(f"{where}: rerun attempts on a test that passed at last")
    return problems


def surefire_problems(path: Path) -> list[str]:
    """Every way the JUnit file at `path` breaks Surefire's report format."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for suite in suites:
        name = suite.get("name", "?")
        problems += [f"testsuite {name}: no {a}" for a in SUITE_ATTRIBUTES if a not in suite.attrib]
        for case in suite.findall("testcase"):
            test_id = (case.get("classname", ""), case.get("name", ""))
            where = f"testcase {'.'.join(filter(None, test_id))}"
            if test_id in seen:
                problems.append(f"{where}: two testcases for one test id")
            seen.add(test_id)
            problems += _case_problems(case, where)
    return problems
