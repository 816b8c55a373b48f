"""What the user chose about prerequisite libraries (command-line options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DepsOptions:
    skip: bool = False  # --no-deps: leave the prefix as it is
    only: tuple[str, ...] = ()  # `deps HOST LIB...`: just these libraries
    cache_dir: Path | None = None  # None: the user's cache directory
    deps_dir: Path | None = None  # archives the user already has: no network at all
    mirror: str | None = None  # replaces the prebuilt archives' base URL
    require_hashes: bool = False
    from_source: bool = False
    source_dirs: tuple[Path, ...] = ()  # where --deps-from-source finds source archives
    pins_file: Path | None = None  # None: the built-in pins.toml
