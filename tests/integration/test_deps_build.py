"""The session build's libraries, built from source (Debian's pinned source
archives) for aarch64-linux-gnu with the host's toolchain: each module that
needs one is built, imports under qemu-user and works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cpython_android.deps import pins as pins_mod
from support.cli import DEPS_LIBRARIES, GNU_HOST, BuiltHost

pytestmark = pytest.mark.integration

MODULES = ["_bz2", "_ctypes", "_hashlib", "_lzma", "_sqlite3", "_ssl", "zlib"]

CHECK = """\
import bz2, ctypes, hashlib, lzma, sqlite3, ssl, zlib
print("openssl:", ssl.OPENSSL_VERSION)
print("sha256:", hashlib.sha256(b"abc").hexdigest())
libc = ctypes.CDLL("libc.so.6")
libc.strlen.argtypes = [ctypes.c_char_p]
print("strlen:", libc.strlen(b"android"))
db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.executemany("insert into t values (?)", [(i,) for i in range(10)])
print("sqlite:", sqlite3.sqlite_version, db.execute("select sum(x) from t").fetchone()[0])
data = bytes(range(256)) * 1000
for module in (lzma, bz2, zlib):
    packed = module.compress(data)
    assert len(packed) < len(data) and module.decompress(packed) == data, module
    print("round-trip:", module.__name__)
"""


def source_version(library: str) -> str:
    source = pins_mod.load().libraries[library].source
    assert source is not None
    return source.version


def not_built(make_log: str) -> set[str]:
    """Modules in the build summary's 'not found' and 'failed' lists."""
    missing: set[str] = set()
    for block in re.findall(r"(?:were not found|[Ff]ailed to build these modules):\n"
                            r"((?:[ \w]+\n)+)", make_log):
        missing.update(block.split())
    return missing


def test_no_library_module_is_missing_from_the_build(gnu_build: BuiltHost):
    log = gnu_build.cross_build / "logs" / f"make-host-{GNU_HOST}.log"
    text = log.read_text()
    assert "Checked" in text and "modules" in text  # the summary is there at all
    assert not_built(text) & set(MODULES) == set()
    for module in MODULES:
        found = list((gnu_build.prefix / "lib").glob(f"python3.*/lib-dynload/{module}.*.so"))
        assert found, f"{module} was not installed"


def test_library_modules_work_under_qemu(gnu_build: BuiltHost, tmp_path: Path):
    script = tmp_path / "check.py"
    script.write_text(CHECK)
    result = gnu_build.cli("run", GNU_HOST, script, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"openssl: OpenSSL {source_version('openssl')} " in out
    # FIPS 180-2's test vector for "abc"
    assert "sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" in out
    assert "strlen: 7" in out
    assert f"sqlite: {source_version('sqlite')} 45" in out
    for name in ("lzma", "bz2", "zlib"):
        assert f"round-trip: {name}" in out


def test_deps_says_where_each_library_came_from(gnu_build: BuiltHost):
    result = gnu_build.cli("deps", GNU_HOST, "--deps-from-source", check=True)
    pins = pins_mod.load()
    for name in DEPS_LIBRARIES:
        source = pins.libraries[name].source
        assert source is not None
        line = next(line for line in result.stdout.splitlines()
                    if line.strip().startswith(name + " "))
        assert f"built from {source.archive}" in line and source.sha256 in line
        assert "up to date" in result.stdout  # nothing was rebuilt
