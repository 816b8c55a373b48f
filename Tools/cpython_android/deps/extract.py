"""Safe extraction: refuse archives that could write outside the prefix, and
never leave a half-extracted prefix (extract to a staging directory first,
then move the files in)."""

from __future__ import annotations

import os
import posixpath
import shutil
import tarfile
from pathlib import Path

from ..errors import UserError


def _unsafe_reason(member: tarfile.TarInfo) -> str | None:
    """Why a member could escape the extraction directory, or None if it is safe."""
    name = member.name
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "is an absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "contains '..'"
    if member.isdev() or member.isfifo():
        return "is a device or FIFO"
    if member.issym() or member.islnk():
        target = member.linkname
        if posixpath.isabs(target):
            return f"is a link to the absolute path {target}"
        # Symlinks resolve from the member's directory, hard links from the root.
        base = posixpath.dirname(name) if member.issym() else ""
        resolved = posixpath.normpath(posixpath.join(base, target))
        if resolved == ".." or resolved.startswith("../"):
            return f"is a link pointing outside the prefix ({target})"
    return None


def check_members(archive: Path, members: list[tarfile.TarInfo]) -> None:
    for member in members:
        if reason := _unsafe_reason(member):
            raise UserError(f"refusing {archive.name}: member {member.name!r} {reason}; "
                            "nothing was extracted")


def extract_to(archive: Path, staging: Path) -> None:
    """Extract every member of a safe tar archive into an empty `staging`."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            check_members(archive, members)
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: belt and braces
                tar.extractall(staging, members, filter="data")
            else:
                tar.extractall(staging, members)
    except (tarfile.TarError, EOFError, OSError) as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise UserError(f"cannot extract {archive}: {e}: the file is damaged; delete it "
                        "and try again") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def single_top_dir(staging: Path) -> Path:
    """The one top directory of an extracted source archive."""
    entries = [p for p in staging.iterdir()]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return staging


def move_tree(staging: Path, prefix: Path) -> list[str]:
    """Move every file of `staging` into `prefix` (replacing files there);
    return their paths relative to `prefix`.  Renames only: quick, so the
    window in which the prefix holds part of a library is tiny, and a
    re-run (no manifest yet) moves everything again."""
    moved: list[str] = []
    for dirpath, dirnames, filenames in os.walk(staging):
        rel_dir = Path(dirpath).relative_to(staging)
        (prefix / rel_dir).mkdir(parents=True, exist_ok=True)
        # Symlinks to directories appear in dirnames; move them as files.
        links = [d for d in dirnames if Path(dirpath, d).is_symlink()]
        dirnames[:] = [d for d in dirnames if d not in links]
        for name in [*filenames, *links]:
            source = Path(dirpath, name)
            target = prefix / rel_dir / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(source, target)
            moved.append((rel_dir / name).as_posix())
    return sorted(moved)
