"""The interpreter's variant (default or free-threaded) and the names it implies.

Free-threaded CPython (PEP 703, `configure --disable-gil`, 3.13+) carries the
ABI flag `t`: bin/python3.13t, libpython3.13t.so, lib/python3.13t/, include/
python3.13t/, SOABI cpython-313t-..., wheel ABI tag cp313t.  Every name that
depends on it is derived here, from one of two typed values:

- `Variant`: what the user asked for before anything is built (a pure
  function of the checkout's version and the configure arguments), which
  picks the cross-build trees (`Layout`) and the configure arguments;
- `PythonABI`: what a build installed, read from the prefix's sysconfig data
  (`read_installed`), which every later command (run, test, check, package,
  cross-env, build-wheel) names files by, so none re-parses a string.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SetupError, UserError

DISABLE_GIL = "--disable-gil"
# PEP 703's --disable-gil first shipped in 3.13.  Follows configure.ac and
# Makefile.pre.in on 3.13 (ABIFLAGS gains `t` with --disable-gil; LDVERSION and
# LIBDEST = lib/python$(VERSION)$(ABI_THREAD)), unchanged on 3.14 and main.
FREE_THREADED_SINCE = (3, 13)
FREE_THREADED_FLAG = "t"
# Free-threaded trees sit beside the default ones: cross-build/HOST-t, build-t.
FREE_THREADED_DIR_SUFFIX = "-t"


@dataclass(frozen=True)
class Variant:
    """Which interpreter a build makes: the default one, or free-threaded."""

    free_threaded: bool = False

    @property
    def abiflags(self) -> str:
        return FREE_THREADED_FLAG if self.free_threaded else ""

    @property
    def dir_suffix(self) -> str:
        """What the variant's build trees add to their names."""
        return FREE_THREADED_DIR_SUFFIX if self.free_threaded else ""

    @property
    def configure_args(self) -> tuple[str, ...]:
        return (DISABLE_GIL,) if self.free_threaded else ()

    def __str__(self) -> str:
        return "free-threaded" if self.free_threaded else "default"


def variant_for(version: tuple[int, int], configure_args: Sequence[str] = (),
                disable_gil: bool = False) -> Variant:
    """The variant `build --disable-gil` (or `build -- --disable-gil`) asks for."""
    wanted = disable_gil or DISABLE_GIL in configure_args
    if wanted and version < FREE_THREADED_SINCE:
        raise UserError("--disable-gil needs CPython {}.{} or newer; this checkout is "
                        "{}.{}".format(*FREE_THREADED_SINCE, *version))
    return Variant(wanted)


def with_variant_args(variant: Variant, configure_args: Sequence[str]) -> tuple[str, ...]:
    """configure's arguments with the variant's, each once."""
    return (*variant.configure_args,
            *(arg for arg in configure_args if arg not in variant.configure_args))


@dataclass(frozen=True)
class PythonABI:
    """An interpreter's version and ABI flags, and every name they imply."""

    version: tuple[int, int]
    abiflags: str = ""

    @property
    def short_version(self) -> str:
        return "{}.{}".format(*self.version)

    @property
    def ldversion(self) -> str:
        """sysconfig's LDVERSION: `3.13`, `3.13t`."""
        return self.short_version + self.abiflags

    @property
    def free_threaded(self) -> bool:
        return FREE_THREADED_FLAG in self.abiflags

    @property
    def python_name(self) -> str:
        """bin/python3.13t; also the stdlib's and the headers' directory name."""
        return f"python{self.ldversion}"

    @property
    def libpython_name(self) -> str:
        return f"lib{self.python_name}.so"

    @property
    def stdlib_dir(self) -> Path:
        return Path("lib") / self.python_name

    @property
    def include_dir(self) -> Path:
        return Path("include") / self.python_name

    @property
    def interpreter_tag(self) -> str:
        return "cp{}{}".format(*self.version)

    @property
    def abi_tag(self) -> str:
        """The wheel ABI tag: `cp313`, `cp313t`."""
        return self.interpreter_tag + self.abiflags

    def package_version(self, version: str) -> str:
        """A release's version with the flags, as in python-3.13.5t-HOST.tar.gz."""
        return version + self.abiflags


def read_build_time_vars(path: Path) -> dict[str, Any]:
    """A _sysconfigdata_*.py's `build_time_vars`, as a literal (not executed)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "build_time_vars"):
                values = ast.literal_eval(node.value)
                if isinstance(values, dict):
                    return values
    except (OSError, SyntaxError, ValueError):
        pass
    raise SetupError(f"{path} has no readable build_time_vars: is the host python installed "
                     "completely? Run `android.py build HOST` again")


def find_sysconfigdata(prefix: Path) -> Path:
    """The one _sysconfigdata_*.py in the prefix's lib/pythonX.Y[t]/."""
    found = sorted(prefix.glob("lib/python3*/_sysconfigdata_*.py"))
    if len(found) != 1:
        raise SetupError(f"expected one lib/python3*/_sysconfigdata_*.py in {prefix}, found "
                         f"{len(found)}: run `android.py build HOST` first")
    return found[0]


def abi_of(values: dict[str, Any]) -> PythonABI:
    """The ABI that sysconfig values describe."""
    parts = str(values.get("VERSION", "")).split(".")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise UserError(f"sysconfig data has no usable VERSION ({values.get('VERSION')!r})")
    major, minor = parts
    flags = str(values.get("ABIFLAGS") or "")
    if values.get("Py_GIL_DISABLED") and FREE_THREADED_FLAG not in flags:
        flags += FREE_THREADED_FLAG  # ABIFLAGS is unset in some cross builds' data
    return PythonABI((int(major), int(minor)), flags)


def read_installed(prefix: Path) -> PythonABI:
    """The ABI of the python installed in `prefix`, from its sysconfig data."""
    return abi_of(read_build_time_vars(find_sysconfigdata(prefix)))
