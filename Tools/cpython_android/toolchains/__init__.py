"""Toolchains: what it takes to compile for a host.

Every toolchain answers `environment()` (CC, CFLAGS, pkg-config, ...: the
variables a build system needs to target the host with the libraries in
`prefix`) and `config_site()` (autoconf cache values a cross build cannot
probe).  `ndk` serves Android hosts, `gnu` any `*-linux-gnu*` cross compiler.
"""

from __future__ import annotations

from pathlib import Path

from ..hosts import Host
from . import gnu, ndk
from .common import (
    Toolchain,
    ToolchainOptions,
    common_flags,
    cpu_count,
    pkg_config_env,
    with_ccache,
)

__all__ = ["Toolchain", "ToolchainOptions", "common_flags", "cpu_count", "for_host",
           "pkg_config_env", "with_ccache"]


def for_host(host: Host, prefix: Path, options: ToolchainOptions | None = None) -> Toolchain:
    """The toolchain for `host`; raises UserError when it is not installed."""
    options = options or ToolchainOptions()
    if host.is_android:
        return ndk.NdkToolchain.locate(host, prefix, options)
    return gnu.GnuToolchain.locate(host, prefix, options)
