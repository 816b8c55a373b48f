"""Files whose names or contents come from outside: one rule for each danger.

- `contained(root, path)`: every path built from input (a pins name, a
  version, a lock entry, a `--pull` match, an archive member, a download
  name) is resolved, then required inside its root; else one line, exit
  status 2, and nothing was touched (the caller checks before it writes).
- `checked_name(value)`: names taken from pins and versions match a strict
  pattern, so they never carry a separator, `..` or a shell character.
- `read_text(path)`: a file that may be a FIFO or a device is opened without
  blocking and read only if it is a regular file, and only so much of it.
- `atomic_write(path, text)` / `append_whole(path, text)`: outputs (JUnit,
  settings, lock, the job summary) are written whole or not at all.
- `no_space(error, path)`: a full disk is its own diagnosis, never "damaged".
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import TypeGuard

from .errors import NO_SPACE_ERRNOS, UserError, no_space

#: Library names, versions, hosts from pins and lock files: a plain word, no
#: separators, no `..`, nothing a shell or a URL would read specially.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}")
#: More than any settings, pins or lock file we write (they are a few KB).
MAX_READ_BYTES = 16 << 20


def checked_name(value: object, what: str) -> str:
    """`value` if it is a plain name (NAME_PATTERN, not made of dots); else UserError."""
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value) or set(value) == {"."}:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        raise UserError(f"{what} {shown} is not a plain name (letters, digits and ._+~-, at "
                        "most 128, no '/' or '..'): fix it")
    return value


def contained(root: Path, path: Path, what: str) -> Path:
    """`path` resolved (links followed), if it lies inside `root` resolved; else UserError."""
    base = root.resolve()
    resolved = path.resolve()
    if resolved != base and not resolved.is_relative_to(base):
        raise UserError(f"{what} {str(path)!r} leads outside {base} (to {resolved}): refused, "
                        "nothing was written there")
    return resolved


def read_text(path: Path, what: str = "", limit: int = MAX_READ_BYTES) -> str:
    """The text of a regular file, never blocking on a FIFO or a device.

    FileNotFoundError passes through (callers treat absence themselves);
    anything else that is wrong is one UserError line."""
    label = f"{what} {path}" if what else str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise UserError(f"cannot read {label}: {e.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{label} is not a regular file (a FIFO, device or directory): "
                            "replace it with a file")
        if info.st_size > limit:
            raise UserError(f"{label} is {info.st_size} bytes, more than such a file can be "
                            f"({limit}): replace it")
        data = _read_all(fd, limit)
    except OSError as e:
        raise UserError(f"cannot read {label}: {e.strerror}") from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{label} is not UTF-8 text: fix or delete it") from None


def _read_all(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise OSError(errno.EFBIG, "file too large")
    return b"".join(chunks)


def _fsync(fd: int) -> None:
    """fsync, where the file can be synced (a pipe or a terminal cannot: EINVAL)."""
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno != errno.EINVAL:
            raise


def is_no_space(error: BaseException) -> TypeGuard[OSError]:
    return isinstance(error, OSError) and error.errno in NO_SPACE_ERRNOS


def atomic_write(path: Path, data: str | bytes, what: str = "") -> None:
    """Write `path` whole or not at all: beside it, flushed, then renamed over it.

    A full disk is `no_space`; the old file (if any) stays as it was."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as out:
            out.write(raw)
            out.flush()
            _fsync(out.fileno())
        os.replace(partial, path)
    except BaseException as e:  # an interrupt too: never leave the partial file
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
        if is_no_space(e):
            raise no_space(e, path, f"writing {what or path.name}") from None
        raise


def append_whole(path: Path, text: str, what: str = "") -> None:
    """Append `text` to `path` whole or not at all (cut back on any error)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0),
                 0o644)
    try:
        start = os.fstat(fd).st_size
        data = memoryview(text.encode("utf-8"))
        try:
            while data:
                data = data[os.write(fd, data):]
            _fsync(fd)
        except BaseException as e:
            try:
                os.ftruncate(fd, start)
            except OSError:
                pass
            if is_no_space(e):
                raise no_space(e, path, f"appending {what or path.name}") from None
            raise
    finally:
        os.close(fd)
