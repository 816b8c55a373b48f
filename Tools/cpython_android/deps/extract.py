"""Safe extraction: refuse archives that could write outside the prefix, and
never leave a half-extracted prefix (extract to a staging directory first,
then move the files in)."""

from __future__ import annotations

import posixpath
import shutil
import tarfile
from pathlib import Path

from ..errors import UserError


class Damaged(UserError):
    """An archive that cannot be read (truncated, not a tar file)."""


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
        reason = " ".join(str(e).split()) or type(e).__name__
        raise Damaged(f"cannot extract {archive}: {reason}: the archive is damaged") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def single_top_dir(staging: Path) -> Path:
    """The one top directory of an extracted source archive."""
    entries = [p for p in staging.iterdir()]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return staging
