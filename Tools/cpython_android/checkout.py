"""A CPython source tree: where it is, and which version it holds."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

CHECKOUT_ENV = "CPYTHON_CHECKOUT"
# An extracted release package (see package.py) has this file and prefix/ at
# its root, beside Android/: "package mode" runs tests with no checkout.
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
        major, minor = self.version.split(".")[:2]
        return int(major), int(re.match(r"\d+", minor).group())  # type: ignore[union-attr]

    @property
    def short_version(self) -> str:
        """`3.13`: the name libpython and lib/pythonX.Y carry."""
        return "{}.{}".format(*self.version_tuple)


def read_py_version(patchlevel_h: Path) -> str:
    match = _PY_VERSION.search(patchlevel_h.read_text(encoding="utf-8", errors="replace"))
    if not match:
        raise UserError(f"{patchlevel_h} has no PY_VERSION line: is this a CPython tree?")
    if not re.match(r"\d+\.\d+", match[1]):
        raise UserError(f"{patchlevel_h}: PY_VERSION {match[1]!r} is not a version such as "
                        "3.13.5: is this a CPython tree?")
    return match[1]


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
    """The extracted release package at `root`, if it is one."""
    marker = root / PACKAGE_FILE
    if not (marker.is_file() and (root / "prefix").is_dir()):
        return None
    try:
        host = json.loads(marker.read_text(encoding="utf-8"))["host"]
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{marker} is not a package description: re-extract the "
                        "package") from None
    return Checkout(root, package_host=str(host))


def find(explicit: Path | None, script_dir: Path | None) -> Checkout:
    """--checkout, else $CPYTHON_CHECKOUT, else the tree the script was copied into."""
    if explicit is not None:
        return validate(explicit)
    if os.environ.get(CHECKOUT_ENV):
        return validate(Path(os.environ[CHECKOUT_ENV]))
    if script_dir is not None:
        candidate = script_dir.resolve().parent
        if package := find_package(candidate):
            return package
        if all((candidate / name).is_file() for name in LANDMARKS):
            return Checkout(candidate)
    raise UserError("no CPython checkout found: pass --checkout DIR (before the subcommand) "
                    f"or set {CHECKOUT_ENV}, or copy Android/android.py into a checkout")
