"""The lock file: sha256 of archives that had no pinned hash, recorded by the
first verified download (trust on first use) and enforced on every later use.

It lives in the cross-build directory (`deps-lock.json`), so every host built
there agrees on the same archives.  Written atomically.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import jsonrecords
from ..errors import UserError
from ..safefiles import atomic_write, checked_name

FORMAT_VERSION = 1
SHA256 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass
class LockFile:
    path: Path
    entries: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> LockFile:
        """The lock file's entries, each checked (archive name, sha256, URL)."""
        try:
            data = jsonrecords.load(path)
            if data is None:
                return cls(path)
            archives = jsonrecords.Fields(data, str(path)).object("archives")
            return cls(path, {checked_name(name, f"{path}: archive"): _entry(archives, name)
                              for name, _ in archives.items()})
        except UserError as e:
            raise UserError(f"{e}; or delete {path} to trust the archives again on first "
                            "use") from None

    def get(self, archive: str) -> str:
        return str(self.entries.get(archive, {}).get("sha256", ""))

    def record(self, archive: str, sha256: str, url: str = "") -> None:
        self.entries[archive] = {"sha256": sha256, "url": url,
                                 "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.save()

    def save(self) -> None:
        atomic_write(self.path, json.dumps({"version": FORMAT_VERSION, "archives": self.entries},
                                           indent=2, sort_keys=True) + "\n", "the lock file")


def _entry(archives: jsonrecords.Fields, name: str) -> dict[str, str]:
    entry = archives.object(name)
    sha = entry.text("sha256")
    if not SHA256.fullmatch(sha):
        raise UserError(f"{archives.where} {name}: sha256 {sha[:70]!r} is not 64 hex digits")
    return {"sha256": sha.lower(), "url": entry.text("url", ""),
            "recorded": entry.text("recorded", "")}
