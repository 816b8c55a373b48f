"""The build's unstripped ELF files, found by their GNU BuildId (pyelftools).

A frame is symbolized only against the file whose ``NT_GNU_BUILD_ID`` note
is the one the crash report names: a library of the same name from another
build would give plausible, wrong lines.  The prefix's libraries are the
unstripped ones (``package`` strips its copies, never the prefix), and the
build tree (``cross-build/HOST``) has libpython too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..elfcheck import is_elf

#: Where under a prefix or build tree the build's ELF files are.
_PATTERNS = ("lib/*.so*", "lib/python3*/lib-dynload/*.so", "bin/python3*", "libpython3*.so*",
             "python", "build/lib.*/*.so")


def build_id(path: Path) -> str | None:
    """The file's GNU BuildId as lower-case hex; None if it has none or is no ELF."""
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            for segment in elf.iter_segments():
                if segment["p_type"] != "PT_NOTE":
                    continue
                for note in segment.iter_notes():  # type: ignore[attr-defined]
                    if note["n_type"] == "NT_GNU_BUILD_ID":
                        return str(note["n_desc"]).lower()
    except (OSError, ELFError, ValueError):
        return None
    return None


def has_debug_info(path: Path) -> bool:
    """Whether the file still has DWARF (.debug_info): unstripped."""
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            return ELFFile(f).get_section_by_name(".debug_info") is not None
    except (OSError, ELFError, ValueError):
        return False


@dataclass
class BuildIdIndex:
    """BuildId -> the build's file with that id (unstripped ones preferred),
    and every file by name, to say why a frame did not match."""

    roots: tuple[Path, ...]
    by_id: dict[str, Path] = field(default_factory=dict)
    by_name: dict[str, list[Path]] = field(default_factory=dict)
    scanned: bool = False

    def scan(self) -> None:
        if self.scanned:
            return
        self.scanned = True
        for path in _candidates(self.roots):
            self.by_name.setdefault(path.name, []).append(path)
            found = build_id(path)
            if found is None:
                continue
            known = self.by_id.get(found)
            if known is None or (not has_debug_info(known) and has_debug_info(path)):
                self.by_id[found] = path

    def find(self, wanted: str) -> Path | None:
        self.scan()
        return self.by_id.get(wanted.lower())

    def same_name(self, library: str) -> list[Path]:
        """The build's files called `library` (for the "BuildId differs" note)."""
        self.scan()
        return self.by_name.get(library, [])


def _candidates(roots: Iterable[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for root in roots:
        for pattern in _PATTERNS:
            for path in sorted(root.glob(pattern)):
                if path.is_symlink() or not path.is_file():
                    continue
                real = path.resolve()
                if real in seen or not is_elf(real):
                    continue
                seen.add(real)
                yield path
