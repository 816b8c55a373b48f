"""A real browser for the HTML report's tests and benchmark: Debian's
`chromium` in headless mode (installed by .ci/setup).  `--dump-dom` gives the
page as the browser built it; the DOM is read back with html.parser into
plain elements to assert on."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    return next((found for name in _NAMES if (found := shutil.which(name))), None)


def need_chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip("no headless browser: install Debian's `chromium` (.ci/setup does)")
    return found


def _headless(browser: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    # --no-sandbox: CI containers run as root, where chromium's sandbox refuses to start;
    # a profile of its own each time, removed after.
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-dev-shm-usage", "--no-first-run", f"--user-data-dir={profile}",
                   *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              errors="replace", check=False)


def dump_dom(browser: str, page: Path) -> str:
    """The DOM chromium built from `page` (a file), as HTML."""
    result = _headless(browser, "--dump-dom", page.resolve().as_uri())
    assert result.returncode == 0 and "<body" in result.stdout, result.stderr[-2000:]
    return result.stdout


def screenshot(browser: str, page: Path, name: str, size: str = "1400,2000") -> Path:
    """A PNG of `page`, kept as an artifact: $CPYTHON_ANDROID_TEST_ARTIFACTS or
    build/test-artifacts (ignored by git)."""
    where = Path(os.environ.get("CPYTHON_ANDROID_TEST_ARTIFACTS") or ROOT / "build" /
                 "test-artifacts")
    where.mkdir(parents=True, exist_ok=True)
    out = where / name
    result = _headless(browser, f"--screenshot={out}", f"--window-size={size}",
                       page.resolve().as_uri())
    assert result.returncode == 0 and out.stat().st_size > 1000, result.stderr[-2000:]
    return out


def render_seconds(browser: str, page: Path) -> float:
    """Wall time for chromium to load, lay out and paint `page` (a screenshot),
    minus the same for an empty page (the browser's own start)."""
    empty = page.with_name("empty-for-timing.html")
    empty.write_text("<!DOCTYPE html><title>empty</title><body></body>")
    shot = page.with_name("timing.png")
    times = []
    for target in (empty, page):
        started = time.perf_counter()
        result = _headless(browser, f"--screenshot={shot}", "--window-size=1400,2000",
                           target.resolve().as_uri())
        times.append(time.perf_counter() - started)
        assert result.returncode == 0, result.stderr[-2000:]
    empty.unlink()
    shot.unlink(missing_ok=True)
    return max(0.0, times[1] - times[0])


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""  # its text and its descendants'
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if self._open:
            self._open[-1].children.append(element)
        if tag not in ("meta", "br", "img", "input", "link", "hr"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data


def elements(dom: str) -> list[Element]:
    """Every element of `dom`, in document order."""
    reader = _Reader()
    reader.feed(dom)
    reader.close()
    return reader.elements
