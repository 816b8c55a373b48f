"""Obtain pristine upstream source tarballs from Debian's source packages.

Tests and CI need real sources (CPython, and the libraries CPython depends
on) but the only network here is package registries.  Debian's source
packages carry the upstream tarballs untouched, so we add a deb-src entry for
suite `trixie`, derived from this machine's own apt sources (same URIs), to a
*private* apt configuration (the system's apt state is never touched), run
`apt-get source --download-only PACKAGE`, and verify the tarball's sha256.

Everything is cached under ~/.cache/cpython-android-tests, so a second run
costs nothing.

    python tests/debian_sources.py python3.13          # prints the tarball path
    python tests/debian_sources.py --extract python3.13  # prints the source tree
    python tests/debian_sources.py --library-sources     # prints a --deps-source DIR
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

# Also run as a script (by .ci/run and benchmarks): make the library importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tools"))

from cpython_android.digest import sha256_file  # noqa: E402

SUITE = "trixie"
CACHE_ROOT = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / \
    "cpython-android-tests"

# Pinned upstream tarballs: Debian package → (orig tarball name, sha256).
PINNED: dict[str, tuple[str, str]] = {
    "python3.13": ("python3.13_3.13.5.orig.tar.xz",
                   "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"),
}


def machine_archive_uris() -> list[str]:
    """The Debian archive URIs this machine's apt already uses (not -security)."""
    uris: list[str] = []
    apt = Path("/etc/apt")
    for path in sorted((apt / "sources.list.d").glob("*.sources")):
        for stanza in path.read_text().split("\n\n"):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.MULTILINE))
            suites = fields.get("Suites", "").split()
            if "deb" in fields.get("Types", "").split() and suites and not any(
                    s.endswith("-security") for s in suites):
                uris += fields.get("URIs", "").split()
    legacy = apt / "sources.list"
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and not parts[2].endswith("-security"):
                uris.append(next(p for p in parts[1:] if "://" in p))
    uris = list(dict.fromkeys(uris))
    if not uris:
        raise RuntimeError("no Debian archive found in /etc/apt sources")
    return uris


def _apt_options(root: Path) -> list[str]:
    return [
        "-o", "Dir::Etc::SourceList=/dev/null",
        "-o", f"Dir::Etc::SourceParts={root / 'sources.list.d'}",
        "-o", f"Dir::State::Lists={root / 'lists'}",
        "-o", f"Dir::Cache={root / 'cache'}",
        "-o", "Dir::Etc::Preferences=/dev/null",
        "-o", f"Dir::Etc::PreferencesParts={root / 'preferences.d'}",
        "-o", "APT::Sandbox::User=root",
        # Ignore installed packages: else `apt-get source bzip2` asks for the
        # installed binary's (older) version, which trixie does not have.
        "-o", "Dir::State::status=/dev/null",
    ]


def private_apt(root: Path) -> list[str]:
    """apt-get options for a private configuration with only the deb-src entry."""
    for sub in ("sources.list.d", "lists/partial", "cache/archives/partial", "preferences.d"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
    (root / "sources.list.d" / "src.sources").write_text(
        f"Types: deb-src\nURIs: {' '.join(machine_archive_uris())}\nSuites: {SUITE}\n"
        f"Components: main\nSigned-By: {keyring}\n")
    options = _apt_options(root)
    if not any((root / "lists").glob("*Sources*")):
        subprocess.run(["apt-get", *options, "-q", "update"], check=True,
                       stdout=subprocess.DEVNULL)
    return options


def fetch(package: str, expected: tuple[str, str] | None = None) -> Path:
    """The upstream tarball of a Debian source package, downloaded once and verified."""
    name, digest = expected or PINNED.get(package, (None, None))  # type: ignore[assignment]
    target_dir = CACHE_ROOT / "debian-sources" / package
    if name and (target_dir / name).exists() and sha256_file(target_dir / name) == digest:
        return target_dir / name
    options = private_apt(CACHE_ROOT / "apt")
    download = target_dir.with_name(package + ".partial")
    shutil.rmtree(download, ignore_errors=True)
    download.mkdir(parents=True)
    subprocess.run(["apt-get", *options, "-q", "source", "--download-only", package],
                   cwd=download, check=True, stdout=subprocess.DEVNULL)
    origs = sorted(p for p in download.glob("*.orig.tar.*") if not p.name.endswith(".asc"))
    if not origs:
        raise RuntimeError(f"apt-get source {package} gave no .orig tarball")
    tarball = origs[0] if name is None else download / name
    if digest and sha256_file(tarball) != digest:
        raise RuntimeError(f"{tarball.name}: sha256 {sha256_file(tarball)} is not the pinned "
                           f"{digest}")
    shutil.rmtree(target_dir, ignore_errors=True)
    download.rename(target_dir)
    return target_dir / tarball.name


def extract(tarball: Path, into: Path | None = None) -> Path:
    """The tarball's top directory, extracted once next to it (or into `into`)."""
    into = into or tarball.parent / "src"
    marker = into / ".complete"
    if not marker.exists():
        shutil.rmtree(into, ignore_errors=True)
        into.mkdir(parents=True)
        with tarfile.open(tarball) as tar:
            tar.extractall(into, filter="data")
        marker.write_text(tarball.name)
    [top] = [p for p in into.iterdir() if p.is_dir()]
    return top


PINS_TOML = Path(__file__).resolve().parent.parent / "Tools" / "cpython_android" / "deps" / \
    "pins.toml"


def library_sources(names: list[str] | None = None) -> Path:
    """A directory holding the source archives pins.toml pins (all, or `names`),
    fetched from Debian's source packages and verified: `--deps-source DIR`."""
    import tomllib

    libraries = tomllib.loads(PINS_TOML.read_text())["libraries"]
    into = CACHE_ROOT / "deps-sources"
    into.mkdir(parents=True, exist_ok=True)
    for name, lib in libraries.items():
        source = lib.get("source")
        if not source or (names is not None and name not in names):
            continue
        link = into / source["archive"]
        if not link.exists():
            tarball = fetch(source["debian"], (source["archive"], source["sha256"]))
            # Atomically: pytest-xdist workers may get here at the same time.
            tmp = link.with_name(f".{link.name}.{os.getpid()}")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(tarball)
            os.replace(tmp, link)
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", nargs="?", help="a Debian source package, e.g. python3.13")
    parser.add_argument("--extract", action="store_true", help="print the extracted tree")
    parser.add_argument("--library-sources", action="store_true",
                        help="print a directory of every source archive pins.toml pins "
                        "(for --deps-source)")
    args = parser.parse_args()
    if args.library_sources:
        print(library_sources())
        return 0
    if not args.package:
        parser.error("give a package, or --library-sources")
    tarball = fetch(args.package)
    print(extract(tarball) if args.extract else tarball)
    return 0


if __name__ == "__main__":
    sys.exit(main())
