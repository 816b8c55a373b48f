"""Prerequisite libraries: download over real HTTP (a server on 127.0.0.1
serving archives these tests make), hashes, the lock file, safe extraction,
bad input, and interrupted runs.  `android.py` runs as a user runs it."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import random
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cpython_android.deps import pins as pins_mod
from cpython_android.deps.builders import OPENSSL_ANDROID_TARGETS, OPENSSL_GNU_TARGETS
from cpython_android.hosts import parse_host
from support import sources
from support.archives import make_tar
from support.cli import ANDROID_PY, needs, run_cli

ANDROID_HOST = "aarch64-linux-android"
GNU_HOST = "aarch64-linux-gnu"
PY313 = (3, 13)


# --- archives and a local download server -------------------------------------

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prebuilt_files(name: str) -> dict[str, bytes]:
    """What a prebuilt archive holds: paths relative to the prefix.  A large,
    incompressible library, so a stalled download has written part of it."""
    return {f"include/{name}.h": f"/* {name} */\n".encode(),
            f"lib/lib{name}.a": random.Random(name).randbytes(1 << 20),
            f"lib/pkgconfig/{name}.pc": f"Name: {name}\nVersion: 1\n".encode()}


@dataclass
class Server:
    """Serves files from `root` over HTTP; records each request path."""

    root: Path
    requests: list[str] = field(default_factory=list)
    stall: set[str] = field(default_factory=set)  # paths that send a little, then hang
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    state = Server(tmp_path / "www")
    state.root.mkdir()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            state.requests.append(self.path)
            path = state.root / self.path.lstrip("/")
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.path in state.stall:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                state.release.wait(600)
                return
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    httpd.shutdown()
    httpd.server_close()


def needed_prebuilts(host: str = ANDROID_HOST) -> list[pins_mod.Prebuilt]:
    pins = pins_mod.load()
    parsed = parse_host(host)
    return [pins.prebuilt(lib, parsed, "BASE") for lib in pins.needed(parsed, PY313)]


def publish(server: Server, host: str = ANDROID_HOST) -> dict[str, Path]:
    """Put an archive for every library the host needs where the pinned URL
    (with --deps-mirror) points; return them by library name."""
    made = {}
    for pre in needed_prebuilts(host):
        relative = pre.url.removeprefix("BASE/")
        made[pre.library] = make_tar(server.root / relative, prebuilt_files(pre.library))
    return made


@dataclass
class Tree:
    checkout: Path
    cross_build: Path
    cache: Path

    @property
    def prefix(self) -> Path:
        return self.cross_build / ANDROID_HOST / "prefix"

    def gnu_prefix(self) -> Path:
        return self.cross_build / GNU_HOST / "prefix"

    def args(self, *args: str | Path) -> list[str | Path]:
        return ["--checkout", self.checkout, "--cross-build-dir", self.cross_build, *args]

    def deps(self, *args: str | Path, host: str = ANDROID_HOST, libs: tuple[str, ...] = (),
             **kwargs) -> subprocess.CompletedProcess[str]:
        """`deps HOST [LIB...] --cache-dir CACHE ARGS`."""
        return run_cli(*self.args("deps", host, *libs, "--cache-dir", self.cache, *args),
                       **kwargs)

    def lock(self) -> dict[str, dict[str, str]]:
        return json.loads((self.cross_build / "deps-lock.json").read_text())["archives"]


@pytest.fixture
def tree(cpython_source: Path, tmp_path: Path) -> Tree:
    return Tree(cpython_source, tmp_path / "xb", tmp_path / "cache")


def snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.exists():
        return {}
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


# --- prebuilt archives ---------------------------------------------------------


def default_signals() -> None:
    """In the child, before exec: SIGINT and SIGTERM do what they do by default.

    A shell starts a background job (`pytest ... &`) with SIGINT ignored, and
    an ignored signal stays ignored across fork and exec: python would then
    not install its KeyboardInterrupt handler, and Ctrl-C would do nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start_cli(*args: str | Path) -> subprocess.Popen[str]:
    """android.py ARGS as a process to interrupt, however pytest itself was started."""
    return subprocess.Popen([sys.executable, str(ANDROID_PY), *map(str, args)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)


def interrupt_when(process: subprocess.Popen[str], under_way: Callable[[], bool], *,
                   poll: float) -> tuple[str, str]:
    """Ctrl-C `process` as soon as `under_way()` says the step has started; its output.

    It waits for that state, not for a time: the deadlines only stop a test
    that went wrong (a loaded machine is slow, never that slow)."""
    try:
        deadline = time.monotonic() + 600
        while not under_way():
            assert process.poll() is None, ("exited before the step started",
                                            process.communicate())
            assert time.monotonic() < deadline, "the step never started"
            time.sleep(poll)
        process.send_signal(signal.SIGINT)
        return process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

def test_first_download_is_trusted_on_first_use_and_recorded(tree: Tree, server: Server):
    archives = publish(server)
    result = tree.deps("--deps-mirror", server.url)
    assert result.returncode == 0, result.stderr
    assert "trusting it on first use" in result.stdout
    lock = tree.lock()
    for name, archive in archives.items():
        assert lock[archive.name]["sha256"] == sha256(archive)
        for rel, data in prebuilt_files(name).items():
            assert (tree.prefix / rel).read_bytes() == data
        manifest = json.loads((tree.prefix / ".deps" / f"{name}.json").read_text())
        assert manifest["origin"] == "prebuilt"
        assert manifest["sha256"] == sha256(archive)
        # where each came from: the summary names the URL it was downloaded from
        assert f"{server.url}/" in result.stdout and archive.name in result.stdout
    assert len(server.requests) == len(archives)
    # and why
    assert result.stdout.count("BeeWare's pinned prebuilt archive for Android") == len(archives)


X86_64_ANDROID = "x86_64-linux-android"


def test_x86_64_android_builds_libffi_from_source_by_default(tree: Tree, server: Server):
    """BeeWare's libffi 3.4.4 gets Android x86_64's binary128 long double wrong:
    there, `deps` needs libffi's source even without --deps-from-source, and
    says so before installing anything."""
    publish(server, X86_64_ANDROID)
    result = tree.deps("--deps-mirror", server.url, host=X86_64_ANDROID)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for words in ("libffi is built from source", "binary128", "PR #976",
                  "Debian's libffi source package", "--deps-source"):
        assert words in result.stderr
    assert not (tree.cross_build / X86_64_ANDROID / "prefix" / ".deps").exists()
    assert server.requests == []


def test_second_run_downloads_and_extracts_nothing(tree: Tree, server: Server):
    publish(server)
    assert tree.deps("--deps-mirror", server.url).returncode == 0
    before = {p: p.stat().st_mtime_ns for p in tree.prefix.rglob("*") if p.is_file()}
    requests = len(server.requests)
    again = tree.deps("--deps-mirror", server.url)
    assert again.returncode == 0, again.stderr
    assert len(server.requests) == requests
    assert "trusting" not in again.stdout and "up to date" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in tree.prefix.rglob("*") if p.is_file()} == before


def test_cache_dir_comes_from_the_environment_where_the_flag_is_absent(tree: Tree,
                                                                       server: Server):
    """As upstream: $CACHE_DIR is the download cache when --cache-dir is not given."""
    archives = publish(server)
    result = run_cli(*tree.args("deps", ANDROID_HOST, "--deps-mirror", server.url),
                     env={"CACHE_DIR": str(tree.cache)})
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tree.cache.iterdir()) == sorted(
        a.name for a in archives.values())


def test_deps_dir_uses_local_archives_without_network(tree: Tree, server: Server,
                                                      tmp_path: Path):
    archives = publish(server)
    local = tmp_path / "mine"
    local.mkdir()
    for archive in archives.values():
        (local / archive.name).write_bytes(archive.read_bytes())
    # The mirror is a closed port: any network use would fail.
    result = tree.deps("--deps-dir", local, "--deps-mirror", "http://127.0.0.1:9")
    assert result.returncode == 0, result.stderr
    assert server.requests == []
    assert all((tree.prefix / ".deps" / f"{name}.json").exists() for name in archives)


def test_require_hashes_refuses_unpinned_archives_before_downloading(tree: Tree,
                                                                     server: Server):
    publish(server)
    result = tree.deps("--deps-mirror", server.url, "--require-hashes")
    assert result.returncode == 2
    assert "no pinned sha256" in result.stderr and "--require-hashes" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert server.requests == []
    assert not (tree.prefix / ".deps").exists()


def test_pinned_hash_mismatch_extracts_nothing_and_removes_the_cached_file(
        tree: Tree, server: Server, tmp_path: Path):
    archives = publish(server)
    pins = pins_mod.PINS_FILE.read_text()
    wrong = "0" * 64
    # Pin a wrong hash for bzip2 on this host, in a pins file of our own.
    pins = pins.replace('prebuilt.sha256 = { aarch64-linux-android = ""',
                        f'prebuilt.sha256 = {{ aarch64-linux-android = "{wrong}"', 1)
    pins_file = tmp_path / "pins.toml"
    pins_file.write_text(pins)
    result = tree.deps("--deps-mirror", server.url, "--deps-pins", pins_file, libs=("bzip2",))
    assert result.returncode == 2
    assert wrong in result.stderr and sha256(archives["bzip2"]) in result.stderr
    assert not (tree.cache / archives["bzip2"].name).exists()
    assert snapshot(tree.prefix) == {}


def test_changed_archive_does_not_match_the_lock(tree: Tree, server: Server):
    archives = publish(server)
    assert tree.deps("--deps-mirror", server.url, libs=("xz",)).returncode == 0
    recorded = tree.lock()[archives["xz"].name]["sha256"]
    # Upstream (or an attacker) replaces the archive; the cache is gone.
    make_tar(archives["xz"], {"include/evil.h": b"evil"})
    (tree.cache / archives["xz"].name).unlink()
    (tree.prefix / ".deps" / "xz.json").unlink()
    result = tree.deps("--deps-mirror", server.url, libs=("xz",))
    assert result.returncode == 2
    assert recorded in result.stderr and sha256(archives["xz"]) in result.stderr
    assert not (tree.prefix / "include" / "evil.h").exists()
    assert not (tree.cache / archives["xz"].name).exists()


def evil_member(kind: str) -> tuple[tarfile.TarInfo, str]:
    if kind == "dotdot":
        info = tarfile.TarInfo("lib/../../escaped.txt")
        return info, "lib/../../escaped.txt"
    if kind == "absolute":
        return tarfile.TarInfo("/tmp/cpython-android-absolute.txt"), "/tmp/"
    info = tarfile.TarInfo("lib/escape")
    info.type = tarfile.SYMTYPE
    info.linkname = "../../../../etc"
    return info, "lib/escape"


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_archive_escaping_the_prefix_is_refused(tree: Tree, server: Server, kind: str):
    archives = publish(server)
    member, shown = evil_member(kind)
    make_tar(archives["libffi"], {"include/ffi.h": b"ok"}, [member])
    result = tree.deps("--deps-mirror", server.url, libs=("libffi",))
    assert result.returncode == 2
    assert archives["libffi"].name in result.stderr and shown in result.stderr
    assert snapshot(tree.prefix) == {}
    assert not (tree.cross_build / ANDROID_HOST / "escaped.txt").exists()
    assert not (tree.cross_build / ANDROID_HOST / "deps" / "libffi" / "staging").exists()


def test_offline_download_fails_clearly(tree: Tree):
    result = tree.deps("--deps-mirror", "http://127.0.0.1:9", libs=("sqlite",))
    assert result.returncode == 4  # the network: infrastructure
    error = result.stderr.strip().splitlines()[-1]
    assert "cannot download http://127.0.0.1:9/" in error and "--deps-dir" in error
    assert "retrying" in result.stdout  # transient failures are retried first


def test_unknown_library_name(tree: Tree):
    result = tree.deps(libs=("nosuchlib",))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "unknown library 'nosuchlib'" in result.stderr and "openssl" in result.stderr


def test_gnu_host_needs_deps_from_source(tree: Tree):
    result = tree.deps(host=GNU_HOST)
    assert result.returncode == 2
    assert "--deps-from-source" in result.stderr


@needs(f"{GNU_HOST}-gcc")
def test_missing_source_archive(tree: Tree, tmp_path: Path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "unrelated.tar.gz").write_bytes(b"")
    result = tree.deps("--deps-from-source", "--deps-source", other, libs=("openssl",),
                       host=GNU_HOST)
    assert result.returncode == 2
    archive = pins_mod.load().libraries["openssl"].source.archive  # type: ignore[union-attr]
    assert archive in result.stderr
    assert "--deps-source DIR" in result.stderr and "Debian's openssl" in result.stderr
    assert not (tree.gnu_prefix() / ".deps").exists()


@pytest.mark.parametrize("given", ["", "empty", "missing"])
def test_empty_or_missing_deps_source_is_one_line(tree: Tree, tmp_path: Path, given: str):
    """A failed `$(...)` gives --deps-source "": never the current directory."""
    (tmp_path / "empty").mkdir()
    value = str(tmp_path / given) if given else ""
    result = tree.deps("--deps-from-source", "--deps-source", value, host=GNU_HOST,
                       cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--deps-source" in result.stderr
    assert not (tree.gnu_prefix() / ".deps").exists()


def test_interrupted_download_is_completed_by_the_next_run(tree: Tree, server: Server):
    archives = publish(server)
    stalled = "/" + archives["openssl"].relative_to(server.root).as_posix()
    server.stall.add(stalled)
    process = start_cli(*tree.args("deps", ANDROID_HOST, "openssl", "--cache-dir", tree.cache,
                                   "--deps-mirror", server.url))
    partial = tree.cache / (archives["openssl"].name + ".partial")
    out, err = interrupt_when(
        process, lambda: partial.exists() and partial.stat().st_size > 0, poll=0.05)
    assert process.returncode == 130, err
    assert not (tree.prefix / ".deps" / "openssl.json").exists()
    assert not (tree.cache / archives["openssl"].name).exists()
    server.stall.clear()
    server.release.set()
    result = tree.deps("--deps-mirror", server.url, libs=("openssl",))
    assert result.returncode == 0, result.stderr
    assert (tree.prefix / "include" / "openssl.h").exists()
    assert not partial.exists()


# --- building from source: failures and interruptions --------------------------

def fake_bzip2_source(tmp_path: Path, makefile: str) -> tuple[Path, Path]:
    """A bzip2 'source archive' whose Makefile does what the test says, and a
    pins file that pins it (the builder and everything around it are real)."""
    source_dir = tmp_path / "sources"
    archive = make_tar(source_dir / "bzip2-fake.tar.gz",
                       {"bzip2-fake/Makefile": makefile.encode(),
                        "bzip2-fake/bzlib.h": b"/* bzlib */\n"})
    pins = (f'[libraries.bzip2]\nmodules = ["_bz2"]\nkinds = ["gnu"]\n'
            f'source.version = "1.0.8"\nsource.archive = "{archive.name}"\n'
            f'source.sha256 = "{sha256(archive)}"\nsource.builder = "bzip2"\n')
    pins_file = tmp_path / "pins.toml"
    pins_file.write_text(pins)
    return source_dir, pins_file


def seed_prefix(prefix: Path) -> dict[str, bytes]:
    (prefix / "include").mkdir(parents=True)
    (prefix / "include" / "keep.h").write_text("/* already here */\n")
    return snapshot(prefix)


@needs(f"{GNU_HOST}-gcc", "make")
def test_library_build_failure_shows_command_and_log_and_leaves_prefix(tree: Tree,
                                                                       tmp_path: Path):
    source_dir, pins_file = fake_bzip2_source(
        tmp_path, "libbz2.a:\n\t@echo 'compiling blocksort.c: error: no such thing'\n\t@exit 3\n")
    before = seed_prefix(tree.gnu_prefix())
    result = tree.deps("--deps-from-source", "--deps-source", source_dir, "--deps-pins",
                       pins_file, host=GNU_HOST)
    assert result.returncode == 1
    assert "error: no such thing" in result.stderr  # the log's tail
    assert "make -j" in result.stderr and "libbz2.a" in result.stderr  # the command
    log = tree.cross_build / "logs" / f"deps-bzip2-{GNU_HOST}.log"
    assert str(log) in result.stderr and "no such thing" in log.read_text()
    assert snapshot(tree.gnu_prefix()) == before


@needs(f"{GNU_HOST}-gcc", "make")
def test_interrupted_build_is_completed_by_the_next_run(tree: Tree, tmp_path: Path):
    # The build marks that it has started, then waits for a file that never comes.
    source_dir, pins_file = fake_bzip2_source(
        tmp_path, "libbz2.a:\n\t@touch started; while [ ! -e release ]; do sleep 0.1; done\n")
    before = seed_prefix(tree.gnu_prefix())
    process = start_cli(*tree.args("deps", GNU_HOST, "--cache-dir", tree.cache,
                                   "--deps-from-source", "--deps-source", source_dir,
                                   "--deps-pins", pins_file))
    # The Makefile runs in the extracted tree and marks that it has started.
    started = tree.cross_build / GNU_HOST / "deps" / "bzip2" / "src" / "bzip2-fake" / "started"
    out, err = interrupt_when(process, started.exists, poll=0.05)
    assert process.returncode == 130, err
    assert snapshot(tree.gnu_prefix()) == before
    # The next run, with the real pinned bzip2 source, needs no cleaning up.
    real_sources = sources.library_sources(["bzip2"])
    result = tree.deps("--deps-from-source", "--deps-source", real_sources, libs=("bzip2",),
                       host=GNU_HOST)
    assert result.returncode == 0, result.stderr
    prefix = tree.gnu_prefix()
    assert (prefix / "lib" / "libbz2.a").stat().st_size > 10_000
    assert "Version: 1.0.8" in (prefix / "lib" / "pkgconfig" / "bzip2.pc").read_text()
    assert (prefix / "include" / "keep.h").exists()
    again = tree.deps("--deps-from-source", "--deps-source", real_sources, libs=("bzip2",),
                      host=GNU_HOST)
    assert again.returncode == 0 and "up to date" in again.stdout


# --- the pinned table ------------------------------------------------------------

def needed_names(host: str, python: tuple[int, int]) -> list[str]:
    pins = pins_mod.load()
    return [lib.name for lib in pins.needed(parse_host(host), python)]


def test_pins_choose_libraries_by_host_kind_and_python_version():
    assert needed_names(ANDROID_HOST, PY313) == ["bzip2", "libffi", "openssl", "sqlite", "xz"]
    assert "zlib" in needed_names(GNU_HOST, PY313)  # the NDK provides zlib, Debian does not
    assert "zstd" not in needed_names(GNU_HOST, PY313)
    assert "zstd" in needed_names(ANDROID_HOST, (3, 14))


def test_every_source_archive_is_pinned_by_hash():
    for library in pins_mod.load().libraries.values():
        assert library.source is not None, library.name
        assert len(library.source.sha256) == 64, library.name


def test_prebuilt_url_is_upstreams():
    pins = pins_mod.load()
    pre = pins.prebuilt(pins.libraries["openssl"], parse_host(ANDROID_HOST))
    assert pre.url == ("https://github.com/beeware/cpython-android-source-deps/releases/"
                       "download/openssl-3.0.15-4/openssl-3.0.15-4-aarch64-linux-android.tar.gz")


@needs("perl")
def test_openssl_configure_knows_every_target_we_use():
    tree = sources.extract(sources.default_fetcher().fetch(sources.read_pins()["openssl"]))
    listed = subprocess.run(["perl", "Configure", "LIST"], cwd=tree, capture_output=True,
                            text=True, check=True).stdout.split()
    used = set(OPENSSL_ANDROID_TARGETS.values()) | set(OPENSSL_GNU_TARGETS.values())
    assert used - set(listed) == set()


class Zeros(io.RawIOBase):
    """`size` zero bytes, read without holding them in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 (a writable buffer)
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def test_interrupted_extraction_is_completed_by_the_next_run(tree: Tree, server: Server):
    archives = publish(server)
    # Compresses to almost nothing, but reading it (getmembers) and writing it
    # out take seconds: far longer than it takes to see `staging` and signal.
    big = 1 << 30
    with tarfile.open(archives["sqlite"], "w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("lib/libsqlite3.so")
        info.size = big
        tar.addfile(info, io.BufferedReader(Zeros(big)))
    process = start_cli(*tree.args("deps", ANDROID_HOST, "sqlite", "--cache-dir", tree.cache,
                                   "--deps-mirror", server.url))
    staging = tree.cross_build / ANDROID_HOST / "deps" / "sqlite" / "staging"
    out, err = interrupt_when(process, staging.exists, poll=0.01)
    assert process.returncode == 130, (out, err)
    assert "interrupted" in err
    assert not (tree.prefix / ".deps" / "sqlite.json").exists()
    assert not (tree.prefix / "lib" / "libsqlite3.so").exists()
    result = tree.deps("--deps-mirror", server.url, libs=("sqlite",))
    assert result.returncode == 0, result.stderr
    assert (tree.prefix / "lib" / "libsqlite3.so").stat().st_size == big
    assert not staging.exists()
