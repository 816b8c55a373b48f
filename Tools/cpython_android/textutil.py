"""Small text helpers shared by several modules."""

from __future__ import annotations

import math
import shlex
from collections.abc import Iterable, Mapping
from os import PathLike
from typing import AnyStr, Generic, cast


def join_command(args: Iterable[str | PathLike[str]]) -> str:
    """A command as it could be pasted into a POSIX shell."""
    return shlex.join(str(a) for a in args)


def export_lines(env: Mapping[str, str]) -> str:
    """`export NAME=VALUE` lines, shell-quoted and sorted, to `eval` in a shell."""
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in sorted(env.items()))


def format_duration(seconds: float) -> str:
    """`0:42`, `12:05`, `1:02:03`: readable in a buildbot log."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class NumberError(ValueError):
    """A number read from text (a log, a report, a file, the environment)
    that is not one we accept; the message is one line for the user."""


#: The largest value `read_int` accepts unless told otherwise: wider than any
#: count, pid, line number or port, far below int()'s 4,300-digit limit.
MAX_INT = 2**63 - 1


def shown(text: str, limit: int = 24) -> str:
    """`text` quoted for a message, cut short when long (a hostile value may
    be megabytes)."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def read_int(text: str, what: str, *, low: int = 0, high: int = MAX_INT) -> int:
    """`text` as a whole number from `low` to `high`, or `NumberError` naming `what`.

    Only ASCII digits after an optional sign, at most as many as the bounds
    have: int() alone takes `²` for a digit in isdigit() but not in int(),
    takes Arabic-Indic digits, and raises a traceback (or works in quadratic
    time) on thousands of digits."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    significant = digits.lstrip("0")  # leading zeros (`#00`, `007`) count for nothing
    width = len(str(max(abs(low), abs(high))))
    if not digits or not digits.isascii() or not digits.isdigit() or len(significant) > width:
        raise NumberError(f"{what} {shown(text)} is not a whole number from {low} to {high}")
    value = -int(significant or "0") if text[:1] == "-" else int(significant or "0")
    if not low <= value <= high:
        raise NumberError(f"{what} {value} is out of range: expected {low} to {high}")
    return value


def read_float(text: str, what: str, *, low: float = 0.0, high: float = 1e12) -> float:
    """`text` as a finite number from `low` to `high` (`nan`, `inf`, `1e999`
    and 5,000 digits are refused), or `NumberError` naming `what`."""
    try:
        if len(text) > 40 or not text.strip().isascii():
            raise ValueError(text)
        value = float(text)
    except ValueError:
        raise NumberError(f"{what} {shown(text)} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise NumberError(f"{what} {shown(text)} is out of range: expected {low:.12g} to "
                          f"{high:.12g}")
    return value


def int_or_none(text: str, *, low: int = 0, high: int = MAX_INT) -> int | None:
    """`read_int` for a parser that recognises lines: a number it refuses
    means the line is not what it looked like (a test can print anything)."""
    try:
        return read_int(text, "number", low=low, high=high)
    except NumberError:
        return None


class LineSplitter(Generic[AnyStr]):
    """Chunks of a stream in, complete lines out (without their newline), in
    time linear in the stream: a line spread over many chunks is kept as a
    list and joined once, when its newline comes.  (Adding each chunk to
    one string and splitting it again is quadratic: a test printing 64 MiB
    without a newline took 32 s.)"""

    def __init__(self, empty: AnyStr) -> None:
        self._empty: AnyStr = empty
        self._newline: AnyStr = cast(AnyStr, "\n" if isinstance(empty, str) else b"\n")
        self._parts: list[AnyStr] = []

    def feed(self, chunk: AnyStr) -> list[AnyStr]:
        if self._newline not in chunk:
            if chunk:
                self._parts.append(chunk)
            return []
        parts: list[AnyStr] = chunk.split(self._newline)
        self._parts.append(parts[0])
        lines = [self._empty.join(self._parts)] + parts[1:-1]
        self._parts = [parts[-1]] if parts[-1] else []
        return lines

    def rest(self) -> AnyStr:
        """What came after the last newline (a line cut short), and forget it."""
        rest, self._parts = self._empty.join(self._parts), []
        return rest
