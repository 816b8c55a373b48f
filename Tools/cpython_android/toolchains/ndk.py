"""The Android NDK toolchain, as upstream's Android/android-env.sh computes it.

Flags follow the NDK's BuildSystemMaintainers.md and
build/cmake/android.toolchain.cmake for the pinned NDK version.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import InfrastructureError, SetupError
from ..hosts import Host
from ..process import run_foreground
from .common import ToolchainOptions, common_flags, cpu_count, pkg_config_env, with_ccache

DEFAULT_NDK_VERSION = "27.3.13750724"
ANDROID_HOME_ENV = "ANDROID_HOME"

# The NDK ships x86_64 binaries for macOS (run by Rosetta on ARM Macs) and Windows.
_PREBUILT_TAGS = {"Linux": "linux-x86_64", "Darwin": "darwin-x86_64",
                  "Windows": "windows-x86_64"}
_BINUTILS = {"AR": "llvm-ar", "AS": "llvm-as", "LD": "ld", "NM": "llvm-nm",
             "RANLIB": "llvm-ranlib", "READELF": "llvm-readelf", "STRIP": "llvm-strip"}


def exe_suffix() -> str:
    return ".exe" if os.name == "nt" else ""


def script_suffix() -> str:
    """The NDK's clang wrappers are shell scripts, or .cmd files on Windows."""
    return ".cmd" if os.name == "nt" else ""


def android_home() -> Path:
    value = os.environ.get(ANDROID_HOME_ENV)
    if not value:
        raise SetupError(f"{ANDROID_HOME_ENV} is not set: point it at your Android SDK "
                         "(e.g. export ANDROID_HOME=~/Android/Sdk)")
    path = Path(value).expanduser()
    if not path.is_dir():
        raise SetupError(f"{ANDROID_HOME_ENV}={value} is not a directory: point it at your "
                         "Android SDK")
    return path


def sdkmanager_path(home: Path) -> Path:
    return home / "cmdline-tools" / "latest" / "bin" / (
        "sdkmanager" + (".bat" if os.name == "nt" else ""))


def install_sdk_package(home: Path, package: str) -> None:
    """`sdkmanager PACKAGE`, accepting its licence as upstream does."""
    sdkmanager = sdkmanager_path(home)
    if not sdkmanager.is_file():
        raise SetupError(f"{package!r} is not installed in {home} and there is no sdkmanager at "
                         f"{sdkmanager}: install the Android SDK command-line tools, or install "
                         f"{package!r} with Android Studio")
    # Everything goes to stderr: `env` prints export lines on stdout for eval.
    print(f"Installing {package} with {sdkmanager}: this may take several minutes",
          file=sys.stderr, flush=True)
    try:
        returncode = run_foreground([sdkmanager, package], input_text="y\n" * 100,
                                    output_to_stderr=True)
    except OSError as e:
        raise SetupError(f"cannot run {sdkmanager} to install {package!r}: "
                         f"{e.strerror or e}") from None
    if returncode != 0:
        raise InfrastructureError(f"sdkmanager could not install {package!r} (exit status "
                                  f"{returncode}): see its output above")


def prebuilt_dir(ndk_dir: Path) -> Path:
    base = ndk_dir / "toolchains" / "llvm" / "prebuilt"
    tag = _PREBUILT_TAGS.get(platform.system())
    if tag and (base / tag).is_dir():
        return base / tag
    found = sorted(p for p in base.glob("*") if p.is_dir()) if base.is_dir() else []
    if len(found) == 1:
        return found[0]
    raise SetupError(f"no LLVM toolchain for this machine under {base}: is the NDK complete?")


@dataclass(frozen=True)
class NdkToolchain:
    host: Host
    prefix: Path
    ndk_dir: Path
    ccache: bool = False

    @classmethod
    def locate(cls, host: Host, prefix: Path, options: ToolchainOptions) -> NdkToolchain:
        home = android_home()
        version = options.ndk_version or DEFAULT_NDK_VERSION
        ndk_dir = home / "ndk" / version
        if not ndk_dir.is_dir():
            if not options.install_missing:
                raise SetupError(f"NDK {version} is not installed at {ndk_dir}: install it with "
                                 f"sdkmanager 'ndk;{version}'")
            install_sdk_package(home, f"ndk;{version}")
        toolchain = cls(host, prefix, ndk_dir, options.ccache)
        toolchain.check()
        return toolchain

    @property
    def bin_dir(self) -> Path:
        return prebuilt_dir(self.ndk_dir) / "bin"

    def compiler(self) -> Path:
        abi = self.host.android
        return self.bin_dir / f"{abi.clang_triplet}{self.host.api_level}-clang{script_suffix()}"

    def tools(self) -> dict[str, Path]:
        cc = self.compiler()
        tools = {"CC": cc, "CXX": cc.with_name(cc.name.replace("-clang", "-clang++"))}
        for var, name in _BINUTILS.items():
            tools[var] = self.bin_dir / (name + exe_suffix())
        return tools

    def check(self) -> None:
        for path in self.tools().values():
            if not path.exists():
                raise SetupError(f"{path} does not exist: the NDK at {self.ndk_dir} is "
                                 f"incomplete or does not support API level "
                                 f"{self.host.api_level}")

    def environment(self) -> dict[str, str]:
        include, libdir = common_flags(self.prefix)
        cflags = "-D__BIONIC_NO_PAGE_SIZE_MACRO"
        if self.host.triplet == "arm-linux-androideabi":
            cflags += " -march=armv7-a -mthumb"
        cflags += f" {include}"
        # 16 KB pages (Android 15+), build IDs for symbolication, and
        # --no-undefined because Android's loader does not resolve symbols
        # through previously dlopen'ed libraries (android/ndk#1244).
        ldflags = ("-Wl,--build-id=sha1 -Wl,--no-rosegment -Wl,-z,max-page-size=16384"
                   f" -Wl,--no-undefined -lm {libdir}")
        env = {var: str(path) for var, path in self.tools().items()}
        env.update(CFLAGS=cflags, CXXFLAGS=cflags, LDFLAGS=ldflags,
                   CPU_COUNT=str(cpu_count()), **pkg_config_env(self.prefix))
        if self.ccache:
            env = with_ccache(env)
        return env

    def config_site(self) -> dict[str, str]:
        return {}  # CPython's configure knows Android's cross-compiling answers

