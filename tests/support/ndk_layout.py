"""A fake Android SDK with an NDK directory layout, as the NDK documents it:
`ndk/<version>/toolchains/llvm/prebuilt/<tag>/bin/` holding the clang wrapper
scripts (`<triplet><api>-clang`) and the LLVM binutils.  The tools are stubs:
good for checking paths and flags, never for claiming a build works."""

from __future__ import annotations

import platform
from pathlib import Path

from cpython_android.hosts import ANDROID_ABIS

BINUTILS = ("llvm-ar", "llvm-as", "ld", "llvm-nm", "llvm-ranlib", "llvm-readelf", "llvm-strip")
PREBUILT = {"Linux": "linux-x86_64", "Darwin": "darwin-x86_64"}.get(platform.system(),
                                                                  "linux-x86_64")


def make_ndk(android_home: Path, version: str, api_levels: range = range(21, 36)) -> Path:
    bin_dir = android_home / "ndk" / version / "toolchains" / "llvm" / "prebuilt" / PREBUILT / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    names = list(BINUTILS)
    for abi in ANDROID_ABIS.values():
        for level in api_levels:
            names += [f"{abi.clang_triplet}{level}-clang", f"{abi.clang_triplet}{level}-clang++"]
    for name in names:
        tool = bin_dir / name
        tool.write_text("#!/bin/sh\necho \"fake NDK tool $0\" >&2\nexit 1\n")
        tool.chmod(0o755)
    return android_home / "ndk" / version
