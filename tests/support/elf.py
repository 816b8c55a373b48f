"""Android ELF files made by real compilers (clang + lld, no NDK needed), and a
checkout with an Android prefix and a fake NDK around them.  Moved unchanged
from test_elfcheck.py."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from cpython_android.toolchains.ndk import DEFAULT_NDK_VERSION
from support.ndk_layout import PREBUILT, make_ndk
from support.trees import fake_checkout

ANDROID = "aarch64-linux-android"
EXT = ".cpython-313-aarch64-linux-android.so"


def clang_so(out: Path, source: str, *args: str, target: str = f"{ANDROID}24") -> Path:
    """A shared library linked by clang + lld without any sysroot."""
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.with_name(out.name + ".c")
    src.write_text(source)
    subprocess.run(["clang", f"--target={target}", "-shared", "-fPIC", "-nostdlib",
                    "-fuse-ld=lld", "-o", str(out), str(src), *args], check=True)
    src.unlink()
    return out


EXTENSION_SOURCE = """
void *malloc(unsigned long);
void *PyLong_FromLong(long);
void *PyInit_mod(void) { malloc(1); return PyLong_FromLong(1); }
"""
PAGES_16K = "-Wl,-z,max-page-size=16384"


@dataclass
class AndroidTree:
    checkout: Path
    prefix: Path
    sysroot_lib: Path  # the NDK sysroot's libraries for API level 24
    env: dict[str, str]  # ANDROID_HOME


def android_tree(tmp_path: Path) -> AndroidTree:
    """A checkout, a cross-build dir with an Android prefix, and a fake NDK."""
    checkout = fake_checkout(tmp_path / "cpython")
    home = tmp_path / "sdk"
    ndk = make_ndk(home, DEFAULT_NDK_VERSION)
    sysroot_lib = (ndk / "toolchains" / "llvm" / "prebuilt" / PREBUILT / "sysroot" / "usr" / "lib"
                   / ANDROID / "24")
    clang_so(sysroot_lib / "libc.so", "void *malloc(unsigned long n) { return 0; }",
             "-Wl,-soname,libc.so", PAGES_16K)
    prefix = tmp_path / "cross-build" / ANDROID / "prefix"
    (prefix / "include" / "python3.13").mkdir(parents=True)
    (prefix / "include" / "python3.13" / "patchlevel.h").write_text(
        '#define PY_VERSION "3.13.5"\n')
    lib = prefix / "lib"
    clang_so(lib / "libpython3.13.so", "void *PyLong_FromLong(long v) { return 0; }",
             "-Wl,-soname,libpython3.13.so", f"-L{sysroot_lib}", "-lc", PAGES_16K)
    return AndroidTree(checkout, prefix, sysroot_lib, {"ANDROID_HOME": str(home)})
