"""A lock per build tree: two commands never work in one tree at once.

A command that changes a tree (`configure-build`, `make-build`, `build`,
`configure-host`, `make-host`, `deps`, `clean`, `package`; `ci` while it builds
and packages) holds an exclusive
`flock` on `.TREE.lock` beside it in the cross-build directory
(`.build.lock`, `.aarch64-linux-android.lock`).  A second command on a busy
tree WAITS: it prints once who holds the tree (PID and command line) and
goes on when the first one ends (Ctrl-C stops waiting).  Waiting, not
refusing, because a buildbot or a script that starts `build` twice wants
both to succeed; trees of other hosts are never waited for.

The lock file exists only while a command holds it: the holder deletes it
before it lets go, and whoever gets the lock next checks that the file it
locked is still the one at that path (else it locks the new one), so a
deleted lock file never lets two commands in.  A cross-build directory
created only to hold a lock is removed again when it stays empty.  Where
there is no `fcntl` (Windows, which only runs `test` from a package) there
is no lock.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no build commands run there
    fcntl = None  # type: ignore[assignment]


def lock_path(tree: Path) -> Path:
    return tree.parent / f".{tree.name}.lock"


@contextlib.contextmanager
def holding(trees: Iterable[Path], say: Callable[[str], None]) -> Iterator[None]:
    """Hold every tree's lock (in one order, so two commands never deadlock)."""
    with contextlib.ExitStack() as stack:
        for tree in sorted({tree.absolute() for tree in trees}):
            stack.enter_context(_holding(tree, say))
        yield


@contextlib.contextmanager
def _holding(tree: Path, say: Callable[[str], None]) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    root = tree.parent
    made_root = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    fd = _acquire(lock_path(tree), tree, say)
    try:
        os.write(fd, f"{os.getpid()} {shlex.join(sys.argv)}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            lock_path(tree).unlink()  # still holding it: see the module's docstring
        os.close(fd)
        if made_root:
            with contextlib.suppress(OSError):
                root.rmdir()  # only if it stayed empty


def _acquire(path: Path, tree: Path, say: Callable[[str], None]) -> int:
    """An open, exclusively locked descriptor of the file now at `path`."""
    told = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not told:
                holder = os.pread(fd, 4096, 0).decode(errors="replace").strip()
                say(f"waiting: {tree} is in use by {_describe(holder)}; this command goes "
                    "on when that one ends (Ctrl-C to stop waiting)")
                told = True
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
        except BaseException:
            os.close(fd)
            raise
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        mine = os.fstat(fd)
        if current is not None and (current.st_ino, current.st_dev) == (mine.st_ino,
                                                                        mine.st_dev):
            os.ftruncate(fd, 0)
            return fd
        os.close(fd)  # the holder deleted it as it let go: lock the new one


def _describe(holder: str) -> str:
    pid, _, command = holder.partition(" ")
    if not pid.isdigit():
        return "another android.py command"
    return f"PID {pid} ({command[:200]})"
