"""Trees that CPython's own Android script or Chaquopy's build.sh made in a
cross-build directory, recognised by what is in them, so `clean` (and --clean)
removes them as upstream's `clean` would.

What they make (python/cpython `Android/android.py` on 3.13 and 3.14,
`Platforms/Android/__main__.py` on main; chaquo/chaquopy
`target/python/build.sh`):

- `build/`: a configured CPython build directory (its `config.status` is the
  one CPython's configure writes: "python config.status 3.13"); Chaquopy's
  for 3.13+ holds only a link `python` to the system's python3.X;
- `HOST/`: on 3.14 and main itself a build directory, with `prefix/` (the
  libraries upstream unpacks, then `make install`) and `dist/` (the release
  package); on 3.13 `HOST/build/` and `HOST/prefix/`;
- `downloads/` (main): the prerequisite archives, NAME-VERSION-HOST.tar.gz.

Anything else is refused, so a mistyped --cross-build-dir never costs the
user a directory.  These checks only read (never follow links, never block
on a FIFO).
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import UserError
from .hosts import is_host_name
from .safefiles import read_text

#: The line CPython's configure (AC_INIT([python], ...)) writes into config.status.
CONFIG_STATUS_MARK = re.compile(r"^python config\.status 3\.\d+", re.MULTILINE)
#: What a prefix holds once `make install` or the libraries put something there.
PREFIX_LANDMARKS = ("include/python3.*/patchlevel.h", "lib/python3.*/os.py",
                    "lib/libpython3*.so", "lib/libcrypto_python.so", "lib/libffi.*",
                    "include/openssl/ssl.h")
#: Upstream's download names: bzip2-1.0.8-3-aarch64-linux-android.tar.gz.
DOWNLOAD_NAME = re.compile(r"^[a-z0-9]+-[0-9][0-9a-z.]*-[0-9]+-(?P<host>[a-z0-9_-]+)\.tar\.gz$")


def _dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def is_build_dir(path: Path) -> bool:
    """A directory CPython's configure ran in."""
    try:
        text = read_text(path / "config.status", limit=1 << 20)
    except (OSError, UserError):
        return False
    return _dir(path) and bool(CONFIG_STATUS_MARK.search(text))


def is_prefix(path: Path) -> bool:
    return _dir(path) and any(any(path.glob(pattern)) for pattern in PREFIX_LANDMARKS)


def is_chaquopy_build_dir(path: Path) -> bool:
    """Chaquopy's `cross-build/build`: only a link `python` to the system's python."""
    return _dir(path) and [p.name for p in path.iterdir()] == ["python"] and \
        (path / "python").is_symlink()


def is_host_tree(path: Path) -> bool:
    """`HOST/`: a build directory itself (3.14, main), or one in `build/` (3.13);
    or, before configure finished, the prefix upstream filled first."""
    if not (_dir(path) and is_host_name(path.name)):
        return False
    return is_build_dir(path) or is_build_dir(path / "build") or is_prefix(path / "prefix")


def is_download_cache(path: Path) -> bool:
    if not (_dir(path) and path.name == "downloads"):
        return False
    entries = list(path.iterdir())
    return bool(entries) and all(p.is_file() and (m := DOWNLOAD_NAME.match(p.name))
                                 and is_host_name(m["host"]) for p in entries)


def made_by_upstream(path: Path) -> bool:
    """Whether `path`, a directory in a cross-build directory, is one of the
    trees listed above."""
    if path.name == "build":
        return is_build_dir(path) or is_chaquopy_build_dir(path)
    return is_host_tree(path) or is_download_cache(path)
