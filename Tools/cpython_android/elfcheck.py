"""Check the ELF files of an installed prefix before they are shipped.

Rules (pyelftools reads every file; nothing is hand-parsed):

- every shared library and executable is ELF for the host's machine;
- no DT_RPATH/DT_RUNPATH entry points at an absolute path (the build
  machine's directories mean nothing on the target);
- Android only: every PT_LOAD segment is aligned to 16 KB (Android 15+ devices
  with 16 KB pages refuse anything less); every extension module names
  libpythonX.Y.so in DT_NEEDED and has no undefined symbol that its DT_NEEDED
  libraries (and theirs) do not define, because Android's loader does not
  resolve symbols through libraries loaded earlier (android/ndk#1244).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .abi import PythonABI
from .hosts import Host

PAGE_SIZE_16K = 16384
ELF_MAGIC = b"\x7fELF"


@dataclass(frozen=True)
class ElfInfo:
    """What the rules need from one ELF file."""

    path: Path
    machine: str  # e_machine as pyelftools names it, e.g. "EM_AARCH64"
    elf_type: str  # "ET_DYN", "ET_EXEC", ...
    needed: tuple[str, ...]
    rpaths: tuple[str, ...]  # DT_RPATH and DT_RUNPATH entries
    load_aligns: tuple[int, ...]  # p_align of each PT_LOAD
    undefined: frozenset[str]  # strong undefined dynamic symbols
    defined: frozenset[str]  # dynamic symbols this file exports


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == ELF_MAGIC
    except OSError:
        return False


def read_elf(path: Path) -> ElfInfo:
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with open(path, "rb") as f:
        elf = ELFFile(f)
        needed: list[str] = []
        rpaths: list[str] = []
        undefined: set[str] = set()
        defined: set[str] = set()
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                for dynamic_tag in section.iter_tags():
                    tag: Any = dynamic_tag  # pyelftools sets .needed etc. per tag type
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(tag.needed)
                    elif tag.entry.d_tag == "DT_RPATH":
                        rpaths += tag.rpath.split(":")
                    elif tag.entry.d_tag == "DT_RUNPATH":
                        rpaths += tag.runpath.split(":")
            elif isinstance(section, SymbolTableSection) and section.name == ".dynsym":
                for symbol in section.iter_symbols():
                    if not symbol.name:
                        continue
                    bind = symbol["st_info"]["bind"]
                    if symbol["st_shndx"] == "SHN_UNDEF":
                        if bind == "STB_GLOBAL":  # weak references may stay unresolved
                            undefined.add(symbol.name)
                    elif bind in ("STB_GLOBAL", "STB_WEAK", "STB_GNU_UNIQUE"):
                        defined.add(symbol.name)
        return ElfInfo(
            path=path,
            machine=elf.header["e_machine"],
            elf_type=elf.header["e_type"],
            needed=tuple(needed),
            rpaths=tuple(r for r in rpaths if r),
            load_aligns=tuple(seg["p_align"] for seg in elf.iter_segments()
                              if seg["p_type"] == "PT_LOAD"),
            undefined=frozenset(undefined),
            defined=frozenset(defined),
        )


@dataclass
class FileResult:
    path: Path  # relative to the checked directory
    info: ElfInfo
    is_extension: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    root: Path
    host: Host
    results: list[FileResult]

    @property
    def problems(self) -> list[tuple[Path, str]]:
        return [(r.path, p) for r in self.results for p in r.problems]

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.results)


@dataclass(frozen=True)
class Rules:
    """What a prefix for `host` must satisfy."""

    host: Host
    python: PythonABI  # what the prefix holds: names libpython3.13[t].so
    # Where DT_NEEDED libraries that are not in the prefix live (the NDK
    # sysroot for Android); searched after the prefix's lib directory.
    system_lib_dirs: tuple[Path, ...] = ()

    @property
    def libpython(self) -> str:
        return self.python.libpython_name


class LibraryResolver:
    """Finds DT_NEEDED libraries by name and caches what they define."""

    def __init__(self, directories: Sequence[Path]) -> None:
        self.directories = list(directories)
        self._cache: dict[str, ElfInfo | None] = {}

    def find(self, name: str) -> ElfInfo | None:
        if name not in self._cache:
            self._cache[name] = None
            for directory in self.directories:
                candidate = directory / name
                if candidate.is_file() and is_elf(candidate):
                    self._cache[name] = read_elf(candidate)
                    break
        return self._cache[name]

    def closure(self, needed: Iterable[str]) -> tuple[set[str], list[str]]:
        """Symbols defined by `needed` and their own DT_NEEDED (breadth first,
        as Android's linker builds a library's local group), and the names
        that could not be found."""
        symbols: set[str] = set()
        missing: list[str] = []
        queue = list(needed)
        seen: set[str] = set()
        while queue:
            name = queue.pop(0)
            if name in seen:
                continue
            seen.add(name)
            info = self.find(name)
            if info is None:
                missing.append(name)
                continue
            symbols |= info.defined
            queue += info.needed
        return symbols, missing


def elf_files(root: Path) -> Iterator[Path]:
    """Every regular ELF file under root (symlinks are checked as their targets)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if not path.is_symlink() and path.is_file() and is_elf(path):
                yield path


def is_extension_module(relative: Path) -> bool:
    parts = relative.parts
    return (relative.suffix == ".so" and len(parts) > 2 and parts[0] == "lib"
            and parts[1].startswith("python"))


def check_file(info: ElfInfo, relative: Path, rules: Rules,
               resolver: LibraryResolver) -> FileResult:
    result = FileResult(relative, info, is_extension_module(relative))
    if info.machine != rules.host.elf_machine:
        result.problems.append(f"machine is {info.machine}, expected {rules.host.elf_machine}")
    for rpath in info.rpaths:
        if posixpath.isabs(rpath):  # an ELF path, wherever the check runs
            result.problems.append(f"RPATH {rpath} points at the build machine")
    if not rules.host.is_android:
        return result
    bad = [a for a in info.load_aligns if a < PAGE_SIZE_16K or a % PAGE_SIZE_16K]
    if bad:
        result.problems.append(f"PT_LOAD aligned to {min(bad)} bytes, not 16 KB")
    if result.is_extension:
        if rules.libpython not in info.needed:
            result.problems.append(f"{rules.libpython} is not in DT_NEEDED")
        provided, missing = resolver.closure(info.needed)
        for name in missing:
            result.problems.append(f"DT_NEEDED {name} not found")
        if not missing:
            unresolved = sorted(info.undefined - provided)
            if unresolved:
                shown = ", ".join(unresolved[:5]) + (" ..." if len(unresolved) > 5 else "")
                result.problems.append(f"{len(unresolved)} unresolved symbol(s): {shown}")
    return result


def check_tree(root: Path, rules: Rules) -> CheckReport:
    """Check every ELF file under `root` (a prefix: bin/, lib/, ...)."""
    resolver = LibraryResolver([root / "lib", *rules.system_lib_dirs])
    results = [check_file(read_elf(path), path.relative_to(root), rules, resolver)
               for path in elf_files(root)]
    return CheckReport(root, rules.host, results)


def _align_text(info: ElfInfo) -> str:
    return f"{min(info.load_aligns) // 1024}K" if info.load_aligns else "-"


def format_table(report: CheckReport) -> str:
    """One row per ELF file, then a summary line."""
    header = ("FILE", "MACHINE", "ALIGN", "LIBPYTHON", "RESULT")
    rows = []
    for r in report.results:
        libpython = ""  # only Android requires extension modules to link libpython
        if r.is_extension and report.host.is_android:
            libpython = "yes" if any(n.startswith("libpython") for n in r.info.needed) else "no"
        rows.append((str(r.path), r.info.machine.removeprefix("EM_"), _align_text(r.info),
                     libpython, "; ".join(r.problems) or "ok"))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  "
             + row[-1] for row in [header, *rows]]
    bad_files = sum(1 for r in report.results if r.problems)
    if not report.results:
        lines.append(f"no ELF files under {report.root}: is the host python installed?")
    else:
        lines.append(f"{len(report.results)} ELF files checked for {report.host}: "
                     + (f"{bad_files} with problems" if bad_files else "all ok"))
    return "\n".join(lines)
