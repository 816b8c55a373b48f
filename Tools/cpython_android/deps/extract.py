"""Safe extraction: refuse archives that could write outside the prefix, and
never leave a half-extracted prefix (extract to a staging directory first,
then move the files in)."""

from __future__ import annotations

import gzip
import lzma
import posixpath
import shutil
import tarfile
import zlib
from pathlib import Path

from ..errors import UserError
from ..safefiles import is_no_space, no_space

#: What a damaged archive raises while it is read (gzip's BadGzipFile is an
#: OSError too: caught before the OSErrors that are not the archive's fault).
DAMAGE = (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error, lzma.LZMAError)


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
    try:
        staging.mkdir(parents=True)
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            check_members(archive, members)
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: belt and braces
                tar.extractall(staging, members, filter="data")
            else:
                tar.extractall(staging, members)
    except DAMAGE as e:
        shutil.rmtree(staging, ignore_errors=True)
        reason = " ".join(str(e).split()) or type(e).__name__
        raise Damaged(f"cannot extract {archive}: {reason}: the archive is damaged") from None
    except OSError as e:
        # Not the archive's fault (a full disk, permissions): it is kept.
        shutil.rmtree(staging, ignore_errors=True)
        if is_no_space(e):
            raise no_space(e, staging, f"extracting {archive.name}") from None
        raise UserError(f"cannot extract {archive} into {staging}: {e.strerror or e}; the "
                        "archive was kept") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def single_top_dir(staging: Path) -> Path:
    """The one top directory of an extracted source archive."""
    entries = [p for p in staging.iterdir()]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return staging
