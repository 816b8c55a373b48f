"""The lock file: sha256 of archives that had no pinned hash, recorded by the
first verified download (trust on first use) and enforced on every later use.

It lives in the cross-build directory (`deps-lock.json`), so every host built
there agrees on the same archives.  Written atomically.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError

FORMAT_VERSION = 1


@dataclass
class LockFile:
    path: Path
    entries: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> LockFile:
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = dict(data["archives"])
        except (ValueError, KeyError, TypeError):
            raise UserError(f"{path} is not a valid lock file: fix it, or delete it to trust "
                            "the archives again on first use") from None
        return cls(path, entries)

    def get(self, archive: str) -> str:
        return str(self.entries.get(archive, {}).get("sha256", ""))

    def record(self, archive: str, sha256: str, url: str = "") -> None:
        self.entries[archive] = {"sha256": sha256, "url": url,
                                 "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"version": FORMAT_VERSION, "archives": self.entries},
                                  indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
