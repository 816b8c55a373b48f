"""The pinned library table (`pins.toml`): which libraries a host needs, and
where each comes from (a prebuilt archive or a source archive) with its hash."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..hosts import Host

PINS_FILE = Path(__file__).with_name("pins.toml")
DEFAULT_BASE_KEY = "base"


@dataclass(frozen=True)
class Prebuilt:
    """An archive built for one Android host, extracted into the prefix as is."""

    library: str
    version: str
    archive: str  # file name, e.g. openssl-3.0.15-4-aarch64-linux-android.tar.gz
    url: str
    sha256: str  # "" when not pinned yet (trust on first use)


@dataclass(frozen=True)
class Source:
    """A source archive that `--deps-from-source` builds with the host's toolchain."""

    library: str
    version: str
    archive: str
    sha256: str
    debian: str  # the Debian source package carrying this archive
    builder: str


@dataclass(frozen=True)
class Library:
    name: str
    modules: tuple[str, ...]
    min_python: tuple[int, int]
    kinds: tuple[str, ...]
    prebuilt_version: str | None
    prebuilt_sha256: dict[str, str] = field(hash=False)
    source: Source | None
    #: Hosts whose prebuilt archive is known to be wrong -> why; there the
    #: library is built from source by default.
    prebuilt_unusable: dict[str, str] = field(default_factory=dict, hash=False)

    def needed_by(self, host: Host, python: tuple[int, int]) -> bool:
        return host.kind.value in self.kinds and python >= self.min_python


@dataclass(frozen=True)
class Pins:
    path: Path
    url_template: str
    base_url: str
    libraries: dict[str, Library] = field(hash=False)

    def needed(self, host: Host, python: tuple[int, int],
               only: tuple[str, ...] = ()) -> list[Library]:
        """The libraries `host` needs for CPython `python`, in pin order."""
        unknown = [name for name in only if name not in self.libraries]
        if unknown:
            raise UserError(f"unknown library {unknown[0]!r}: choose from "
                            f"{', '.join(self.libraries)}")
        chosen = [lib for lib in self.libraries.values() if lib.needed_by(host, python)]
        if only:
            not_needed = [name for name in only if name not in {lib.name for lib in chosen}]
            if not_needed:
                raise UserError(f"{not_needed[0]} is not needed for {host} with Python "
                                f"{'.'.join(map(str, python))}: leave it out")
            chosen = [lib for lib in chosen if lib.name in only]
        return chosen

    def prebuilt(self, library: Library, host: Host, base_url: str | None = None) -> Prebuilt:
        if library.prebuilt_version is None or host.triplet not in library.prebuilt_sha256:
            raise UserError(f"there is no prebuilt {library.name} for {host}: pass "
                            "--deps-from-source (with --deps-source DIR) to build it")
        version = library.prebuilt_version
        archive = f"{library.name}-{version}-{host.triplet}.tar.gz"
        url = self.url_template.format(base=(base_url or self.base_url).rstrip("/"),
                                       name=library.name, version=version, host=host.triplet)
        return Prebuilt(library.name, version, archive, url,
                        str(library.prebuilt_sha256[host.triplet]).lower())

    def source(self, library: Library) -> Source:
        if library.source is None:
            raise UserError(f"{self.path} pins no source archive for {library.name}")
        return library.source


def _version(text: str, where: str) -> tuple[int, int]:
    try:
        major, minor = text.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        raise UserError(f"{where}: min_python must look like 3.14, not {text!r}") from None


def _library(name: str, data: dict[str, Any], path: Path) -> Library:
    where = f"{path} [libraries.{name}]"
    try:
        prebuilt = data.get("prebuilt")
        src = data.get("source")
        source = Source(name, str(src["version"]), str(src["archive"]),
                        str(src["sha256"]).lower(), str(src.get("debian", name)),
                        str(src.get("builder", name))) if src else None
        return Library(
            name=name,
            modules=tuple(data.get("modules", ())),
            min_python=_version(str(data.get("min_python", "3.0")), where),
            kinds=tuple(data.get("kinds", ("android", "gnu"))),
            prebuilt_version=str(prebuilt["version"]) if prebuilt else None,
            prebuilt_sha256=dict(prebuilt.get("sha256", {})) if prebuilt else {},
            source=source,
            prebuilt_unusable=dict(prebuilt.get("unusable", {})) if prebuilt else {},
        )
    except (KeyError, TypeError, AttributeError) as e:
        raise UserError(f"{where} is malformed (missing or wrong {e}): fix the file") from None


def _checked(library: Library, path: Path) -> Library:
    """Every hash is empty (prebuilt: trust on first use) or 64 hex digits."""
    hashes = [(f"prebuilt.sha256.{host}", sha) for host, sha in library.prebuilt_sha256.items()]
    if library.source:
        hashes.append(("source.sha256", library.source.sha256))
    for key, sha in hashes:
        empty_ok = key.startswith("prebuilt")
        if not isinstance(sha, str) or not (
                (empty_ok and sha == "") or re.fullmatch(r"[0-9a-fA-F]{64}", sha)):
            raise UserError(f"{path} [libraries.{library.name}] {key} = {sha!r} is not a "
                            "sha256 (64 hex digits): fix the file")
    return library


def load(path: Path | None = None) -> Pins:
    """Read a pins file (the built-in one by default)."""
    path = path or PINS_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"cannot read pins file {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text: fix the file") from None
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path} is not valid TOML ({e}): fix the file") from None
    prebuilt = data.get("prebuilt", {})
    libraries = {name: _checked(_library(name, value, path), path)
                 for name, value in data.get("libraries", {}).items()}
    if not libraries:
        raise UserError(f"{path} pins no [libraries]: fix the file")
    return Pins(path, str(prebuilt.get("url", "")), str(prebuilt.get(DEFAULT_BASE_KEY, "")),
                libraries)
