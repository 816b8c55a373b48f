"""GNU cross toolchains: `<triplet>-gcc` and binutils from the distribution
(Debian's gcc-aarch64-linux-gnu, for instance), and qemu-user to run the result."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import SetupError
from ..hosts import Host
from .common import ToolchainOptions, common_flags, cpu_count, pkg_config_env, with_ccache

_BINUTILS = {"AR": "ar", "AS": "as", "LD": "ld", "NM": "nm", "RANLIB": "ranlib",
             "READELF": "readelf", "STRIP": "strip"}

# configure cannot probe these when cross-compiling; these are the answers for
# any Linux with glibc (seen needed for aarch64-linux-gnu with CPython 3.13).
CONFIG_SITE_VALUES = {
    "ac_cv_file__dev_ptmx": "yes",
    "ac_cv_file__dev_ptc": "no",
    "ac_cv_buggy_getaddrinfo": "no",
}


def debian_package_hint(triplet: str) -> str:
    return f"install gcc-{triplet} (Debian/Ubuntu) or put {triplet}-gcc on PATH"


@dataclass(frozen=True)
class GnuToolchain:
    host: Host
    prefix: Path
    gcc: Path
    ccache: bool = False

    @classmethod
    def locate(cls, host: Host, prefix: Path, options: ToolchainOptions) -> GnuToolchain:
        found = shutil.which(f"{host.triplet}-gcc")
        if not found:
            raise SetupError(f"{host.triplet}-gcc is not on PATH: "
                             f"{debian_package_hint(host.triplet)}")
        return cls(host, prefix, Path(found), options.ccache)

    def compiler(self) -> Path:
        return self.gcc

    def tools(self) -> dict[str, str]:
        bin_dir = self.gcc.parent
        tools = {"CC": str(self.gcc)}
        for var, name in {"CXX": "g++", **_BINUTILS}.items():
            tool = bin_dir / f"{self.host.triplet}-{name}"
            if tool.exists():
                tools[var] = str(tool)
        return tools

    def environment(self) -> dict[str, str]:
        include, libdir = common_flags(self.prefix)
        env = self.tools()
        env.update(CFLAGS=include, CXXFLAGS=include, LDFLAGS=libdir,
                   CPU_COUNT=str(cpu_count()), **pkg_config_env(self.prefix))
        if self.ccache:
            env = with_ccache(env)
        return env

    def config_site(self) -> dict[str, str]:
        return dict(CONFIG_SITE_VALUES)

    def sysroot(self) -> Path:
        """Where the distribution keeps the target's libc (qemu's QEMU_LD_PREFIX)."""
        return Path("/usr") / self.host.triplet
