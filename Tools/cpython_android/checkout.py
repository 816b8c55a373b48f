"""A CPython source tree: where it is, and which version it holds."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

CHECKOUT_ENV = "CPYTHON_CHECKOUT"
# Files every CPython source tree since 3.x has; enough to tell it from any other tree.
LANDMARKS = ("configure", "pyconfig.h.in", "Include/patchlevel.h")
_PY_VERSION = re.compile(r'^\s*#define\s+PY_VERSION\s+"([^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class Checkout:
    root: Path

    @property
    def configure(self) -> Path:
        return self.root / "configure"

    @property
    def version(self) -> str:
        """PY_VERSION from Include/patchlevel.h, e.g. `3.13.5` or `3.14.0a1+`."""
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


def find(explicit: Path | None, script_dir: Path | None) -> Checkout:
    """--checkout, else $CPYTHON_CHECKOUT, else the tree the script was copied into."""
    if explicit is not None:
        return validate(explicit)
    if os.environ.get(CHECKOUT_ENV):
        return validate(Path(os.environ[CHECKOUT_ENV]))
    if script_dir is not None:
        candidate = script_dir.resolve().parent
        if all((candidate / name).is_file() for name in LANDMARKS):
            return Checkout(candidate)
    raise UserError("no CPython checkout found: pass --checkout DIR (before the subcommand) "
                    f"or set {CHECKOUT_ENV}, or copy Android/android.py into a checkout")
