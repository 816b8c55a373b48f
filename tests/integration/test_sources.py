"""The pinned-source fetcher against a Debian-style archive on a loopback HTTP
server: real Sources and Release indexes, real apt-get, real 404s.

The archive moves as Debian's does: a newer version is listed beside the
pinned one, the newer version's files are gone, a version's .dsc is gone while
its orig tarball is there, and the pinned version leaves the index.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import pytest

from support.cli import REPO, needs

pytestmark = needs("apt-get", "apt-cache")


@dataclass
class Version:
    package: str
    version: str  # Debian version, e.g. 1.0-1
    upstream: str  # what the orig tarball holds, e.g. 1.0
    missing: set[str] = field(default_factory=set)  # suffixes not published (404)

    def files(self) -> dict[str, bytes]:
        orig = f"{self.package}_{self.upstream}.orig.tar.gz"
        return {
            orig: tarball(f"{self.package}-{self.upstream}", self.upstream),
            f"{self.package}_{self.version}.debian.tar.xz": b"debian dir " + self.version.encode(),
            f"{self.package}_{self.version}.dsc": (
                f"Format: 3.0 (quilt)\nSource: {self.package}\nVersion: {self.version}\n"
            ).encode(),
        }


def tarball(top: str, content: str) -> bytes:
    """A .tar.gz of TOP/VERSION, the same bytes every time (no timestamps)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(f"{top}/VERSION")
        info.size = len(content.encode())
        tar.addfile(info, io.BytesIO(content.encode()))
    return gzip.compress(buffer.getvalue(), mtime=0)


def stanza(v: Version, published: dict[str, bytes]) -> str:
    def lines(algorithm: str) -> str:
        return "".join(f" {hashlib.new(algorithm, data).hexdigest()} {len(data)} {name}\n"
                       for name, data in published.items())

    return (f"Package: {v.package}\nBinary: {v.package}\nVersion: {v.version}\n"
            f"Maintainer: Test <test@example.org>\nArchitecture: any\n"
            f"Format: 3.0 (quilt)\nDirectory: pool/main/{v.package[0]}/{v.package}\n"
            f"Files:\n{lines('md5')}Checksums-Sha256:\n{lines('sha256')}")


def publish(root: Path, suite: str, versions: list[Version]) -> None:
    """dists/SUITE/{Release, main/source/Sources(.gz)} and the pool's files."""
    stanzas = []
    for v in versions:
        files = v.files()
        pool = root / "pool" / "main" / v.package[0] / v.package
        pool.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            if not any(name.endswith(suffix) for suffix in v.missing):
                (pool / name).write_bytes(data)
        stanzas.append(stanza(v, files))
    dist = root / "dists" / suite
    (dist / "main" / "source").mkdir(parents=True, exist_ok=True)
    sources = "\n".join(stanzas).encode()
    (dist / "main" / "source" / "Sources").write_bytes(sources)
    (dist / "main" / "source" / "Sources.gz").write_bytes(gzip.compress(sources))
    listing = "".join(
        f" {hashlib.sha256(p.read_bytes()).hexdigest()} {p.stat().st_size} "
        f"{p.relative_to(dist)}\n" for p in sorted((dist / "main").rglob("Sources*")))
    (dist / "Release").write_text(
        f"Origin: Test\nSuite: {suite}\nCodename: {suite}\nDate: {formatdate(usegmt=True)}\n"
        f"Components: main\nSHA256:\n{listing}")


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A Debian-style archive on 127.0.0.1; yields its URI and the paths requested."""
    root = tmp_path / "www" / "debian"
    publish(root, "trixie", [
        # A newer version beside the pinned one (which must be the one fetched).
        Version("newer", "1.0-1", "1.0"), Version("newer", "2.0-1", "2.0"),
        # The newest version's files are all gone; the pinned version's .dsc
        # and .debian.tar are gone too, but its orig tarball is there.
        Version("moving", "1.0-1", "1.0", missing={".dsc", ".debian.tar.xz"}),
        Version("moving", "2.0-1", "2.0", missing={".dsc", ".debian.tar.xz", ".orig.tar.gz"}),
        # The pinned version has left the index.
        Version("vanished", "2.0-1", "2.0"),
        # Listed, but its orig tarball answers 404.
        Version("lost", "1.0-1", "1.0", missing={".orig.tar.gz"}),
    ])
    publish(root, "forky", [Version("unstable", "3.0-2", "3.0")])
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            super().__init__(*args, directory=str(tmp_path / "www"), **kwargs)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/debian", requests
    finally:
        server.shutdown()
        server.server_close()


def pin(name: str, upstream: str, suite: str = "trixie") -> str:
    data = Version(name, "0", upstream).files()[f"{name}_{upstream}.orig.tar.gz"]
    return (f"[libraries.{name}]\nsource.archive = \"{name}_{upstream}.orig.tar.gz\"\n"
            f"source.sha256 = \"{hashlib.sha256(data).hexdigest()}\"\n"
            f"source.debian = \"{name}\"\nsource.suite = \"{suite}\"\n")


@pytest.fixture
def fetch(tmp_path: Path, archive: tuple[str, list[str]]):
    """Run `python -m support.sources ... libraries NAMES` as .ci/quickstart does."""
    uri, _ = archive
    pins = tmp_path / "pins.toml"
    pins.write_text(pin("newer", "1.0") + pin("moving", "1.0") + pin("vanished", "1.0")
                    + pin("unstable", "3.0", suite="forky") + pin("broken", "1.0")
                    + pin("lost", "1.0"))
    cache = tmp_path / "cache"

    def run(*names: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PYTHONPATH=f"{REPO / 'tests'}{os.pathsep}{REPO / 'Tools'}")
        return subprocess.run(
            [sys.executable, "-m", "support.sources", "--pins", str(pins),
             "--archive", uri, "--trusted", "--cache-dir", str(cache), "libraries", *names],
            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300)

    return run


def upstream_of(path: Path) -> str:
    with tarfile.open(path) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/VERSION"))
        return tar.extractfile(member).read().decode()  # type: ignore[union-attr]


def test_newest_version_differs_from_the_pin(fetch, archive):
    result = fetch("newer")
    assert result.returncode == 0, result.stderr
    directory = Path(result.stdout.strip())
    assert upstream_of(directory / "newer_1.0.orig.tar.gz") == "1.0"
    _, requests = archive
    assert not [r for r in requests if "newer_2.0" in r], "asked for the newest version"
    assert not (directory / "newer_2.0.orig.tar.gz").exists()


def test_newest_version_404s_and_the_pins_dsc_too(fetch, archive):
    result = fetch("moving")
    assert result.returncode == 0, result.stderr
    directory = Path(result.stdout.strip())
    assert upstream_of(directory / "moving_1.0.orig.tar.gz") == "1.0"
    _, requests = archive
    # The .dsc was asked for and was not there: the orig tarball still counts.
    assert any(r.endswith("moving_1.0-1.dsc") for r in requests)
    assert not (REPO / "moving_1.0.orig.tar.gz").exists()


def test_pinned_version_gone_is_one_line_naming_what_the_index_offers(fetch, archive):
    result = fetch("vanished")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert "vanished" in line and "vanished_1.0.orig.tar.gz" in line
    assert "2.0-1 (vanished_2.0.orig.tar.gz)" in line
    assert result.stdout == ""
    _, requests = archive
    assert not [r for r in requests if "/pool/" in r], "downloaded before failing"


def test_pin_in_another_suite(fetch):
    result = fetch("unstable")
    assert result.returncode == 0, result.stderr
    assert upstream_of(Path(result.stdout.strip()) / "unstable_3.0.orig.tar.gz") == "3.0"


def test_package_missing_from_the_index(fetch):
    result = fetch("broken")
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert "broken" in result.stderr and "no such source package" in result.stderr


def test_a_second_fetch_uses_the_cache(fetch, archive):
    assert fetch("newer").returncode == 0
    _, requests = archive
    requests.clear()
    again = fetch("newer")
    assert again.returncode == 0, again.stderr
    assert requests == []


def test_pinned_tarball_404_is_one_line_with_apts_error(fetch):
    result = fetch("lost")
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert "lost=1.0-1" in result.stderr and "404" in result.stderr


def test_quickstart_stops_at_once_with_one_line_when_a_source_cannot_be_had(tmp_path: Path):
    """README's main job: a source that cannot be had stops it before any
    build, with the fetcher's one line (here apt-get itself fails, as with no
    network)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    apt_get = bin_dir / "apt-get"
    apt_get.write_text("#!/bin/sh\necho 'E: Failed to fetch http://deb.example/InRelease "
                       "Could not resolve host' >&2\nexit 100\n")
    apt_get.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", PYTHON=sys.executable,
               PYTHONPATH=str(REPO / "Tools"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = subprocess.run(["bash", str(REPO / ".ci" / "quickstart")], env=env,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            timeout=120)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert "apt-get update" in result.stderr and "Could not resolve host" in result.stderr
    assert "==>" not in result.stdout  # no build step started
