"""`android.py check HOST` on ELF files made by real compilers.

Android libraries are linked here with clang and lld for aarch64-linux-android
(no NDK needed: the libc and libpython they link against are stubs built the
same way, placed where the NDK sysroot and the prefix keep the real ones).
GNU files come from gcc and aarch64-linux-gnu-gcc.
"""

from __future__ import annotations

from pathlib import Path

from support.cli import needs, run_cli
from support.elf import (
    ANDROID,
    EXT,
    EXTENSION_SOURCE,
    PAGES_16K,
    android_tree,
    clang_so,
)
from support.trees import fake_checkout, fake_installed_python, gcc_so

GNU = "aarch64-linux-gnu"
def check(checkout: Path, cross_build: Path, host: str, env: dict[str, str] | None = None):
    return run_cli("--checkout", checkout, "--cross-build-dir", cross_build, "check", host,
                   env=env)


def row(output: str, name: str) -> str:
    lines = [line for line in output.splitlines() if name in line]
    assert len(lines) == 1, output
    return lines[0]


@needs("clang", "ld.lld")
def test_android_prefix_that_follows_every_rule_passes(tmp_path: Path):
    tree = android_tree(tmp_path)
    lib = tree.prefix / "lib"
    clang_so(lib / "python3.13" / "lib-dynload" / f"good{EXT}", EXTENSION_SOURCE, f"-L{lib}",
             "-lpython3.13", f"-L{tree.sysroot_lib}", "-lc", PAGES_16K)

    result = check(tree.checkout, tmp_path / "cross-build", ANDROID, tree.env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert row(result.stdout, f"good{EXT}").split()[1:] == ["AARCH64", "16K", "yes", "ok"]
    assert "2 ELF files checked for aarch64-linux-android: all ok" in result.stdout


@needs("clang", "ld.lld")
def test_android_rule_breakers_are_each_reported(tmp_path: Path):
    tree = android_tree(tmp_path)
    lib = tree.prefix / "lib"
    sysroot = tree.sysroot_lib
    dynload = lib / "python3.13" / "lib-dynload"
    # Forgot libpython: its PyLong_FromLong stays unresolved (lld allows that
    # in shared libraries, Android's loader does not).
    clang_so(dynload / f"nolibpython{EXT}", EXTENSION_SOURCE, f"-L{sysroot}", "-lc", PAGES_16K)
    clang_so(dynload / f"pages4k{EXT}", EXTENSION_SOURCE, f"-L{lib}", "-lpython3.13",
             f"-L{sysroot}", "-lc", "-Wl,-z,max-page-size=4096")
    clang_so(dynload / f"rpath{EXT}", EXTENSION_SOURCE, f"-L{lib}", "-lpython3.13",
             f"-L{sysroot}", "-lc", PAGES_16K, "-Wl,-rpath,/home/builder/prefix/lib")
    clang_so(dynload / f"x86{EXT}", EXTENSION_SOURCE, "-Wl,--allow-shlib-undefined",
             PAGES_16K, target="x86_64-linux-android24")
    clang_so(lib / "libmissing.so", "int f(void) { return 0; }", f"-L{sysroot}", "-lc",
             PAGES_16K)
    clang_so(dynload / f"missing{EXT}", EXTENSION_SOURCE, f"-L{lib}", "-lpython3.13",
             "-lmissing", f"-L{sysroot}", "-lc", PAGES_16K)
    (lib / "libmissing.so").unlink()  # now DT_NEEDED names a library that is not there

    result = check(tree.checkout, tmp_path / "cross-build", ANDROID, tree.env)

    assert result.returncode == 1
    out = result.stdout
    assert "libpython3.13.so is not in DT_NEEDED" in row(out, "nolibpython")
    assert "1 unresolved symbol(s): PyLong_FromLong" in row(out, "nolibpython")
    assert "PT_LOAD aligned to 4096 bytes, not 16 KB" in row(out, "pages4k")
    assert "RPATH /home/builder/prefix/lib points at the build machine" in row(out, "rpath")
    assert "machine is EM_X86_64, expected EM_AARCH64" in row(out, "x86")
    assert "DT_NEEDED libmissing.so not found" in row(out, "missing")
    assert row(out, "lib/libpython3.13.so ").endswith("ok")
    assert "5 with problems" in out


@needs("clang", "ld.lld")
def test_free_threaded_android_extensions_must_link_libpython_t(tmp_path: Path):
    """`check --disable-gil` reads the prefix's ABI: a free-threaded module must
    name libpython3.13t.so; one linked to the default libpython3.13.so fails."""
    tree = android_tree(tmp_path, abiflags="t")
    lib, sysroot = tree.prefix / "lib", tree.sysroot_lib
    dynload = lib / "python3.13t" / "lib-dynload"
    ext = EXT.replace("-313-", "-313t-")
    clang_so(dynload / f"good{ext}", EXTENSION_SOURCE, f"-L{lib}", "-lpython3.13t",
             f"-L{sysroot}", "-lc", PAGES_16K)
    default_lib = clang_so(tmp_path / "default" / "libpython3.13.so",
                           "void *PyLong_FromLong(long v) { return 0; }",
                           "-Wl,-soname,libpython3.13.so", f"-L{sysroot}", "-lc", PAGES_16K)
    clang_so(dynload / f"gil{ext}", EXTENSION_SOURCE, f"-L{default_lib.parent}",
             "-lpython3.13", f"-L{sysroot}", "-lc", PAGES_16K)

    result = run_cli("--checkout", tree.checkout, "--cross-build-dir", tmp_path / "cross-build",
                     "check", ANDROID, "--disable-gil", env=tree.env)

    assert result.returncode == 1, result.stdout + result.stderr
    assert row(result.stdout, f"good{ext}").split()[1:] == ["AARCH64", "16K", "yes", "ok"]
    gil = row(result.stdout, f"gil{ext}")
    assert "libpython3.13t.so is not in DT_NEEDED" in gil
    assert "DT_NEEDED libpython3.13.so not found" in gil
    assert row(result.stdout, "lib/libpython3.13t.so ").endswith("ok")
    # Without --disable-gil, the default tree is looked for, and the free-threaded one named.
    default = check(tree.checkout, tmp_path / "cross-build", ANDROID, tree.env)
    assert default.returncode == 3  # not built: missing setup
    assert "add --disable-gil" in default.stderr


@needs("gcc", f"{GNU}-gcc")
def test_gnu_prefix_with_a_build_machine_library_fails(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    prefix = tmp_path / "cross-build" / GNU / "prefix"
    fake_installed_python(prefix, GNU)
    (prefix / "bin" / "python3.13").unlink()
    dynload = prefix / "lib" / "python3.13" / "lib-dynload"
    gcc_so(f"{GNU}-gcc", dynload / "fine.cpython-313-aarch64-linux-gnu.so",
           "int f(void){return 1;}")
    gcc_so("gcc", dynload / "native.cpython-313-aarch64-linux-gnu.so", "int f(void){return 1;}")

    result = check(checkout, tmp_path / "cross-build", GNU)

    assert result.returncode == 1
    assert row(result.stdout, "fine.").endswith("ok")
    assert "machine is EM_X86_64, expected EM_AARCH64" in row(result.stdout, "native.")


def test_check_without_a_built_host_is_a_one_line_error(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    result = check(checkout, tmp_path / "cross-build", GNU)
    assert result.returncode == 3  # not built: missing setup
    assert result.stderr.count("\n") == 1
    assert "run `android.py build aarch64-linux-gnu` first" in result.stderr
