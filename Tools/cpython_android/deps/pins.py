"""The pinned library table (`pins.toml`): which libraries a host needs, and
where each comes from (a prebuilt archive or a source archive) with its hash."""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..hosts import Host
from ..safefiles import checked_name, read_text

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


KINDS = ("android", "gnu")


def _library(name: str, data: object, path: Path) -> Library:
    where = f"{path} [libraries.{name}]"
    try:
        checked_name(name, f"{path}: library")
        if not isinstance(data, dict):
            raise TypeError(f"[libraries.{name}] is not a table")
        prebuilt = _table(data, "prebuilt")
        src = _table(data, "source")
        source = Source(name, _name(src["version"], "source.version"),
                        _name(src["archive"], "source.archive"), _text(src["sha256"]).lower(),
                        _name(src.get("debian", name), "source.debian"),
                        _name(src.get("builder", name), "source.builder")) if src else None
        kinds = _texts(data.get("kinds", list(KINDS)), "kinds")
        if unknown := [kind for kind in kinds if kind not in KINDS]:
            raise TypeError(f"kinds {unknown[0]!r} (choose from {', '.join(KINDS)})")
        hashes = _table(prebuilt, "sha256") if prebuilt else {}
        return Library(
            name=name,
            modules=_texts(data.get("modules", []), "modules"),
            min_python=_version(_text(data.get("min_python", "3.0")), where),
            kinds=kinds,
            prebuilt_version=_name(prebuilt["version"], "prebuilt.version") if prebuilt
            else None,
            prebuilt_sha256={_name(host, "prebuilt.sha256 host"): _text(sha)
                             for host, sha in hashes.items()},
            source=source,
            prebuilt_unusable={str(k): _text(v) for k, v in
                               (_table(prebuilt, "unusable") if prebuilt else {}).items()},
        )
    except (KeyError, TypeError, AttributeError) as e:
        raise UserError(f"{where} is malformed (missing or wrong {e}): fix the file") from None
    except UserError as e:
        raise UserError(f"{where}: {e}") from None


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise TypeError(f"{key} (a table, not {type(value).__name__})")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"value {value!r:.40} (a string expected)")
    return value


def _texts(value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"{key} (a list of strings, not {value!r:.40})")
    return tuple(value)


def _name(value: object, key: str) -> str:
    return checked_name(value if isinstance(value, str) else _text(value), key)


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
        data = tomllib.loads(read_text(path, "pins file"))
    except FileNotFoundError:
        raise UserError(f"cannot read pins file {path}: no such file") from None
    except RecursionError:
        raise UserError(f"{path} is nested too deeply: fix the file") from None
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path} is not valid TOML ({e}): fix the file") from None
    prebuilt = data.get("prebuilt", {})
    tables = data.get("libraries", {})
    if not isinstance(prebuilt, dict) or not isinstance(tables, dict):
        raise UserError(f"{path}: [prebuilt] and [libraries] must be tables: fix the file")
    libraries = {name: _checked(_library(name, value, path), path)
                 for name, value in tables.items()}
    if not libraries:
        raise UserError(f"{path} pins no [libraries]: fix the file")
    template = str(prebuilt.get("url", ""))
    _check_template(template, path)
    return Pins(path, template, str(prebuilt.get(DEFAULT_BASE_KEY, "")), libraries)


#: The fields a prebuilt URL template may use.
TEMPLATE_FIELDS = {"base", "name", "version", "host"}


def _check_template(template: str, path: Path) -> None:
    """Only {base}, {name}, {version} and {host}: anything else is one line now,
    not a traceback at download time."""
    try:
        parts = [(field, spec, conv) for _, field, spec, conv in
                 string.Formatter().parse(template) if field is not None]
        if any(spec or conv for _, spec, conv in parts):
            raise ValueError("no conversions or format specs")
        fields = {field for field, _, _ in parts}
    except ValueError as e:
        raise UserError(f"{path}: prebuilt.url {template[:60]!r} is not a valid template "
                        f"({e!s:.60}): use only {{base}}, {{name}}, {{version}} and {{host}}"
                        ) from None
    if unknown := sorted(fields - TEMPLATE_FIELDS):
        raise UserError(f"{path}: prebuilt.url uses {{{unknown[0]}}}: use only {{base}}, "
                        "{name}, {version} and {host}")
