"""`android.py package HOST`: the release tarball, and running from it extracted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from packaging.version import Version

from cpython_android.package import package_version, write_tarball
from support.cli import GNU_HOST, needs, run_cli
from support.release_package import TARBALL, linked_cross_build, package
from support.trees import fake_checkout, fake_installed_python, gcc_so


def member(tar: tarfile.TarFile, name: str) -> bytes:
    f = tar.extractfile(name)
    assert f is not None, f"{name} is not a regular file in the package"
    return f.read()


def symbol_table_present(data: bytes) -> bool:
    from io import BytesIO

    from elftools.elf.elffile import ELFFile

    return ELFFile(BytesIO(data)).get_section_by_name(".symtab") is not None


@pytest.fixture(scope="module")
def packaged(gnu_build, tmp_path_factory) -> tuple[Path, Path]:
    """(tarball, its extraction in a directory whose name has a space)."""
    cross_build = linked_cross_build(gnu_build, tmp_path_factory.mktemp("pkg") / "xb")
    tarball = package(gnu_build, cross_build)
    extracted = tmp_path_factory.mktemp("unpacked") / "python package"
    extracted.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(extracted, filter="tar")
    return tarball, extracted


@pytest.mark.integration
def test_package_layout(packaged, gnu_build):
    tarball, extracted = packaged
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    for expected in ("android.py", "android-env.sh", "README.md",
                     "Tools/cpython_android/cli/__init__.py",
                     "Tools/cpython_android/package.py", "package.json", "MANIFEST",
                     "prefix/include/python3.13/Python.h", "prefix/include/python3.13/pyconfig.h",
                     "prefix/lib/libpython3.13.so", "prefix/lib/python3.13/os.py",
                     "prefix/lib/python3.13/test/test_int.py", "prefix/lib/pkgconfig/python3.pc",
                     "prefix/bin/python3.13"):
        assert expected in names, expected
    assert "testbed/app/build.gradle.kts" in names  # Android hosts' tests run in it
    assert not [n for n in names if n.startswith(("testbed/.gradle", "testbed/build/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.endswith("-qemu")]  # a wrapper with this machine's paths
    assert not [n for n in names if n.startswith(("/", "..", "./"))]


@pytest.mark.integration
@needs("sha256sum")
def test_manifest_lists_every_file_with_its_sha256(packaged):
    _, extracted = packaged
    listed = {line[66:] for line in (extracted / "MANIFEST").read_text().splitlines()}
    files = {p.relative_to(extracted).as_posix() for p in extracted.rglob("*")
             if p.is_file() and p.name != "MANIFEST"
             and not p.relative_to(extracted).as_posix().startswith("cross-build/")
             and not p.name.endswith("-qemu")}
    assert listed >= files and len(listed) > 1000
    check = subprocess.run(["sha256sum", "--quiet", "-c", "MANIFEST"], cwd=extracted,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]


@pytest.mark.integration
def test_shared_libraries_are_stripped_unless_debug(packaged, gnu_build, tmp_path):
    tarball, _ = packaged
    lib = "prefix/lib/libpython3.13.so.1.0"
    assert symbol_table_present((gnu_build.prefix / "lib" / "libpython3.13.so.1.0").read_bytes())
    with tarfile.open(tarball) as tar:
        stripped = member(tar, lib)
    assert not symbol_table_present(stripped)

    debug = package(gnu_build, linked_cross_build(gnu_build, tmp_path / "xb"), "-g")
    with tarfile.open(debug) as tar:
        assert symbol_table_present(member(tar, lib))


@pytest.mark.integration
def test_extracted_package_runs_its_own_python(packaged):
    _, extracted = packaged
    env = {k: v for k, v in os.environ.items() if k not in ("CPYTHON_CHECKOUT",)}
    result = subprocess.run(
        [sys.executable, str(extracted / "android.py"), "run", GNU_HOST, "--",
         "-c", "import sys, json; print(sys.prefix); print(json.dumps({'x': 6 * 7}))"],
        cwd="/", env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(extracted / "prefix"), '{"x": 42}']


@pytest.mark.integration
def test_extracted_package_runs_the_test_suite(packaged):
    _, extracted = packaged
    result = subprocess.run([sys.executable, str(extracted / "android.py"), "test",
                             GNU_HOST, "--", "test_bool"], cwd="/", capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "test_bool" in result.stdout


@pytest.mark.integration
def test_extracted_package_tests_its_own_host_without_host(packaged):
    """As upstream's package's `./android.py test` (issue 26, item 1): no HOST."""
    _, extracted = packaged
    result = subprocess.run([sys.executable, str(extracted / "android.py"), "test", "--",
                             "test_bool"], cwd=extracted, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.splitlines()[0] == f"HOST {GNU_HOST} (the release package's host)"
    assert "test_bool passed" in result.stdout


@pytest.mark.integration
def test_extracted_package_refuses_other_hosts_and_building(packaged):
    _, extracted = packaged
    android_py = str(extracted / "android.py")
    other = subprocess.run([sys.executable, android_py, "run", "x86_64-linux-android", "--",
                            "-c", "1"], capture_output=True, text=True)
    assert other.returncode == 2
    assert f"release package is for {GNU_HOST}, not x86_64-linux-android" in other.stderr
    build = subprocess.run([sys.executable, android_py, "build", GNU_HOST],
                           capture_output=True, text=True)
    assert build.returncode == 2
    assert "has no sources to build" in build.stderr


def test_untagged_version_gets_a_utc_timestamp(tmp_path: Path):
    include = tmp_path / "include" / "python3.14"
    include.mkdir(parents=True)
    (include / "patchlevel.h").write_text('#define PY_VERSION              "3.14.0a1+"\n')
    now = datetime(2026, 11, 22, 13, 5, 1, tzinfo=UTC)
    version = package_version(tmp_path, now)
    assert version == "3.14.0a1+20261122.130501"
    assert Version(version).local == "20261122.130501"  # a valid PEP 440 local version
    (include / "patchlevel.h").write_text('#define PY_VERSION "3.13.5"\n')
    assert package_version(tmp_path, now) == "3.13.5"


@needs("gcc", f"{GNU_HOST}-gcc", f"{GNU_HOST}-strip")
def test_package_refuses_a_prefix_that_fails_check(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    prefix = tmp_path / "xb" / GNU_HOST / "prefix"
    fake_installed_python(prefix, GNU_HOST)
    gcc_so("gcc", prefix / "lib" / "libpython3.13.so", "int f(void){return 1;}")

    result = run_cli("--checkout", checkout, "--cross-build-dir", tmp_path / "xb", "package",
                     GNU_HOST)

    assert result.returncode == 1
    assert "machine is EM_X86_64, expected EM_AARCH64" in result.stdout
    assert "not packaging" in result.stderr
    assert not (tmp_path / "xb" / GNU_HOST / "dist").exists()


def test_package_without_a_built_host_is_a_one_line_error(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    result = run_cli("--checkout", checkout, "--cross-build-dir", tmp_path / "xb", "package",
                     GNU_HOST)
    assert result.returncode == 3  # not built yet: missing setup
    assert result.stderr.count("\n") == 1
    assert f"run `android.py build {GNU_HOST}` first" in result.stderr
    assert not (tmp_path / "xb").exists() or not any((tmp_path / "xb").rglob("*.tar.gz"))



@needs("clang", "ld.lld", "llvm-strip")
def test_android_package_from_an_ndk_layout(tmp_path: Path):
    """An Android prefix linked by clang + lld, packaged with the NDK's
    llvm-strip (the fake NDK's is the real llvm-strip; its other tools are stubs)."""
    from support.elf import EXT, PAGES_16K, android_tree, clang_so

    tree = android_tree(tmp_path)
    lib = tree.prefix / "lib"
    clang_so(lib / "python3.13" / "lib-dynload" / f"mod{EXT}", EXTENSION_SOURCE_WITH_DEBUG,
             f"-L{lib}", "-lpython3.13", f"-L{tree.sysroot_lib}", "-lc", PAGES_16K, "-g")
    (lib / "python3.13" / "os.py").write_text("# the standard library\n")
    (lib / "python3.13" / "__pycache__").mkdir()
    (lib / "python3.13" / "__pycache__" / "os.cpython-313.pyc").write_bytes(b"")
    strip = next(tree.sysroot_lib.parents[4].glob("bin/llvm-strip"))
    strip.unlink()
    strip.symlink_to(str(shutil.which("llvm-strip")))

    result = run_cli("--checkout", tree.checkout, "--cross-build-dir", tmp_path / "cross-build",
                     "package", "aarch64-linux-android", env=tree.env)

    assert result.returncode == 0, result.stdout + result.stderr
    tarball = tmp_path / "cross-build" / "aarch64-linux-android" / "dist" / \
        "python-3.13.5-aarch64-linux-android.tar.gz"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        module = member(tar, f"prefix/lib/python3.13/lib-dynload/mod{EXT}")
        description = json.loads(member(tar, "package.json"))
    assert {"prefix/lib/libpython3.13.so", "prefix/lib/python3.13/os.py",
            "prefix/include/python3.13/patchlevel.h", "testbed/app/build.gradle.kts"} <= names
    assert not [n for n in names if n.startswith("prefix/bin") or "__pycache__" in n]
    original = (lib / "python3.13" / "lib-dynload" / f"mod{EXT}").read_bytes()
    assert symbol_table_present(original) and not symbol_table_present(module)
    assert description == {"host": "aarch64-linux-android", "version": "3.13.5",
                           "api_level": 24}


EXTENSION_SOURCE_WITH_DEBUG = """
void *malloc(unsigned long);
void *PyLong_FromLong(long);
static int helper(int x) { return x + 1; }
void *PyInit_mod(void) { malloc(helper(1)); return PyLong_FromLong(1); }
"""


def test_interrupted_tarball_leaves_no_partial_file(tmp_path, monkeypatch):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "package.json").write_text("{}")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tarfile.TarFile, "add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_tarball(staging, tmp_path / TARBALL)
    assert sorted(tmp_path.iterdir()) == [staging]
