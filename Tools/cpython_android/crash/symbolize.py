"""Symbolize a crash report's native frames against the build's own files.

Each frame is matched to a file of the build by its ELF BuildId (never by its
name: a libpython of another build would give plausible, wrong lines); the
matched file's frames are then given to one symbolizer run, which answers
function, file:line and the inlined frames.  The symbolizer is the NDK's
``llvm-symbolizer`` for an Android host (``toolchains/llvm/prebuilt/TAG/bin``),
else the system's ``llvm-symbolizer`` (any version), else binutils'
``addr2line`` (the cross one for a GNU host).  Nothing here raises for bad
input: a frame that cannot be symbolized says why in its note, the report's
notes say what was missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import CommandFailed, SetupError, ToolError
from ..hosts import Host
from ..process import run_captured
from ..textutil import int_or_none
from ..toolchains.ndk import exe_suffix, prebuilt_dir
from .elf import BuildIdIndex, build_id
from .report import CrashReport, Location, NativeFrame

#: Seconds one symbolizer run may take (the whole crash: at most 5 s).
SYMBOLIZER_TIMEOUT = 4.0
#: System llvm-symbolizer versions looked for after the unversioned name.
_LLVM_VERSIONS = range(25, 13, -1)
#: CPython's top-level source directories: file names are shown from there.
_SOURCE_DIRS = re.compile(r"(?:^|/)((?:Objects|Python|Modules|Parser|Include|Programs|PC)/.*)$")


@dataclass(frozen=True)
class Symbolizer:
    path: Path
    kind: str  # "llvm" | "addr2line"

    def locate(self, elf: Path, pcs: Sequence[int]) -> dict[int, list[Location]]:
        """pc -> its locations (innermost first), from one run over `elf`."""
        addresses = [f"0x{pc:x}" for pc in pcs]
        if self.kind == "llvm":
            argv = [str(self.path), "--output-style=JSON", "--inlines", "--demangle",
                    f"--obj={elf}", *addresses]
        else:
            argv = [str(self.path), "-f", "-i", "-a", "-C", "-e", str(elf), *addresses]
        result = run_captured(argv, timeout=SYMBOLIZER_TIMEOUT)
        if result.returncode != 0:
            raise CommandFailed(result.argv, result.returncode, tail=result.stderr[-2000:])
        if self.kind == "llvm":
            return _from_llvm_json(result.stdout, pcs)
        return _from_addr2line(result.stdout)


def find_symbolizer(host: Host | None, ndk_dir: Path | None = None,
                    search_path: str | None = None) -> tuple[Symbolizer | None, str]:
    """The symbolizer for `host`'s files, and what was looked for (for a note)."""
    tried: list[str] = []
    if ndk_dir is not None:
        try:
            ndk_tool = prebuilt_dir(ndk_dir) / "bin" / f"llvm-symbolizer{exe_suffix()}"
        except SetupError:
            ndk_tool = ndk_dir / "toolchains" / "llvm" / "prebuilt" / "*" / "bin"
        if ndk_tool.is_file():
            return Symbolizer(ndk_tool, "llvm"), ""
        tried.append(str(ndk_tool))
    for name in ["llvm-symbolizer", *(f"llvm-symbolizer-{v}" for v in _LLVM_VERSIONS)]:
        if found := shutil.which(name, path=search_path):
            return Symbolizer(Path(found), "llvm"), ""
    tried.append("llvm-symbolizer[-N] on PATH")
    names = ([f"{host.triplet}-addr2line"] if host is not None and not host.is_android
             else []) + (["addr2line"] if host is None else [])
    for name in names:
        if found := shutil.which(name, path=search_path):
            return Symbolizer(Path(found), "addr2line"), ""
        tried.append(name)
    return None, "no symbolizer found (looked for " + ", ".join(tried) + ")"


def symbolize(report: CrashReport, index: BuildIdIndex, symbolizer: Symbolizer | None,
              missing_why: str = "") -> None:
    """Fill in each frame's locations, or its note saying why not."""
    by_file: dict[Path, list[NativeFrame]] = {}
    for frame in report.frames:
        matched = _match(frame, index)
        if matched is not None:
            by_file.setdefault(matched, []).append(frame)
    if by_file and symbolizer is None:
        report.notes.append(f"{missing_why or 'no symbolizer found'}: the frames below are "
                            "matched to the build's files but not symbolized; install LLVM "
                            "(llvm-symbolizer) or binutils (addr2line)")
        for frames in by_file.values():
            for frame in frames:
                frame.note = "not symbolized: no symbolizer"
        return
    if by_file and symbolizer is not None:
        report.symbolizer = str(symbolizer.path)
    for elf, frames in by_file.items():
        assert symbolizer is not None
        try:
            found = symbolizer.locate(elf, [f.pc for f in frames])
        except (ToolError, TimeoutError, OSError) as e:
            report.notes.append(f"{symbolizer.path.name} failed on {elf.name}: "
                                f"{' '.join(str(e).split())[:300]}")
            for frame in frames:
                frame.note = f"not symbolized: {symbolizer.path.name} failed"
            continue
        for frame in frames:
            frame.locations = found.get(frame.pc, [])
            if not frame.locations:
                frame.note = f"{elf.name} has no symbol at 0x{frame.pc:x}"


def _match(frame: NativeFrame, index: BuildIdIndex) -> Path | None:
    """The build's file for `frame`, by BuildId; or None and the frame's note."""
    if not frame.build_id:
        frame.note = ("not symbolized: the report gives no BuildId for it, and a file is "
                      "never matched by name alone")
        return None
    found = index.find(frame.build_id)
    if found is not None:
        return found
    namesakes = index.same_name(frame.library)
    if namesakes:
        ids = sorted({build_id(p) or "none" for p in namesakes})
        frame.note = (f"not symbolized: BuildId {frame.build_id} is not this build's "
                      f"{frame.library} (BuildId {', '.join(ids)}): another build's file")
    else:
        frame.note = f"not symbolized: not a file of this build (BuildId {frame.build_id})"
    return None


def source_name(path: str) -> str:
    """A debug-info file name from CPython's source root ("Objects/object.c")."""
    normal = os.path.normpath(path) if path else path
    m = _SOURCE_DIRS.search(normal.replace(os.sep, "/")) if normal else None
    return m.group(1) if m else normal


def _location(function: str, file: str, line: int) -> Location | None:
    if not function or function == "??":
        return None
    return Location(function, "" if file in ("", "??") else source_name(file), line)


def _from_llvm_json(text: str, pcs: Sequence[int]) -> dict[int, list[Location]]:
    """llvm-symbolizer --output-style=JSON: one array (or one object a line)."""
    entries: list[object] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        entries += value if isinstance(value, list) else [value]
    found: dict[int, list[Location]] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        try:
            pc = int(str(entry.get("Address", "")), 16)
        except ValueError:
            continue
        locations = [loc for s in entry.get("Symbol") or () if isinstance(s, dict)
                     if (loc := _location(str(s.get("FunctionName") or ""),
                                          str(s.get("FileName") or ""),
                                          int(s.get("Line") or 0))) is not None]
        found[pc] = locations
    return {pc: found.get(pc, []) for pc in pcs}


def _from_addr2line(text: str) -> dict[int, list[Location]]:
    """addr2line -f -i -a: an address line, then function/file:line pairs."""
    found: dict[int, list[Location]] = {}
    current: list[Location] | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if re.fullmatch(r"0x[0-9a-fA-F]+", line):
            current = found.setdefault(int(line, 16), [])
            i += 1
            continue
        where = lines[i + 1].strip() if i + 1 < len(lines) else ""
        file, _, number = where.partition(" ")[0].rpartition(":")
        loc = _location(line, file, int_or_none(number, high=2**31 - 1) or 0)
        if current is not None and loc is not None:
            current.append(loc)
        i += 2
    return found
