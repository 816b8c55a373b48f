"""What is installed in a prefix: `prefix/.deps/<library>.json` per library,
written last (after every file is in place), so its presence means the
library is complete, and a later run with the same pins does nothing.

While a library's files move in, `prefix/.deps/<library>.pending` lists
them (a journal): after an interruption, the next run knows which files in
the prefix are that library's to replace, and that nothing else is."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import jsonrecords
from ..errors import UserError
from ..safefiles import atomic_write
from .confine import is_relative_inside

MANIFEST_DIR = ".deps"


@dataclass(frozen=True)
class Manifest:
    library: str
    version: str
    origin: str  # "prebuilt" or "source"
    archive: str
    sha256: str
    url: str = ""
    recipe: str = ""  # for builds from source: which build recipe made it
    files: tuple[str, ...] = field(default=())
    installed: str = ""

    def matches(self, other: Manifest) -> bool:
        """Same library from the same archive (files and time aside)."""
        return (self.library, self.version, self.origin, self.archive, self.recipe) == (
            other.library, other.version, other.origin, other.archive, other.recipe) and (
            not other.sha256 or self.sha256 == other.sha256)


#: The manifest's string fields, as `read` takes them.
TEXT_FIELDS = ("library", "version", "origin", "archive", "sha256", "url", "recipe",
               "installed")


def path_of(prefix: Path, library: str) -> Path:
    return prefix / MANIFEST_DIR / f"{library}.json"


def read(prefix: Path, library: str) -> Manifest | None:
    """The library's manifest; None when absent or unreadable (it is then
    installed again).  Its file list never names anything outside the prefix."""
    path = path_of(prefix, library)
    try:
        fields = jsonrecords.Fields(jsonrecords.load(path), str(path))
        values = {name: fields.text(name, "") for name in TEXT_FIELDS}
        files = tuple(rel for rel in fields.texts("files") if is_relative_inside(rel))
        return Manifest(**values, files=files)
    except UserError:
        return None  # unreadable or not ours: treat as not installed


def read_all(prefix: Path) -> list[Manifest]:
    found = []
    for path in sorted((prefix / MANIFEST_DIR).glob("*.json")):
        if manifest := read(prefix, path.stem):
            found.append(manifest)
    return found


def remove(prefix: Path, library: str) -> None:
    path_of(prefix, library).unlink(missing_ok=True)


def write(prefix: Path, manifest: Manifest) -> None:
    path = path_of(prefix, manifest.library)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(manifest)
    data["files"] = list(manifest.files)
    data["installed"] = manifest.installed or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    atomic_write(path, json.dumps(data, indent=2) + "\n", f"{manifest.library}'s manifest")


def journal_path(prefix: Path, library: str) -> Path:
    return prefix / MANIFEST_DIR / f"{library}.pending"


def read_journal(prefix: Path, library: str) -> set[str]:
    try:
        listed = jsonrecords.load(journal_path(prefix, library)) or []
    except UserError:
        return set()
    return {rel for rel in listed if isinstance(rel, str) and is_relative_inside(rel)} \
        if isinstance(listed, list) else set()


def write_journal(prefix: Path, library: str, files: set[str]) -> None:
    path = journal_path(prefix, library)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(sorted(files)) + "\n", f"{library}'s journal")


def remove_journal(prefix: Path, library: str) -> None:
    journal_path(prefix, library).unlink(missing_ok=True)


def owners(prefix: Path, except_library: str) -> dict[str, str]:
    """file -> library, for the files every other library installed (or is installing)."""
    found: dict[str, str] = {}
    for m in read_all(prefix):
        if m.library != except_library:
            found.update(dict.fromkeys(m.files, m.library))
    for path in sorted((prefix / MANIFEST_DIR).glob("*.pending")):
        if path.stem != except_library:
            found.update(dict.fromkeys(read_journal(prefix, path.stem), path.stem))
    return found
