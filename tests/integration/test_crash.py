"""Native crash reports symbolized against real builds (crash/).

The reports are in debuggerd's exact format (support/crash_reports.py) at
real addresses of the built libpython, with its real BuildId: for the
android-lab's x86_64 and aarch64 builds (the NDK's llvm-symbolizer, as the
lab lays it out) and the GNU build (llvm-symbolizer, and binutils'
aarch64-linux-gnu-addr2line).  Each answer is checked against the ELF's
symbol table and the C source, not against the symbolizer's own output.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from cpython_android.crash import CrashSymbols, analyse, format_report, parse, top_frame
from cpython_android.crash.android import crash_text, report_of_pid
from cpython_android.crash.elf import build_id
from cpython_android.crash.symbolize import find_symbolizer
from cpython_android.hosts import parse_host
from support import crash_reports as cr
from support.cli import GNU_HOST, BuiltHost, run_cli
from support.lab_fixtures import X86_64, LabBuild
from support.regrtest_files import TEST_FILES, write_tests

ABI_DIRS = {"x86_64-linux-android": ("x86_64", "x86_64"),
            "aarch64-linux-android": ("arm64-v8a", "arm64")}


def lab_symbols(built: LabBuild, tmp_path: Path, search_path: str | None = None,
                ndk: bool = True) -> CrashSymbols:
    return CrashSymbols(built.host, parse_host(built.host), (built.prefix, built.host_dir),
                        tmp_path / "logs", ndk_dir=built.lab.ndk if ndk else None,
                        search_path=search_path)


def libpython(built: BuiltHost) -> Path:
    return (built.prefix / "lib" / "libpython3.13.so").resolve()


def crash_at(built: BuiltHost, names: list[tuple[str, int]], build_id_of: Path | None = None
             ) -> list[str]:
    """debuggerd's frames at `offset` bytes into each named libpython function."""
    lib = libpython(built)
    bid = build_id(build_id_of or lib) or ""
    abi_dir = ABI_DIRS.get(built.host, ("arm64-v8a", "arm64"))[0]
    return [cr.frame_line(i, cr.symbol(lib, name).address + offset,
                          cr.device_path(abi_dir, "libpython3.13.so"), name, offset, bid)
            for i, (name, offset) in enumerate(names)]


@pytest.mark.lab
@pytest.mark.integration
def test_logcat_report_lands_on_the_function_and_line(lab_build: LabBuild, tmp_path: Path):
    lines = crash_at(lab_build, [("PyObject_GetAttr", 16), ("_PyEval_EvalFrameDefault", 64)])
    libc = cr.frame_line(2, 0x52F8C, "/apex/com.android.runtime/lib64/bionic/libc.so",
                         "__libc_init", 92, "0123456789abcdef0123456789abcdef")
    abi = ABI_DIRS[lab_build.host][1]
    report = analyse(cr.logcat(cr.tombstone([*lines, libc], abi=abi)), lab_symbols(lab_build,
                                                                                   tmp_path))
    assert (report.signal_name, report.pid, report.process) == ("SIGSEGV", cr.APP_PID, cr.APP)
    assert report.cause == "null pointer dereference"
    top = report.frames[0].locations[-1]
    assert (top.function, top.file) == ("PyObject_GetAttr", "Objects/object.c")
    assert top.line in cr.function_lines(lab_build.checkout / "Objects/object.c",
                                         "PyObject_GetAttr")
    assert report.frames[1].locations[-1].function == "_PyEval_EvalFrameDefault"
    assert report.frames[1].locations[-1].file == "Python/ceval.c"
    assert "not a file of this build" in report.frames[2].note
    assert top_frame(report) == f"SIGSEGV in PyObject_GetAttr (Objects/object.c:{top.line})"
    text = format_report(report)
    assert f"PyObject_GetAttr at Objects/object.c:{top.line}" in text


@pytest.mark.lab
@pytest.mark.integration
def test_inlined_frames_are_listed_innermost_first(lab_x86_64: LabBuild, tmp_path: Path):
    lib = libpython(lab_x86_64)
    loop = cr.symbol(lib, "_PyEval_EvalFrameDefault")
    symbols = lab_symbols(lab_x86_64, tmp_path)
    path = cr.device_path("x86_64", "libpython3.13.so")
    frames = [cr.frame_line(i, loop.address + offset, path, build_id=build_id(lib) or "")
              for i, offset in enumerate(range(0x100, min(loop.size, 0x4100), 0x100))]
    report = analyse("backtrace:\n" + "\n".join(frames), symbols)
    inlined = [f for f in report.frames if len(f.locations) > 1]
    assert inlined, "no inlined call in 64 addresses of the interpreter loop"
    for frame in inlined:  # the outermost is the ELF's own function at that address
        assert frame.locations[-1].function == "_PyEval_EvalFrameDefault"
        assert all(loc.file.startswith(("Include/", "Python/", "Objects/"))
                   for loc in frame.locations), frame.locations
    assert "(inlined)" in format_report(report)


@pytest.mark.lab
@pytest.mark.integration
def test_foreign_build_id_stays_unsymbolized_and_says_why(lab_x86_64: LabBuild,
                                                         lab_aarch64: LabBuild, tmp_path: Path):
    # The x86_64 build's addresses, under the aarch64 build's (real) BuildId.
    other = libpython(lab_aarch64)
    lines = crash_at(lab_x86_64, [("PyObject_GetAttr", 16)], build_id_of=other)
    report = analyse(cr.logcat(cr.tombstone(lines)), lab_symbols(lab_x86_64, tmp_path))
    frame = report.frames[0]
    assert not frame.locations
    assert f"BuildId {build_id(other)} is not this build's libpython3.13.so" in frame.note
    assert build_id(libpython(lab_x86_64)) in frame.note
    assert top_frame(report) == "SIGSEGV in PyObject_GetAttr+16 (libpython3.13.so)"


@pytest.mark.lab
@pytest.mark.integration
def test_truncated_tombstone_and_missing_symbolizer_are_notes(lab_x86_64: LabBuild,
                                                             tmp_path: Path):
    lines = cr.tombstone(crash_at(lab_x86_64, [("PyObject_GetAttr", 16),
                                              ("_PyEval_EvalFrameDefault", 64)]))
    text = "\n".join(lines)
    cut = text[:text.rindex("(BuildId:") + 6]  # the file ends inside the last frame
    report = analyse(cut, lab_symbols(lab_x86_64, tmp_path))
    assert report.frames[0].locations[-1].function == "PyObject_GetAttr"
    assert any("#01 is cut short" in note for note in report.notes)
    assert report.frames[1].hint == "_PyEval_EvalFrameDefault+64"
    # Cut before the backtrace: what there is, and a note.
    head = analyse(text[:text.index("backtrace:")], lab_symbols(lab_x86_64, tmp_path))
    assert head.signal_name == "SIGSEGV" and not head.frames
    assert any("no backtrace" in note for note in head.notes)
    # No NDK symbolizer and nothing on PATH: matched, unsymbolized, said.
    empty = tmp_path / "empty-path"
    empty.mkdir()
    bare = analyse(text, lab_symbols(lab_x86_64, tmp_path, search_path=str(empty), ndk=False))
    assert all(not f.locations and "no symbolizer" in f.note for f in bare.frames)
    assert any("no symbolizer found" in note for note in bare.notes)
    assert "SIGSEGV in PyObject_GetAttr+16" in top_frame(bare)


@pytest.mark.lab
@pytest.mark.integration
def test_the_ndk_symbolizer_is_used_for_android_hosts(lab_x86_64: LabBuild, tmp_path: Path):
    symbolizer, _ = find_symbolizer(parse_host(X86_64), lab_x86_64.lab.ndk, search_path="")
    assert symbolizer is not None
    assert symbolizer.path == lab_x86_64.lab.clang_bin / "llvm-symbolizer"


@pytest.mark.integration
@pytest.mark.parametrize("tool", ["llvm-symbolizer", f"{GNU_HOST}-addr2line"])
def test_gnu_build_symbolizes_with_llvm_or_binutils(gnu_build: BuiltHost, tmp_path: Path,
                                                    tool: str):
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not on PATH")
    search = tmp_path / "bin"
    search.mkdir()
    (search / tool).symlink_to(found)
    symbols = CrashSymbols(GNU_HOST, parse_host(GNU_HOST), (gnu_build.prefix,),
                           tmp_path / "logs", search_path=str(search))
    lines = crash_at(gnu_build, [("PyObject_GetAttr", 8)])
    report = analyse("\n".join(cr.tombstone(lines, abi="arm64")), symbols)
    top = report.frames[0].locations[-1]
    assert (top.function, top.file) == ("PyObject_GetAttr", "Objects/object.c")
    assert top.line in cr.function_lines(gnu_build.checkout / "Objects/object.c",
                                         "PyObject_GetAttr")


def test_faulthandler_and_bionic_lines_without_native_frames():
    text = ("Fatal Python error: Segmentation fault\n\n"
            "Current thread 0x00007f9dcb8bb548 (most recent call first):\n"
            '  File "/p/lib/python3.13/ctypes/__init__.py", line 538 in string_at\n'
            '  File "<string>", line 1 in <module>\n'
            "libc: Fatal signal 11 (SIGSEGV), code -6 (SI_TKILL) in tid 26054 (python3.13), "
            "pid 26054 (python3.13)\n")
    report = parse(text)
    assert (report.signal, report.fatal_error, report.pid) == (11, "Segmentation fault", 26054)
    assert [f.function for f in report.python_frames] == ["string_at", "<module>"]
    assert top_frame(report) == "SIGSEGV in string_at (ctypes/__init__.py:538, Python)"
    assert parse("nothing crashed here\n").empty


def test_the_device_report_of_the_apps_pid_is_picked():
    other = cr.tombstone([cr.frame_line(0, 0x10, "/system/lib64/libc.so", "abort", 4)])
    other = [line.replace(f"pid: {cr.APP_PID},", "pid: 999,") for line in other]
    ours = cr.tombstone([cr.frame_line(0, 0x20, "/system/lib64/libc.so", "raise", 8)])
    log = cr.logcat(ours) + "\n".join(cr.logcat(other).splitlines()[1:]) + "\n"
    picked = parse(report_of_pid(log, cr.APP_PID))
    assert [f.hint for f in picked.frames] == ["raise+8"]
    assert "Fatal signal 11" in report_of_pid(log, cr.APP_PID).splitlines()[0]
    assert report_of_pid(log, 12345) == ""
    # A readable tombstone wins over the crash log; a refused `ls` falls back.
    files = {"ls -t /data/tombstones": "tombstone_03\ntombstone_02\n",
             "cat /data/tombstones/tombstone_03": "\n".join(ours)}
    assert crash_text(lambda argv: files.get(" ".join(argv), ""), cr.APP_PID) == "\n".join(ours)
    refused = {"logcat -d -b crash -v threadtime": log}
    assert "raise+8" in crash_text(lambda argv: refused.get(" ".join(argv), ""), cr.APP_PID)


# --- real crashes, through `android.py test` ----------------------------------------------


def crashed_cases(junit: Path) -> dict[str, tuple[str, str, str]]:
    """test name -> (outcome, message, the result's whole text) of test_native_crash."""
    from junitparser import JUnitXml

    found = {}
    for suite in JUnitXml.fromfile(str(junit)):
        for case in suite:
            result = case.result[0] if case.result else None
            found[case.name] = (type(result).__name__.lower() if result else "passed",
                                (result.message or "") if result else "",
                                (result.text or "") if result else "")
    return found


def crash_file(built: BuiltHost, test: str) -> Path:
    return built.cross_build / "logs" / f"crash-{built.host}-test_native_crash.Native.{test}.txt"


def check_read_null_crash(built: BuiltHost, result, junit: Path) -> str:
    """What every host shows of faulthandler._read_null(): the crashed case's
    <error> with faulthandler's traceback and the report, the saved report,
    the summary line; the rest of the file ran.  Returns the <error> text."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    cases = crashed_cases(junit)
    assert cases["test_a_before"][0] == "passed" and cases["test_d_after"][0] == "passed"
    outcome, message, text = cases["test_b_read_null"]
    assert outcome == "error" and "SIGSEGV" in message
    source = "test_native_crash.py"
    written = textwrap.dedent(TEST_FILES["test_native_crash"]).splitlines()
    line = next(i for i, code in enumerate(written, 1) if "_read_null()" in code)
    assert "Fatal Python error: Segmentation fault" in text
    # faulthandler's traceback once (the output's), the report saying it is above.
    assert text.count(f'{source}", line {line} in test_b_read_null') == 1, text
    assert "Python traceback: faulthandler's, above" in text
    assert "test_native_crash.Native.test_b_read_null crashed: SIGSEGV in test_b_read_null" \
        in text
    summary = [s for s in result.stdout.splitlines()
               if s.startswith("test_native_crash.Native.test_b_read_null crashed: ")]
    assert summary and "SIGSEGV in test_b_read_null (" in summary[0], result.stdout[-2000:]
    assert f"{source}:{line}, Python)" in summary[0]
    saved = crash_file(built, "test_b_read_null").read_text()
    assert "Python traceback (faulthandler, most recent call first):" in saved
    assert f'{source}", line {line} in test_b_read_null' in saved
    assert "Traceback (most recent call last)" not in output
    return text


def run_native_crash(built: BuiltHost, tmp_path: Path, *lab_args: str | Path):
    testdir = write_tests(tmp_path / "tests", "test_native_crash")
    junit = tmp_path / "junit.xml"
    for test in ("test_b_read_null", "test_c_string_at_null"):
        crash_file(built, test).unlink(missing_ok=True)
    cli = built.lab_cli if isinstance(built, LabBuild) else built.cli
    result = cli("test", built.host, *lab_args, "--junit-xml", junit, "--", "-v",
                 "--testdir", testdir, "test_native_crash", timeout=600)
    return result, junit


@pytest.mark.integration
def test_a_real_crash_under_qemu_is_in_the_junit_and_the_summary(gnu_build: BuiltHost,
                                                                 tmp_path: Path):
    result, junit = run_native_crash(gnu_build, tmp_path)
    text = check_read_null_crash(gnu_build, result, junit)
    # qemu-user names the signal; faulthandler gives no native frames there.
    assert "uncaught target signal 11" in text
    assert "Native backtrace: none in the report" in text


@pytest.mark.lab
@pytest.mark.integration
def test_a_real_crash_on_bionic_is_in_the_junit_and_the_summary(lab_x86_64: LabBuild,
                                                                tmp_path: Path):
    result, junit = run_native_crash(lab_x86_64, tmp_path, "--lab", lab_x86_64.lab.root)
    text = check_read_null_crash(lab_x86_64, result, junit)
    # bionic's own line (no log daemon on the lab: on stderr), parsed.
    assert "libc: Fatal signal 11 (SIGSEGV)" in text
    assert "signal 11 (SIGSEGV), code -6 (SI_TKILL)" in text
    # ctypes.string_at(0): the lab build has _ctypes.
    outcome, message, ctypes_text = crashed_cases(junit)["test_c_string_at_null"]
    assert outcome == "error" and "SIGSEGV" in message
    assert "in string_at (ctypes/__init__.py:" in ctypes_text
    assert crash_file(lab_x86_64, "test_c_string_at_null").is_file()
    assert "test_native_crash.Native.test_c_string_at_null crashed: SIGSEGV in string_at" \
        in result.stdout


@pytest.mark.integration
def test_a_python_c_run_prints_faulthandlers_traceback(gnu_build: BuiltHost):
    # -X faulthandler: without it a `-c` crash under qemu shows no Python frame.
    result = gnu_build.cli("test", GNU_HOST, "-c", "import faulthandler\n"
                           "faulthandler._read_null()", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Fatal Python error: Segmentation fault" in output
    assert 'File "<string>", line 2 in <module>' in output


# --- android.py symbolize ----------------------------------------------------------------


@pytest.mark.integration
def test_symbolize_a_file_through_the_command_line(gnu_build: BuiltHost, tmp_path: Path):
    if not shutil.which("llvm-symbolizer") and not shutil.which(f"{GNU_HOST}-addr2line"):
        pytest.skip("no llvm-symbolizer or addr2line on PATH")
    pasted = tmp_path / "tombstone.txt"
    pasted.write_text("\n".join(cr.tombstone(crash_at(gnu_build, [("PyObject_GetAttr", 8)]),
                                             abi="arm64")) + "\n")
    result = gnu_build.cli("symbolize", GNU_HOST, pasted, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = cr.function_lines(gnu_build.checkout / "Objects/object.c", "PyObject_GetAttr")
    found = re.search(r"PyObject_GetAttr at Objects/object\.c:(\d+)", result.stdout)
    assert found and int(found.group(1)) in lines, result.stdout
    assert result.stdout.startswith("Crash: SIGSEGV in PyObject_GetAttr (Objects/object.c:")


@pytest.mark.lab
@pytest.mark.integration
def test_symbolize_stdin_with_the_ndks_symbolizer(lab_x86_64: LabBuild):
    text = cr.logcat(cr.tombstone(crash_at(lab_x86_64, [("PyObject_GetAttr", 16)])))
    result = run_cli("--checkout", lab_x86_64.checkout, "--cross-build-dir",
                     lab_x86_64.cross_build, "symbolize", X86_64, "-",
                     env=lab_x86_64.lab.env(), input=text, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "PyObject_GetAttr at Objects/object.c:" in result.stdout
    assert "null pointer dereference" in result.stdout
    # The NDK's llvm-symbolizer, of the NDK the host was built with (settings.json).
    assert f"with {lab_x86_64.lab.clang_bin / 'llvm-symbolizer'}):" in result.stdout
    nothing = run_cli("--checkout", lab_x86_64.checkout, "--cross-build-dir",
                      lab_x86_64.cross_build, "symbolize", X86_64, "-",
                      env=lab_x86_64.lab.env(), input="all is well\n", timeout=60)
    assert nothing.returncode == 1 and nothing.stdout.startswith("no crash report in stdin")
