"""Where things live in a cross-build directory (default `<checkout>/cross-build`).

    cross-build/build/            the native "build python"
    cross-build/HOST/             the host python's build tree
    cross-build/HOST/prefix/      what `make install` and the libraries put there
    cross-build/HOST/dist/        release packages
    cross-build/logs/             one log per step
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import UserError
from .hosts import Host


@dataclass(frozen=True)
class Layout:
    root: Path  # the cross-build directory
    # An extracted release package has its one prefix at a fixed place
    # (package.py); then every host's prefix is that one.
    package_prefix: Path | None = None

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def host_dir(self, host: Host | str) -> Path:
        return self.root / str(host)

    def prefix(self, host: Host | str) -> Path:
        if self.package_prefix is not None:
            return self.package_prefix
        return self.host_dir(host) / "prefix"

    def dist_dir(self, host: Host | str) -> Path:
        return self.host_dir(host) / "dist"

    def log_path(self, step: str, host: Host | str | None = None) -> Path:
        return self.logs_dir / (f"{step}-{host}.log" if host else f"{step}.log")

    def build_python(self) -> Path | None:
        """The build python binary, if `make-build` has produced one."""
        for name in ("python", "python.exe"):  # python.exe on case-insensitive macOS
            if (self.build_dir / name).is_file():
                return self.build_dir / name
        return None

    def require_build_python(self) -> Path:
        found = self.build_python()
        if found is None:
            raise UserError(f"no build python in {self.build_dir}: run `android.py "
                            "configure-build` and `make-build` first (or `build HOST`)")
        return found

    def host_python(self, host: Host, short_version: str) -> Path:
        return self.prefix(host) / "bin" / f"python{short_version}"

    def require_host_python(self, host: Host, short_version: str) -> Path:
        path = self.host_python(host, short_version)
        if not path.is_file():
            raise UserError(f"no host python at {path}: run `android.py build {host}` first")
        return path
