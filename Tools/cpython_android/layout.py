"""Where things live in a cross-build directory (default `<checkout>/cross-build`).

    cross-build/build/            the native "build python"
    cross-build/HOST/             the host python's build tree
    cross-build/HOST/prefix/      what `make install` and the libraries put there
    cross-build/HOST/dist/        release packages
    cross-build/HOST/deps/LIB/    the deps step's sources, builds and staging
    cross-build/HOST/testbed/     the testbed app's Gradle outputs (APKs)
    cross-build/HOST/cross-env/   build-wheel's default cross environment
    cross-build/HOST/config.site  autoconf answers a cross build cannot probe
    cross-build/HOST/settings.json  what the host was built with (hostsettings.py)
    cross-build/logs/             one log per step, and the pythoninfo outputs
    cross-build/deps-lock.json    hashes trusted on first use (deps/lock.py)

A free-threaded build (`--disable-gil`, see `abi`) has its own trees beside
these, named with the variant's suffix: cross-build/build-t/ and
cross-build/HOST-t/ (logs: STEP-HOST-t.log).  So both variants of a host
live in one cross-build directory, switching rebuilds neither, and the lock
file and logs directory stay shared.

Every path under the cross-build directory is computed here, nowhere else.

Each tree the tool creates (build/, HOST/) carries a marker file written when
it is created (`make_tree`); `clean` and `--clean` delete only trees that
are the tool's own (`require_own_tree`), so a mistyped --cross-build-dir
never costs the user a directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import abi
from .abi import PythonABI, Variant
from .errors import SetupError, UserError
from .hosts import Host, is_host_name
from .upstream_trees import made_by_upstream

#: In a configured build directory: the fingerprint of the last configure.
CONFIGURE_STAMP = ".android-py-configure.json"
#: In a build directory: touched after the last successful make (or install).
MAKE_STAMP = ".android-py-make.stamp"
#: In a host's tree: the NDK version, API level and configure arguments it
#: was built with (hostsettings.py).
HOST_SETTINGS = "settings.json"
#: Trust-on-first-use hashes of downloaded archives, shared by every host.
LOCK_NAME = "deps-lock.json"
#: In every tree the tool creates: what `clean` may delete.
TREE_MARKER = ".cpython-android-tree"
MARKER_TEXT = "Made by android.py: `android.py clean` may delete this directory.\n"


def is_own_tree(path: Path) -> bool:
    """Whether android.py made `path`: its marker, or (trees made before there
    was a marker) a configure stamp, a prefix with a deps manifest, or a
    logs directory holding only logs."""
    if path.is_symlink() or not path.is_dir():
        return False
    if (path / TREE_MARKER).is_file() or (path / CONFIGURE_STAMP).is_file():
        return True
    if (path / "prefix" / ".deps").is_dir():
        return True
    return path.name == "logs" and all(p.suffix == ".log" and p.is_file()
                                       for p in path.iterdir())


def require_own_tree(path: Path) -> None:
    """UserError unless `path` is a tree android.py made (see is_own_tree), or
    one upstream's script or Chaquopy's build.sh made (`upstream_trees`)."""
    if not (is_own_tree(path) or made_by_upstream(path)):
        raise UserError(f"refusing to delete {path}: android.py did not create it (it has "
                        f"no {TREE_MARKER} file) and it is no CPython build tree, prefix or "
                        "download cache; nothing was deleted, delete it yourself if you mean "
                        "to")


def make_tree(path: Path) -> Path:
    """Create the tree `path` with its marker (a tree already there keeps what
    it is: one android.py did not make does not become its own)."""
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True)
    marker = path / TREE_MARKER
    if not marker.exists() and (not existed or is_own_tree(path)):
        marker.write_text(MARKER_TEXT)
    return path


@dataclass(frozen=True)
class Layout:
    root: Path  # the cross-build directory
    # An extracted release package has its one prefix at a fixed place
    # (package.py); then every host's prefix is that one.
    package_prefix: Path | None = None
    variant: Variant = Variant()

    @property
    def build_dir(self) -> Path:
        return self.root / f"build{self.variant.dir_suffix}"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def host_dir(self, host: Host | str) -> Path:
        return self.root / f"{host}{self.variant.dir_suffix}"

    def prefix(self, host: Host | str) -> Path:
        if self.package_prefix is not None:
            return self.package_prefix
        return self.host_dir(host) / "prefix"

    def dist_dir(self, host: Host | str) -> Path:
        return self.host_dir(host) / "dist"

    def deps_work_dir(self, host: Host | str, library: str) -> Path:
        """Where the deps step extracts, builds and stages one library."""
        return self.host_dir(host).resolve() / "deps" / library

    def testbed_dir(self, host: Host | str) -> Path:
        return self.host_dir(host) / "testbed"

    def cross_env_dir(self, host: Host | str) -> Path:
        return self.host_dir(host) / "cross-env"

    def config_site(self, host: Host | str) -> Path:
        return self.host_dir(host) / "config.site"

    def host_settings(self, host: Host | str) -> Path:
        return self.host_dir(host) / HOST_SETTINGS

    def host_names(self) -> list[str]:
        """The hosts that have a tree here (directories named as a host)."""
        if not self.root.is_dir():
            return []
        return sorted(path.name for path in self.root.iterdir()
                      if path.is_dir() and is_host_name(path.name))

    def installed_hosts(self) -> list[str]:
        """The hosts whose tree here (this variant's) holds an installed python."""
        if not self.root.is_dir():
            return []
        suffix = self.variant.dir_suffix
        names = {path.name.removesuffix(suffix) for path in self.root.iterdir()
                 if path.is_dir() and path.name.endswith(suffix)}
        return sorted(name for name in names if is_host_name(name) and self.has_installed(name))

    @property
    def lock_file(self) -> Path:
        return self.root.resolve() / LOCK_NAME

    @staticmethod
    def configure_stamp(directory: Path) -> Path:
        return directory / CONFIGURE_STAMP

    @staticmethod
    def make_stamp(directory: Path) -> Path:
        return directory / MAKE_STAMP

    def log_path(self, step: str, host: Host | str | None = None) -> Path:
        name = f"{step}-{host}" if host else step
        return self.logs_dir / f"{name}{self.variant.dir_suffix}.log"

    def build_python(self) -> Path | None:
        """The build python binary, if `make-build` has produced one."""
        for name in ("python", "python.exe"):  # python.exe on case-insensitive macOS
            if (self.build_dir / name).is_file():
                return self.build_dir / name
        return None

    def require_build_python(self) -> Path:
        found = self.build_python()
        if found is None:
            raise SetupError(f"no build python in {self.build_dir}: run `android.py "
                             "configure-build` and `make-build` first (or `build HOST`)")
        return found

    def has_installed(self, host: Host | str) -> bool:
        return any(self.prefix(host).glob("lib/python3*/_sysconfigdata_*.py"))

    def installed_abi(self, host: Host) -> PythonABI:
        """What the host's prefix holds (from its sysconfig data)."""
        prefix = self.prefix(host)
        if not self.has_installed(host):
            raise SetupError(f"no host python installed in {prefix}: run `android.py build "
                             f"{host}{self._variant_option()}` first{self._other_variant(host)}")
        found = abi.read_installed(prefix)
        if self.variant.free_threaded and not found.free_threaded:
            raise UserError(f"{prefix} holds the default python {found.ldversion}, not a "
                            "free-threaded one: leave out --disable-gil")
        return found

    def host_python(self, host: Host, python: PythonABI) -> Path:
        return self.prefix(host) / "bin" / python.python_name

    def require_host_python(self, host: Host) -> Path:
        path = self.host_python(host, self.installed_abi(host))
        if not path.is_file():
            raise SetupError(f"no host python at {path}: run `android.py build {host}"
                             f"{self._variant_option()}` first")
        return path

    def _variant_option(self) -> str:
        return " " + abi.DISABLE_GIL if self.variant.free_threaded else ""

    def _other_variant(self, host: Host) -> str:
        """A hint when only the other variant of the host is built."""
        other = Layout(self.root, self.package_prefix, Variant(not self.variant.free_threaded))
        if self.package_prefix is None and other.has_installed(host):
            return (f" (a {other.variant} build is in {other.host_dir(host)}: "
                    + ("add --disable-gil)" if other.variant.free_threaded
                       else "leave out --disable-gil)"))
        return ""
