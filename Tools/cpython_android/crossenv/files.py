"""The cross files build systems read: a CMake toolchain file, a Meson cross
file and py-build-cmake's cross TOML.  Pure functions of a `CrossTarget`, so
every host's files can be checked without building anything."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from .target import CrossTarget

CMAKE_FILE = "toolchain.cmake"
MESON_FILE = "meson-cross.ini"
PBC_FILE = "py-build-cmake.cross.toml"

# Meson's names (docs: Reference tables, "CPU families").
_MESON_CPU_FAMILY = {"aarch64": "aarch64", "aarch64_be": "aarch64", "arm": "arm",
                     "armv7": "arm", "x86_64": "x86_64", "i386": "x86", "i486": "x86",
                     "i586": "x86", "i686": "x86", "riscv64": "riscv64", "powerpc64le": "ppc64",
                     "powerpc64": "ppc64", "s390x": "s390x", "mips64el": "mips64",
                     "loongarch64": "loongarch64"}
_BIG_ENDIAN = ("aarch64_be", "powerpc64", "s390x")


def _split(value: str | None) -> list[str]:
    return shlex.split(value) if value else []


def _cmake_quote(value: str | Path) -> str:
    return '"' + str(value).replace("\\", "/").replace('"', '\\"') + '"'


def _compiler(env: dict[str, str], var: str) -> tuple[str | None, str | None]:
    """(launcher, compiler) from CC="ccache /path/gcc" style values."""
    words = _split(env.get(var))
    if not words:
        return None, None
    if len(words) > 1 and Path(words[0]).name == "ccache":
        return words[0], " ".join(words[1:])
    return None, " ".join(words)


def ndk_cmake_toolchain(ndk_dir: Path) -> Path:
    return ndk_dir / "build" / "cmake" / "android.toolchain.cmake"


def cmake_toolchain(target: CrossTarget) -> str:
    env = target.toolchain_env
    host = target.host
    lines = [f"# CMake toolchain file for {host}, written by android.py cross-env.", ""]
    if host.is_android and target.ndk_dir is not None:
        # The NDK's own toolchain file knows Android best; we add the prefix.
        lines += [f"set(ANDROID_ABI {host.android.abi})",
                  f"set(ANDROID_PLATFORM android-{host.api_level})",
                  "set(ANDROID_SUPPORT_FLEXIBLE_PAGE_SIZES ON)",
                  f"include({_cmake_quote(ndk_cmake_toolchain(target.ndk_dir))})"]
    else:
        lines += ["set(CMAKE_SYSTEM_NAME Linux)",
                  f"set(CMAKE_SYSTEM_PROCESSOR {host.machine})"]
        for var, lang in (("CC", "C"), ("CXX", "CXX")):
            launcher, compiler = _compiler(env, var)
            if compiler:
                lines.append(f"set(CMAKE_{lang}_COMPILER {_cmake_quote(compiler)})")
            if launcher:
                lines.append(f"set(CMAKE_{lang}_COMPILER_LAUNCHER {_cmake_quote(launcher)})")
        for var, name in (("AR", "CMAKE_AR"), ("RANLIB", "CMAKE_RANLIB"),
                          ("STRIP", "CMAKE_STRIP")):
            if env.get(var):
                lines.append(f"set({name} {_cmake_quote(env[var])})")
    lines += [
        f"set(CMAKE_C_FLAGS_INIT {_cmake_quote(env.get('CFLAGS', ''))})",
        f"set(CMAKE_CXX_FLAGS_INIT {_cmake_quote(env.get('CXXFLAGS', ''))})",
        f"set(CMAKE_SHARED_LINKER_FLAGS_INIT {_cmake_quote(env.get('LDFLAGS', ''))})",
        f"set(CMAKE_MODULE_LINKER_FLAGS_INIT {_cmake_quote(env.get('LDFLAGS', ''))})",
        "",
        "# Libraries and headers come from the host prefix, programs from here.",
        f"list(APPEND CMAKE_FIND_ROOT_PATH {_cmake_quote(target.prefix)})",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)",
        "",
        "# FindPython/FindPython3 cannot run the host python: tell it everything.",
        "# SOABI is a cache entry because FindPython unsets a plain variable of that name.",
    ]
    for p in ("Python", "Python3"):
        lines += [
            f"set({p}_ROOT_DIR {_cmake_quote(target.prefix)})",
            f"set({p}_INCLUDE_DIR {_cmake_quote(target.include_dir)})",
            f"set({p}_LIBRARY {_cmake_quote(target.libpython)})",
            f"set({p}_SOABI {target.soabi} CACHE STRING \"\")",
        ]
    return "\n".join(lines) + "\n"


def _meson_string(value: str | Path) -> str:
    """Meson's machine files take single-quoted strings only."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _meson_list(values: list[str]) -> str:
    return "[" + ", ".join(_meson_string(v) for v in values) + "]"


def meson_cross_file(target: CrossTarget, python: Path) -> str:
    """`python` is the cross environment's: meson's python module runs it to
    learn the host's include directory and extension suffix."""
    env = target.toolchain_env
    host = target.host
    binaries = {"c": "CC", "cpp": "CXX", "ar": "AR", "strip": "STRIP", "pkg-config": "PKG_CONFIG"}
    lines = [f"# Meson cross file for {host}, written by android.py cross-env.", "",
             "[binaries]"]
    for name, var in binaries.items():
        if env.get(var):
            lines.append(f"{name} = {_meson_list(_split(env[var]))}")
    lines.append(f"python = {_meson_list([str(python)])}")
    lines += [
        "",
        "[built-in options]",
        f"c_args = {_meson_list(_split(env.get('CFLAGS')))}",
        f"cpp_args = {_meson_list(_split(env.get('CXXFLAGS')))}",
        f"c_link_args = {_meson_list(_split(env.get('LDFLAGS')))}",
        f"cpp_link_args = {_meson_list(_split(env.get('LDFLAGS')))}",
        "",
        "[properties]",
        f"pkg_config_libdir = {_meson_string(target.prefix / 'lib' / 'pkgconfig')}",
        "needs_exe_wrapper = true",
        "",
        "[host_machine]",
        f"system = {_meson_string('android' if host.is_android else 'linux')}",
        f"cpu_family = {_meson_string(_MESON_CPU_FAMILY.get(host.cpu, host.cpu))}",
        f"cpu = {_meson_string(host.machine)}",
        f"endian = {_meson_string('big' if host.cpu in _BIG_ENDIAN else 'little')}",
    ]
    return "\n".join(lines) + "\n"


def _toml_string(value: str | Path) -> str:
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def py_build_cmake_cross(target: CrossTarget, toolchain_file: Path) -> str:
    """py-build-cmake's [cross] table: tags and the FindPython3 hints its
    documentation asks for (prefix, library, include_dir, soabi)."""
    values: dict[str, str | Path] = {
        "implementation": "cp",
        "version": "{}{}".format(*target.python.version),
        "abi": target.python.abi_tag,  # cp313t when free-threaded
        "arch": target.platform_tag,
        "prefix": target.prefix,
        "library": target.libpython,
        "include_dir": target.include_dir,
        "soabi": target.soabi,
        "toolchain_file": toolchain_file,
    }
    lines = [f"# py-build-cmake cross-compilation settings for {target.host}, written by "
             "android.py cross-env.", ""]
    lines += [f"{key} = {_toml_string(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"
