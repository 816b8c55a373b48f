"""Moving a staged library into the prefix without ever leaving it.

Each archive is checked alone when it is extracted (`extract`), but what it
means depends on what the prefix already holds: a link `d -> .` installed by
one library turns another library's harmless `d/d/d/x -> ../../../escdir`
into a way out.  So before anything moves, the staged tree is checked
against the real prefix as it would be afterwards (`plan`):

- no file is placed through an existing link or over a file (every parent
  in the prefix must be a real directory);
- nothing replaces a directory, nor a file another library or the build
  installed (`owned`: what this library's manifest or journal lists);
- every link in the combined tree resolves inside the prefix, following the
  links already there.

Only then are files renamed in (`move`), parents first, never following a
link.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Set
from pathlib import Path

from ..errors import UserError

#: Links followed while resolving one path before it counts as a loop (as Linux).
MAX_LINKS = 40


class Refused(Exception):
    """What the staged tree would do wrong (the caller names the archive)."""


def _kind(path: Path) -> tuple[str, str]:
    """("dir"|"file"|"link"|"", link target) of `path`, never following it."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "", ""
    if stat.S_ISLNK(st.st_mode):
        return "link", os.readlink(path)
    return ("dir" if stat.S_ISDIR(st.st_mode) else "file"), ""


def staged_entries(staging: Path) -> tuple[list[str], list[str]]:
    """(directories, files and links) of `staging`, relative, parents first."""
    dirs: list[str] = []
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(staging):  # never follows links
        rel = Path(dirpath).relative_to(staging)
        for name in sorted(dirnames):
            target = (rel / name).as_posix()
            (files if Path(dirpath, name).is_symlink() else dirs).append(target)
        files.extend((rel / name).as_posix() for name in sorted(filenames))
        dirnames[:] = [d for d in dirnames if not Path(dirpath, d).is_symlink()]
    return dirs, files


class View:
    """The prefix as it would be with the staged tree moved in (not yet moved)."""

    def __init__(self, prefix: Path, staging: Path | None) -> None:
        self.prefix = prefix
        self.staging = staging

    def kind(self, parts: list[str]) -> tuple[str, str]:
        if self.staging is not None:
            found = _kind(self.staging.joinpath(*parts)) if parts else ("dir", "")
            if found[0]:
                return found
        return _kind(self.prefix.joinpath(*parts)) if parts else ("dir", "")

    def escapes(self, rel: str) -> bool:
        """Whether resolving `rel` (links and all) ever leaves the prefix."""
        where: list[str] = []
        todo = [p for p in rel.split("/") if p]
        hops = 0
        while todo:
            part = todo.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if not where:
                    return True
                where.pop()
                continue
            kind, target = self.kind([*where, part])
            if kind != "link":
                where.append(part)
                continue
            hops += 1
            if hops > MAX_LINKS or target.startswith("/"):
                return True
            todo = [p for p in target.split("/") if p] + todo
        return False


def links_under(root: Path) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        for name in [*dirnames, *filenames]:
            if Path(dirpath, name).is_symlink():
                found.append((rel / name).as_posix())
    return found


def _check_parents(prefix: Path, rel: str) -> None:
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        kind, _ = _kind(prefix.joinpath(*parts[:depth]))
        if kind in ("link", "file"):
            what = "a link" if kind == "link" else "a file"
            raise Refused(f"{rel!r} would be written through {'/'.join(parts[:depth])!r}, "
                          f"{what} in the prefix")


def _check_target(prefix: Path, rel: str, is_dir: bool, owned: Set[str],
                  others: dict[str, str]) -> None:
    kind, _ = _kind(prefix / rel)
    if not kind or (kind == "dir" and is_dir):
        return
    if kind == "dir":
        raise Refused(f"{rel!r} would replace the directory {rel!r} of the prefix")
    if rel in others:
        raise Refused(f"{rel!r} would replace a file that {others[rel]} installed")
    if rel not in owned:
        raise Refused(f"{rel!r} would replace {rel!r}, which it did not install")


def plan(staging: Path, prefix: Path, owned: Set[str],
         others: dict[str, str]) -> tuple[list[str], list[str]]:
    """Check the whole move first; (directories, files) to move.  Raises
    Refused.  `owned`: files this library may replace; `others`: file ->
    library, for every other library's files."""
    dirs, files = staged_entries(staging)
    for rel in files:  # first: their names say best what would go where
        _check_parents(prefix, rel)
        _check_target(prefix, rel, False, owned, others)
    for rel in dirs:
        _check_parents(prefix, rel)
        _check_target(prefix, rel, True, owned, others)
    view, alone = View(prefix, staging), View(prefix, None)
    new_links = set(links_under(staging))
    for rel in sorted(new_links | set(links_under(prefix))):
        # A link already there that already led out is not this archive's doing.
        if view.escapes(rel) and (rel in new_links or not alone.escapes(rel)):
            raise Refused(f"the link {rel!r} would point outside the prefix")
    return dirs, files


def move(staging: Path, prefix: Path, dirs: list[str], files: list[str]) -> None:
    """Rename the planned entries in (parents first; the plan checked them)."""
    for rel in dirs:
        target = prefix / rel
        if _kind(target)[0] != "dir":
            if _kind(target)[0]:
                target.unlink()  # a file this library owned
            target.mkdir()
    for rel in files:
        os.replace(staging / rel, prefix / rel)


def remove_files(prefix: Path, stale: Set[str]) -> None:
    """Delete files a library no longer has, never through a link."""
    for rel in sorted(stale):
        if not is_relative_inside(rel):
            continue  # a manifest someone edited: never a file outside the prefix
        try:
            _check_parents(prefix, rel)
        except Refused:
            continue
        if _kind(prefix / rel)[0] in ("file", "link"):
            (prefix / rel).unlink()


def is_relative_inside(rel: str) -> bool:
    """Whether `rel` (a path a manifest lists) stays inside the directory it is relative to."""
    parts = rel.split("/")
    return bool(rel) and not rel.startswith(("/", "\\")) and ".." not in parts and \
        "\\" not in rel and "\0" not in rel


def refuse(what: str, reason: Refused) -> UserError:
    return UserError(f"refusing {what}: {reason}; nothing was installed")
