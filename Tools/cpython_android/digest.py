"""File digests: the one sha256 used for pins, lock files and package manifests."""

from __future__ import annotations

import hashlib
from pathlib import Path

BLOCK_SIZE = 1 << 20


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in blocks (archives can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(BLOCK_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()
