"""What is installed in a prefix: `prefix/.deps/<library>.json` per library,
written last (after every file is in place), so its presence means the
library is complete, and a later run with the same pins does nothing.

While a library's files move in, `prefix/.deps/<library>.pending` lists
them (a journal): after an interruption, the next run knows which files in
the prefix are that library's to replace, and that nothing else is."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

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


def path_of(prefix: Path, library: str) -> Path:
    return prefix / MANIFEST_DIR / f"{library}.json"


def read(prefix: Path, library: str) -> Manifest | None:
    path = path_of(prefix, library)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["files"] = tuple(data.get("files", ()))
        return Manifest(**{k: v for k, v in data.items() if k in Manifest.__dataclass_fields__})
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        return None  # unreadable: treat as not installed, so it is installed again


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
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def journal_path(prefix: Path, library: str) -> Path:
    return prefix / MANIFEST_DIR / f"{library}.pending"


def read_journal(prefix: Path, library: str) -> set[str]:
    try:
        return set(json.loads(journal_path(prefix, library).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return set()
    except (ValueError, TypeError):
        return set()


def write_journal(prefix: Path, library: str, files: set[str]) -> None:
    path = journal_path(prefix, library)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(sorted(files)) + "\n", encoding="utf-8")
    os.replace(tmp, path)


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
