"""Crash reports in debuggerd's exact format, made from a real built ELF.

The android-lab has no debuggerd, so the tests write what it would: the
lines of AOSP's libdebuggerd (tombstone_proto_to_text.cpp) for a crash at
real addresses of the built libpython (taken from its own symbol table)
with its real BuildId; logcat's `-v threadtime` prefix for the logcat form
(tag DEBUG, priority F, crash_dump's pid), bionic's `Fatal signal` line
first, under the app's pid.  The expected answers come from the ELF and the
C source, not from the symbolizer under test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BANNER = "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***"
APP = "org.python.testbed"
APP_PID = 4321
CRASH_DUMP_PID = 4399


@dataclass(frozen=True)
class Symbol:
    name: str
    address: int
    size: int


def symbol(lib: Path, name: str) -> Symbol:
    """`name`'s address and size from the ELF's own .symtab."""
    from elftools.elf.elffile import ELFFile

    with open(lib, "rb") as f:
        table = ELFFile(f).get_section_by_name(".symtab")
        assert table is not None, f"{lib} has no .symtab (stripped?)"
        found = table.get_symbol_by_name(name)  # type: ignore[attr-defined]
        assert found, f"{name} not in {lib}"
        return Symbol(name, found[0]["st_value"], found[0]["st_size"])


def build_id(lib: Path) -> str:
    """The ELF's GNU BuildId as lower-case hex (read here, not by the code under test)."""
    from elftools.elf.elffile import ELFFile

    with open(lib, "rb") as f:
        for section in ELFFile(f).iter_sections():
            if section.name == ".note.gnu.build-id":
                for note in section.iter_notes():  # type: ignore[attr-defined]
                    if note["n_type"] == "NT_GNU_BUILD_ID":
                        return str(note["n_desc"]).lower()
    raise AssertionError(f"{lib} has no GNU BuildId")


def function_lines(source: Path, name: str) -> range:
    """The lines of C function `name`'s definition in `source` (from its
    name at the start of a line to the first `}` at column 0)."""
    lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"{re.escape(name)}\(", line))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("}"))
    return range(start, end + 2)  # 1-based, the closing brace included


def frame_line(index: int, pc: int, path: str, function: str = "", offset: int = 0,
               build_id: str = "") -> str:
    """A backtrace frame as debuggerd prints it (function offset in decimal)."""
    line = f"      #{index:02d} pc {pc:016x}  {path}"
    if function:
        line += f" ({function}+{offset})"
    if build_id:
        line += f" (BuildId: {build_id})"
    return line


def tombstone(frames: list[str], abi: str = "x86_64", signal: str = "11 (SIGSEGV)",
              code: str = "1 (SEGV_MAPERR)", fault: str = "0x0000000000000000",
              abort: str = "") -> list[str]:
    """debuggerd's report of the main thread (the lines it logs too)."""
    lines = [BANNER,
             "Build fingerprint: 'google/sdk_gphone64_x86_64/emu64xa:14/UE1A.230829.036/"
             "10871453:userdebug/dev-keys'",
             "Revision: '0'", f"ABI: '{abi}'", "Timestamp: 2026-12-07 02:00:00.123456789+0000",
             "Process uptime: 3s", f"Cmdline: {APP}",
             f"pid: {APP_PID}, tid: {APP_PID}, name: python3  >>> {APP} <<<", "uid: 10190",
             f"signal {signal}, code {code}, fault addr {fault}"]
    if fault.strip("0x") == "":
        lines.append("Cause: null pointer dereference")
    if abort:
        lines.append(f"Abort message: '{abort}'")
    lines += ["    rax 0000000000000000  rbx 00007ffc1b2c8e10  rcx 0000000000000000  "
              "rdx 0000000000000000",
              "    rip 00007a3b1c2d3e40  rbp 00007ffc1b2c8d00  rsp 00007ffc1b2c8cd0", "",
              f"{len(frames)} total frames", "backtrace:", *frames]
    return lines


def logcat(lines: list[str]) -> str:
    """As `adb logcat -v threadtime` shows them: bionic's line, then debuggerd's."""
    stamp = "12-07 02:00:00.200"
    fatal = (f"12-07 02:00:00.100  {APP_PID}  {APP_PID} F libc    : Fatal signal 11 (SIGSEGV), "
             f"code 1 (SEGV_MAPERR), fault addr 0x0 in tid {APP_PID} (python3), pid {APP_PID} "
             f"({APP})")
    return "\n".join([fatal, *(f"{stamp}  {CRASH_DUMP_PID}  {CRASH_DUMP_PID} F DEBUG   : {line}"
                               for line in lines)]) + "\n"


def device_path(abi_dir: str, library: str) -> str:
    """Where an app's native library lives on a device (Android 11+)."""
    return f"/data/app/~~Qb1x9Zs2Q==/{APP}-Yw4ZkVn8Rg==/lib/{abi_dir}/{library}"
