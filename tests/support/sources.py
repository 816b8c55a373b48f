"""Pinned upstream source tarballs, fetched from Debian's source packages.

Debian's source packages carry upstream tarballs untouched (the `.orig`
tarball), and package registries are the only network some machines have.
Each pin (`[cpython]` and every `[libraries.*.source]` in deps/pins.toml)
names a Debian source package, a suite, the orig tarball's file name and its
sha256.  Debian's index lists several versions of a package, and the newest
may neither carry the pinned tarball nor download at all: so we read the
suite's Sources index, find the versions whose orig tarball *is* the pinned
file, and ask apt for exactly that version (`apt-get source --download-only
PKG=VERSION`).  apt runs with a private configuration (a `deb-src` entry for
the pin's suite, with this machine's own Debian archive URIs); the system's
apt state is never touched.  Everything is cached, so a second run costs
nothing.

This is the test rig's, not the product's: the fixtures, .ci/run and
.ci/quickstart use it (with tests/ and Tools/ on the path, as pytest has them):

    PYTHONPATH=tests python -m support.sources cpython            # the tarball
    PYTHONPATH=tests python -m support.sources cpython --extract  # the source tree
    PYTHONPATH=tests python -m support.sources libraries          # a --deps-source DIR
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import shutil
import sys
import tarfile
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cpython_android.deps import pins as pins_module
from cpython_android.digest import sha256_file
from cpython_android.errors import ToolError, UserError
from cpython_android.process import Completed, run_captured

PINS_FILE = pins_module.PINS_FILE  # the product's pins: [cpython] and each library's source
DEFAULT_SUITE = "trixie"
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
PROG = "python -m support.sources"


class SourceUnavailable(UserError):
    """A pinned source cannot be had: one line saying which, and what there is."""

    exit_status = 1


@dataclass(frozen=True)
class SourcePin:
    """One pinned upstream tarball and the Debian source package carrying it."""

    name: str  # "cpython", or the library's name in pins.toml
    package: str  # Debian source package
    archive: str  # the orig tarball's file name
    sha256: str
    suite: str = DEFAULT_SUITE


def read_pins(path: Path | None = None) -> dict[str, SourcePin]:
    """Every pinned source in a pins file: `cpython` first, then the libraries."""
    path = path or PINS_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise UserError(f"cannot read pins file {path}: {e}") from None
    tables = {"cpython": data.get("cpython")} if "cpython" in data else {}
    tables |= {name: lib.get("source") for name, lib in data.get("libraries", {}).items()}
    pins: dict[str, SourcePin] = {}
    for name, table in tables.items():
        if not table:
            continue
        try:
            pins[name] = SourcePin(name, str(table.get("debian", name)), str(table["archive"]),
                                   str(table["sha256"]).lower(),
                                   str(table.get("suite", DEFAULT_SUITE)))
        except KeyError as e:
            raise UserError(f"{path}: the source of {name} has no {e}: fix the file") from None
    return pins


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cpython-android-tests"


def machine_archive_uris() -> tuple[str, ...]:
    """The Debian archive URIs this machine's apt uses (not -security ones)."""
    uris: list[str] = []
    apt = Path("/etc/apt")
    for path in sorted((apt / "sources.list.d").glob("*.sources")):
        for stanza in path.read_text().split("\n\n"):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.MULTILINE))
            suites = fields.get("Suites", "").split()
            if ("deb" in fields.get("Types", "").split() and suites
                    and "debian-archive-keyring" in fields.get("Signed-By", DEBIAN_KEYRING)
                    and not any(s.endswith("-security") for s in suites)):
                uris += fields.get("URIs", "").split()
    legacy = apt / "sources.list"
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and not parts[2].endswith("-security"):
                uris += [p for p in parts[1:] if "://" in p and "debian" in p][:1]
    if not uris:
        raise UserError("no Debian archive in /etc/apt's sources: pass --archive URI")
    return tuple(dict.fromkeys(uris))


@dataclass(frozen=True)
class IndexEntry:
    """One version of a source package as the Sources index lists it."""

    version: str
    files: dict[str, str] = field(hash=False)  # file name -> sha256

    def origs(self) -> list[str]:
        return [n for n in self.files if ".orig." in n and not n.endswith(".asc")]


def parse_showsrc(text: str, package: str) -> list[IndexEntry]:
    """The versions of `package` in `apt-cache showsrc` output (Sources stanzas)."""
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        if not re.search(rf"^Package: {re.escape(package)}$", stanza, re.MULTILINE):
            continue
        version = re.search(r"^Version: (\S+)$", stanza, re.MULTILINE)
        sums = re.search(r"^Checksums-Sha256:\n((?: .*\n?)*)", stanza, re.MULTILINE)
        if version and sums:
            files = {m[1]: m[0] for m in re.findall(r"^ ([0-9a-f]{64}) \d+ (\S+)$",
                                                      sums[1], re.MULTILINE)}
            entries.append(IndexEntry(version[1], files))
    return entries


@dataclass(frozen=True)
class Fetcher:
    """Downloads pinned tarballs with apt into a cache directory."""

    cache: Path
    uris: tuple[str, ...]
    signed_by: str | None = DEBIAN_KEYRING  # None: an unsigned (test) archive, trusted

    @property
    def origs(self) -> Path:
        """Where verified tarballs live: also a `--deps-source` directory."""
        return self.cache / "debian-orig"

    def apt_options(self, suite: str) -> list[str]:
        """apt options for a private configuration with only the suite's deb-src."""
        root = self.cache / "apt-private" / suite
        for sub in ("sources.list.d", "lists/partial", "cache/archives/partial",
                    "preferences.d"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        trust = f"Signed-By: {self.signed_by}" if self.signed_by else "Trusted: yes"
        (root / "sources.list.d" / "src.sources").write_text(
            f"Types: deb-src\nURIs: {' '.join(self.uris)}\nSuites: {suite}\n"
            f"Components: main\n{trust}\n")
        return [
            "-o", "Dir::Etc::SourceList=/dev/null",
            "-o", f"Dir::Etc::SourceParts={root / 'sources.list.d'}",
            "-o", f"Dir::State::Lists={root / 'lists'}",
            "-o", f"Dir::Cache={root / 'cache'}",
            "-o", "Dir::Etc::Preferences=/dev/null",
            "-o", f"Dir::Etc::PreferencesParts={root / 'preferences.d'}",
            "-o", "APT::Sandbox::User=root",
            # Ignore installed packages: else `apt-get source bzip2` prefers the
            # installed binary's version, which the suite may not have.
            "-o", "Dir::State::status=/dev/null",
            # A loopback test archive must not go through a proxy.
            "-o", "Acquire::http::Proxy::127.0.0.1=DIRECT",
        ]

    def _apt(self, suite: str, *args: str, cwd: Path | None = None) -> Completed:
        command = [args[0], *self.apt_options(suite), "-q", *args[1:]]
        # An empty stdin: apt never waits for an answer.
        return run_captured(command, cwd=cwd, input_text="")

    def update(self, suite: str) -> None:
        result = self._apt(suite, "apt-get", "update")
        if result.returncode != 0:
            raise SourceUnavailable(f"apt-get update for Debian {suite} ({' '.join(self.uris)}) "
                                    f"failed: {last_error(result)}")

    def index(self, pin: SourcePin, *, refresh: bool = False) -> list[IndexEntry]:
        """The versions of the pin's package that the suite's index lists."""
        lists = self.cache / "apt-private" / pin.suite / "lists"
        if refresh or not any(lists.glob("*Sources*")):
            self.update(pin.suite)
        result = self._apt(pin.suite, "apt-cache", "showsrc", pin.package)
        return parse_showsrc(result.stdout, pin.package)

    def carrying(self, pin: SourcePin) -> list[IndexEntry]:
        """The listed versions whose orig tarball is the pinned file (newest
        listed last by apt, tried first); the index is refreshed once when
        none is, as an old index may predate the pin."""
        entries = self.index(pin)
        if not any(e.files.get(pin.archive) == pin.sha256 for e in entries):
            entries = self.index(pin, refresh=True)
        found = [e for e in entries if e.files.get(pin.archive) == pin.sha256]
        if not found:
            offers = "; ".join(f"{e.version} ({', '.join(e.origs()) or 'no orig tarball'})"
                               for e in entries) or "no such source package"
            raise SourceUnavailable(
                f"{pin.package}: no version in Debian {pin.suite}'s source index carries the "
                f"pinned {pin.archive} (sha256 {pin.sha256[:12]}...); it offers: {offers}")
        return found[::-1]

    def fetch(self, pin: SourcePin) -> Path:
        """The pinned tarball, downloaded once and verified."""
        target = self.origs / pin.archive
        if target.is_file() and sha256_file(target) == pin.sha256:
            return target
        with self.locked():
            if target.is_file() and sha256_file(target) == pin.sha256:
                return target  # another process fetched it meanwhile
            failures = []
            for entry in self.carrying(pin):
                error = self.download(pin, entry.version, target)
                if error is None:
                    return target
                failures.append(f"{pin.package}={entry.version}: {error}")
            raise SourceUnavailable(f"{pin.archive} did not download: {'; '.join(failures)}")

    def download(self, pin: SourcePin, version: str, target: Path) -> str | None:
        """Get the pinned tarball of one version into `target`; None, or why not.

        The .dsc or .debian.tar of a version can be gone (404) while its orig
        tarball is there: apt-get then exits non-zero, yet what we need
        arrived.  So the file decides, not the exit status.
        """
        work = self.cache / "download" / pin.name
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        result = self._apt(pin.suite, "apt-get", "source", "--download-only",
                           f"{pin.package}={version}", cwd=work)
        got = work / pin.archive
        if not got.is_file():
            return f"apt-get source gave no {pin.archive}: {last_error(result)}"
        if (digest := sha256_file(got)) != pin.sha256:
            return f"sha256 {digest} is not the pinned {pin.sha256}"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(got, target)
        shutil.rmtree(work, ignore_errors=True)
        return None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One fetch at a time per cache (pytest-xdist workers, parallel CI jobs):
        apt's own lock would make the second one fail instead of wait."""
        self.cache.mkdir(parents=True, exist_ok=True)
        with open(self.cache / "sources.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def library_sources(self, pins: dict[str, SourcePin], names: Sequence[str] = ()) -> Path:
        """A directory holding the pinned library tarballs: `--deps-source DIR`."""
        unknown = [n for n in names if n not in pins or n == "cpython"]
        if unknown:
            raise UserError(f"no pinned library source named {unknown[0]!r}: choose from "
                            f"{', '.join(n for n in pins if n != 'cpython')}")
        for name, pin in pins.items():
            if name != "cpython" and (not names or name in names):
                self.fetch(pin)
        return self.origs


def last_error(result: Completed) -> str:
    """apt's first error line (`E: Failed to fetch ... 404 Not Found`), or its last line."""
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines()
             if line.strip()]
    errors = [line for line in lines if line.startswith("E:")]
    return (errors or lines or [f"exit status {result.returncode}"])[0]


def extract(tarball: Path, into: Path | None = None) -> Path:
    """The tarball's top directory, extracted once beside it (or into `into`)."""
    into = into or tarball.parent.with_name("debian-trees") / tarball.name
    marker = into / ".complete"
    if not marker.exists():
        shutil.rmtree(into, ignore_errors=True)
        into.mkdir(parents=True)
        with tarfile.open(tarball) as tar:
            tar.extractall(into, filter="data")
        marker.write_text(tarball.name)
    [top] = [p for p in into.iterdir() if p.is_dir()]
    return top


def default_fetcher(cache: Path | None = None) -> Fetcher:
    return Fetcher(cache or default_cache(), machine_archive_uris())


def cpython_source(fetcher: Fetcher | None = None, pins_file: Path | None = None) -> Path:
    """The pinned CPython source tree (fetched, verified and extracted once)."""
    pins = read_pins(pins_file)
    if "cpython" not in pins:
        raise UserError(f"{pins_file or PINS_FILE} pins no [cpython] source")
    fetcher = fetcher or default_fetcher()
    tarball = fetcher.fetch(pins["cpython"])
    with fetcher.locked():  # two processes never extract the same tree at once
        return extract(tarball)


def library_sources(names: Sequence[str] = (), fetcher: Fetcher | None = None,
                    pins_file: Path | None = None) -> Path:
    """A `--deps-source` directory with the pinned libraries (all, or `names`)."""
    return (fetcher or default_fetcher()).library_sources(read_pins(pins_file), names)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--pins", type=Path, metavar="FILE",
                        help="pins file (default: the built-in deps/pins.toml)")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="cache (default: $XDG_CACHE_HOME/cpython-android-tests)")
    parser.add_argument("--archive", action="append", metavar="URI",
                        help="Debian archive URI (default: those of this machine's apt)")
    parser.add_argument("--trusted", action="store_true",
                        help="the archive's index is unsigned: trust it (a local mirror)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser("cpython", help="print the pinned CPython tarball")
    p.add_argument("--extract", action="store_true", help="print its extracted tree instead")
    p = sub.add_parser("libraries", help="fetch the pinned library sources; print the "
                       "directory holding them (for --deps-source)")
    p.add_argument("names", nargs="*", metavar="LIB", help="only these (default: all)")
    sub.add_parser("list", help="print each pin: package, suite and the version carrying it")
    return parser


def run(args: argparse.Namespace) -> None:
    fetcher = Fetcher(args.cache_dir or default_cache(),
                      tuple(args.archive) if args.archive else machine_archive_uris(),
                      None if args.trusted else DEBIAN_KEYRING)
    pins = read_pins(args.pins)
    if args.command == "cpython":
        if "cpython" not in pins:
            raise UserError(f"{args.pins or PINS_FILE} pins no [cpython] source")
        print(cpython_source(fetcher, args.pins) if args.extract
              else fetcher.fetch(pins["cpython"]))
    elif args.command == "libraries":
        print(fetcher.library_sources(pins, args.names))
    else:
        for pin in pins.values():
            versions = ", ".join(e.version for e in fetcher.carrying(pin))
            print(f"{pin.name:<8} {pin.package}={versions} ({pin.suite}) {pin.archive}")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        run(build_parser().parse_args(argv))
    except ToolError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
