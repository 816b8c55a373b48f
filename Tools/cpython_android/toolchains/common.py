"""What every toolchain shares: the options, the interface, and the flags and
variables that make a prefix's libraries visible to a build."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..hosts import Host


@dataclass(frozen=True)
class ToolchainOptions:
    """What the user chose about toolchains (command-line options)."""

    ndk_version: str | None = None  # None: the pinned default
    ccache: bool = False
    install_missing: bool = True  # may sdkmanager install a missing NDK?


class Toolchain(Protocol):
    @property
    def host(self) -> Host: ...

    @property
    def prefix(self) -> Path: ...

    def environment(self) -> dict[str, str]:
        """Variables to add to the environment to build for the host."""
        ...

    def config_site(self) -> dict[str, str]:
        """Autoconf cache values (CONFIG_SITE) the host needs; may be empty."""
        ...

    def compiler(self) -> Path:
        """The C compiler itself (without any ccache launcher)."""
        ...


def cpu_count() -> int:
    return os.cpu_count() or 1


def common_flags(prefix: Path) -> tuple[str, str]:
    """CFLAGS and LDFLAGS fragments that make the prefix's libraries visible."""
    abs_prefix = prefix.resolve()
    return f"-I{abs_prefix}/include", f"-L{abs_prefix}/lib"


def pkg_config_env(prefix: Path) -> dict[str, str]:
    """pkg-config that sees only the prefix, never the build machine's .pc files."""
    return {
        "PKG_CONFIG": "pkg-config --define-prefix",
        "PKG_CONFIG_LIBDIR": f"{prefix.resolve()}/lib/pkgconfig",
    }


def with_ccache(env: dict[str, str]) -> dict[str, str]:
    """Prefix CC/CXX with ccache.  NOHASHDIR (with the CCACHE_BASEDIR the build
    steps set) lets builds of the same sources in other directories, or after
    a clean, share cache hits even though CPython compiles with -g."""
    env = dict(env)
    for var in ("CC", "CXX"):
        if var in env:
            env[var] = f"ccache {env[var]}"
    env["CCACHE_NOHASHDIR"] = "true"
    return env
