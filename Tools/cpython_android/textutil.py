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
