"""A CPython source tree: where it is, which version it holds, and what that
version implies.

Upstream moved its Android tooling: 3.13 and 3.14 have `Android/android.py`
(and `Android/testbed`), main has `Platforms/Android/` run as a directory
(`python3 Platforms/Android ...`).  This tool works copied into either shape;
what depends on the version is decided by the pure functions at the end,
each citing the upstream file it follows.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from .errors import UserError
from .safefiles import read_text
from .textutil import NumberError, read_int, shown

CHECKOUT_ENV = "CPYTHON_CHECKOUT"
# An extracted release package (see package.py) has this file and prefix/ at
# its root, beside android.py: "package mode" runs tests with no checkout.
PACKAGE_FILE = "package.json"
# Files every CPython source tree since 3.x has; enough to tell it from any other tree.
LANDMARKS = ("configure", "pyconfig.h.in", "Include/patchlevel.h")
_PY_VERSION = re.compile(r'^\s*#define\s+PY_VERSION\s+"([^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class Checkout:
    root: Path
    # Set when `root` is an extracted release package: the host it was built
    # for.  It holds an installed prefix (root/prefix) but no sources.
    package_host: str | None = None

    @property
    def is_package(self) -> bool:
        return self.package_host is not None

    @property
    def package_prefix(self) -> Path | None:
        return self.root / "prefix" if self.is_package else None

    @property
    def configure(self) -> Path:
        if self.is_package:
            raise UserError(f"{self.root} is a release package for {self.package_host}: it "
                            "can run tests but has no sources to build; pass --checkout DIR")
        return self.root / "configure"

    @property
    def version(self) -> str:
        """PY_VERSION from Include/patchlevel.h, e.g. `3.13.5` or `3.14.0a1+`."""
        if self.package_prefix is not None:
            found = sorted(self.package_prefix.glob("include/python*/patchlevel.h"))
            if found:
                return read_py_version(found[0])
        return read_py_version(self.root / "Include" / "patchlevel.h")

    @property
    def version_tuple(self) -> tuple[int, int]:
        return version_numbers(self.version)

    @property
    def short_version(self) -> str:
        """`3.13`: the name libpython and lib/pythonX.Y carry."""
        return "{}.{}".format(*self.version_tuple)

    @property
    def platform_dir(self) -> Path:
        """Where upstream keeps its Android tooling in this checkout."""
        return self.root / platform_dir(self.version_tuple)

    @property
    def upstream_testbed(self) -> Path:
        """Where upstream keeps the testbed app in this checkout."""
        return self.root / testbed_location(self.version_tuple)


def read_py_version(patchlevel_h: Path) -> str:
    try:  # never blocks on a FIFO or a device planted there
        text = read_text(patchlevel_h, limit=1 << 20)
    except FileNotFoundError:
        raise UserError(f"{patchlevel_h} is missing: is this a CPython tree?") from None
    match = _PY_VERSION.search(text)
    if not match:
        raise UserError(f"{patchlevel_h} has no PY_VERSION line: is this a CPython tree?")
    try:
        version_numbers(match[1])
    except NumberError as e:
        raise UserError(f"{patchlevel_h}: PY_VERSION {shown(match[1])} is not a version such "
                        f"as 3.13.5 ({e}): is this a CPython tree?") from None
    return match[1]


def version_numbers(version: str) -> tuple[int, int]:
    """(3, 13) from `3.13.5` or `3.14.0a1+`; `NumberError` if it is not one."""
    major, _, rest = version.partition(".")
    minor = re.match(r"[0-9]*", rest).group()  # type: ignore[union-attr]
    return (read_int(major, "the major version", high=99),
            read_int(minor, "the minor version", high=999))


#: The first CPython whose source tree can be built for Android (3.13 added
#: Android as a platform, PEP 738); older trees are refused before configure.
SUPPORTED_SINCE = (3, 13)


def require_supported(checkout: Checkout) -> None:
    """UserError for a checkout older than SUPPORTED_SINCE."""
    if checkout.version_tuple < SUPPORTED_SINCE:
        raise UserError(f"{checkout.root} holds CPython {checkout.version}; android.py builds "
                        f"and tests CPython {'.'.join(map(str, SUPPORTED_SINCE))} or newer: "
                        "check out a newer branch")


def validate(path: Path) -> Checkout:
    path = path.expanduser().resolve()
    if not path.is_dir():
        raise UserError(f"CPython checkout {path} is not a directory: "
                        f"pass --checkout DIR or set {CHECKOUT_ENV}")
    missing = [name for name in LANDMARKS if not (path / name).is_file()]
    if missing:
        raise UserError(f"{path} is not a CPython source tree (no {missing[0]}): "
                        f"pass --checkout DIR or set {CHECKOUT_ENV} to a CPython checkout")
    return Checkout(path)


def find_package(root: Path) -> Checkout | None:
    """The extracted release package at `root`, if it is one.  Its host is
    the one its prefix's sysconfigdata names, as upstream's `env` reads it;
    package.json's (our marker) where the prefix has none."""
    marker = root / PACKAGE_FILE
    if not (marker.is_file() and (root / "prefix").is_dir()):
        return None
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))["host"]
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{marker} is not a package description: re-extract the "
                        "package") from None
    return Checkout(root, package_host=sysconfig_host(root / "prefix") or str(recorded))


#: `_sysconfigdata_{abiflags}_{platform}_{multiarch}.py`: android for Android
#: hosts, linux for GNU ones; the multiarch is the host triplet.
_SYSCONFIGDATA = re.compile(r"_sysconfigdata_[a-z]*_(?:android|linux)_([\w.-]+)\.py")


def sysconfig_host(prefix: Path) -> str | None:
    """The host triplet an installed prefix's sysconfigdata names, if exactly one."""
    hosts = {match[1] for path in prefix.glob("lib/python3*/_sysconfigdata_*.py")
             if (match := _SYSCONFIGDATA.fullmatch(path.name))}
    return hosts.pop() if len(hosts) == 1 else None


def find(explicit: Path | None, script_dir: Path | None) -> Checkout:
    """--checkout, else $CPYTHON_CHECKOUT, else the tree the script was copied into."""
    if explicit is not None:
        return validate(explicit)
    if os.environ.get(CHECKOUT_ENV):
        return validate(Path(os.environ[CHECKOUT_ENV]))
    if script_dir is not None:
        # A release package's android.py sits at its root, upstream's place.
        if package := find_package(script_dir.resolve()):
            return package
        candidate = checkout_root_of(script_dir.resolve())
        if all((candidate / name).is_file() for name in LANDMARKS):
            return Checkout(candidate)
    raise UserError("no CPython checkout found: pass --checkout DIR (before the subcommand) "
                    f"or set {CHECKOUT_ENV}, or copy this tool into a checkout (Android/android.py "
                    "on 3.13/3.14, Platforms/Android/ on main)")


# --- where the tool sits, and what the checkout's version decides --------------

class Shape(Enum):
    """Where the tool's entry point sits in a checkout."""

    ANDROID = "Android"  # 3.13/3.14: `python3 Android/android.py`
    PLATFORMS = "Platforms/Android"  # main: `python3 Platforms/Android` (__main__.py)


def shape_of(script_dir: Path) -> Shape:
    """The shape a script directory implies: `.../Platforms/Android` is main's."""
    if script_dir.name == "Android" and script_dir.parent.name == "Platforms":
        return Shape.PLATFORMS
    return Shape.ANDROID


def checkout_root_of(script_dir: Path) -> Path:
    """The checkout (or release package) a script directory sits in: one level
    up from `Android/`, two from `Platforms/Android/`."""
    depth = len(Path(shape_of(script_dir).value).parts)
    return script_dir.parents[depth - 1]


#: First version whose tooling lives in Platforms/Android.  Follows
#: Platforms/Android/__main__.py on main (3.15), where ANDROID_DIR.parent.parent
#: is the checkout; 3.13's and 3.14's Android/android.py take ANDROID_DIR.parent.
PLATFORMS_SINCE = (3, 15)


def platform_dir(version: tuple[int, int]) -> str:
    """`Android` (3.13, 3.14) or `Platforms/Android` (main): upstream's tooling."""
    return Shape.PLATFORMS.value if version >= PLATFORMS_SINCE else Shape.ANDROID.value


def testbed_location(version: tuple[int, int]) -> str:
    """The testbed app's directory, relative to the checkout.  Follows
    TESTBED_DIR = ANDROID_DIR / "testbed" in Android/android.py (3.13, 3.14)
    and in Platforms/Android/__main__.py (main)."""
    return f"{platform_dir(version)}/testbed"

