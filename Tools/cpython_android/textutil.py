"""Small text helpers shared by several modules."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from os import PathLike


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


#: More digits than any count, size, level or time we read (10**18 is far past
#: them all); Python refuses more than 4,300 anyway, with a traceback.
MAX_INT_DIGITS = 18


def read_int(text: str, where: str = "a number", max_digits: int = MAX_INT_DIGITS) -> int:
    """An integer written in ASCII digits (optional sign), bounded in length:
    ValueError saying what is wrong otherwise (never slow, never '²' or '٣')."""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"{where}: {text[:40]!r} is not a whole number")
    if len(digits) > max_digits:
        raise ValueError(f"{where}: a number of {len(digits)} digits is too large "
                         f"(at most {max_digits})")
    return int(text)
