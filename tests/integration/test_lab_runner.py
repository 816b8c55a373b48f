"""`android.py test HOST --lab DIR`: the harness (shards, resume after a crash,
timeouts, JUnit) driving a real Android python on the android-lab's bionic
runtime, x86_64 natively and aarch64 under qemu-user; and the same python as
the ADB double's "app", so `test --connected` runs Android's python too.

JUnit files are read back with junitparser and compared with what the test
files do, or with regrtest's own "Total tests" lines.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from junitparser import JUnitXml

from cpython_android.adb_address import parse_address
from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from cpython_android.runners import Connected, Invocation, RunnerSpec
from cpython_android.runners.android import create_android_runners
from support.adb_double import AdbDouble
from support.cli import run_cli
from support.devices import fake_apks
from support.lab_fixtures import X86_64, LabBuild
from support.lab_runner import LabPython
from support.regrtest_files import junit_cases, write_equal_durations, write_tests

pytestmark = [pytest.mark.lab, pytest.mark.integration]
SERIAL = "emulator-5554"
#: The regrtest selection run on the x86_64 Android python (natively, so it
#: stays near a minute on 2 cores): every optional module's own tests and a
#: spread of fast files around them.  Left out, with their reason:
#: test_socket (its VSOCK tests need a vsock device this host lacks),
#: test_platform (test_android_ver needs Android's system properties) and
#: test_android (logcat): the lab is not a device; test_tarfile, test_selectors,
#: test_zipimport, test_signal, test_queue: slow and covered by others here;
#: test_xml_etree and test_xml_etree_c: see test_xml_etree_keeps_per_test_cases.
#: test_subprocess is in as Android allows it: regrtest skips the whole file
#: there (no subprocess support on Android).
X86_64_SELECTION = [
    "test_ctypes", "test_ssl", "test_sqlite3", "test_lzma", "test_bz2", "test_zlib",
    "test_hashlib", "test_hmac", "test_gzip", "test_zipfile", "test_decimal", "test_json",
    "test_pyexpat", "test_minidom", "test_sax", "test_threading", "test_subprocess",
    "test_select", "test_fcntl", "test_mmap", "test_posix", "test_os", "test_time",
    "test_struct", "test_array", "test_binascii", "test_base64", "test_codecs",
    "test_unicodedata", "test_re", "test_csv", "test_uuid", "test_random", "test_secrets",
    "test_bisect", "test_heapq", "test_bool", "test_int", "test_float", "test_complex",
    "test_cmath", "test_fractions", "test_bytes", "test_memoryview", "test_collections",
    "test_functools", "test_itertools", "test_operator", "test_tempfile", "test_shutil",
    "test_glob", "test_fnmatch", "test_enum", "test_dataclasses", "test_grammar", "test_dict",
    "test_set", "test_sort", "test_site", "test_sysconfig",
]
#: Under qemu (about 4x slower): a few files that load the optional modules.
STDLIB_SELECTION = {
    X86_64: X86_64_SELECTION,
    "aarch64-linux-android": ["test_bool", "test_zlib", "test_bz2", "test_sqlite3"],
}


#: "run=3/3", and "(filtered)" after it when the run named its test files.
_FILES = r"\S+(?: \(filtered\))?"


def regrtest_totals(output: str) -> int:
    """What regrtest itself counted, summed over every process: the tests it
    ran (`Total tests: run=N`, skipped tests included) plus the files it
    skipped whole (`Total test files: ... skipped=M`), which are a case each."""
    def total(pattern: str) -> int:
        return sum(int(n.replace(",", "")) for n in re.findall(pattern, output))

    assert "Total tests: run=" in output, output[-3000:]
    return (total(r"Total tests: run=([\d,]+)")
            + total(rf"Total test files: run={_FILES}(?: \w+=[\d,]+)*? skipped=([\d,]+)")
            + total(rf"Total test files: run={_FILES}(?: \w+=[\d,]+)*? resource_denied=([\d,]+)"))


def run_in_two_shards(build: LabBuild, junit: Path, files: list[str]):
    return build.lab_cli("test", build.host, "--lab", build.lab.root, "--shards", "2",
                         "--junit-xml", junit, "--", *files, timeout=1800)


def test_stdlib_files_in_two_shards(lab_build: LabBuild, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    files = STDLIB_SELECTION[lab_build.host]
    result = run_in_two_shards(lab_build, junit, files)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    xml = JUnitXml.fromfile(str(junit))
    suites = {suite.name for suite in xml}  # one per test file
    assert suites == set(files)
    name = f"lab-{lab_build.host.split('-')[0]}"
    assert f"[{name}-1]" in result.stdout and f"[{name}-2]" in result.stdout
    assert sum(len(list(suite)) for suite in xml) == regrtest_totals(result.stdout)


def test_xml_etree_keeps_per_test_cases(lab_x86_64: LabBuild, tmp_path: Path) -> None:
    """Both files in one process, as on a device (two shards would part them): regrtest
    3.13.5's own --junit-xml writer fails after them (TypeError: expected an Element, not
    Element), and the harness's per-test events keep every case all the same."""
    junit = tmp_path / "junit.xml"
    result = lab_x86_64.lab_cli("test", X86_64, "--lab", lab_x86_64.lab.root, "--junit-xml",
                                junit, "--", "test_xml_etree", "test_xml_etree_c", "test_bool",
                                timeout=1200)
    xml = JUnitXml.fromfile(str(junit))
    assert sum(len(list(suite)) for suite in xml) == regrtest_totals(result.stdout)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def test_crash_hang_and_resume_on_bionic(lab_x86_64: LabBuild, tmp_path: Path) -> None:
    testdir = write_tests(tmp_path / "tests", "test_pass", "test_fail", "test_crash",
                          "test_hang", "test_zz_after")
    junit = tmp_path / "junit.xml"
    result = lab_x86_64.lab_cli("test", X86_64, "--lab", lab_x86_64.lab.root, "--shards", "2",
                                "--timeout", "10", "--junit-xml", junit, "--", "-v",
                                "--testdir", testdir, "test_crash", "test_fail", "test_hang",
                                "test_pass", "test_zz_after", timeout=600)
    assert result.returncode == 1, (result.stdout + result.stderr)[-3000:]
    cases = junit_cases(junit)
    assert cases[("test_pass", "test_one")][0] == "passed"
    assert cases[("test_pass", "test_skipped")][0] == "skipped"
    assert cases[("test_fail", "test_wrong")] == ("failure", "AssertionError: 1 != 2")
    assert cases[("test_crash", "test_a_before")][0] == "passed"
    # The crashing test is a case of its own, and the rest of its file ran after it.
    assert cases[("test_crash", "test_b_segfault")][0] == "error"
    assert "SIGSEGV" in cases[("test_crash", "test_b_segfault")][1]
    assert cases[("test_crash", "test_c_never")][0] == "passed"
    hang = [v for (suite, _), v in cases.items() if suite == "test_hang"]
    assert len(hang) == 1 and "timed out" in hang[0][1]
    assert cases[("test_zz_after", "test_runs")][0] == "passed"
    assert "resuming in a fresh process" in result.stdout


def test_plain_run_is_android(lab_build: LabBuild) -> None:
    result = lab_build.lab_cli(
        "test", lab_build.host, "--lab", lab_build.lab.root, "-c",
        "import platform, sys; print(sys.platform, platform.machine(), "
        "sys.getandroidapilevel())", timeout=120)
    assert result.returncode == 0, result.stderr
    machine = lab_build.host.split("-")[0]
    assert f"android {machine} 24" in result.stdout.splitlines()


def test_lab_refuses_what_it_cannot_run(lab_x86_64: LabBuild, tmp_path: Path) -> None:
    result = lab_x86_64.lab_cli("test", X86_64, "--lab", tmp_path, "-c", "pass")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "make-lab.sh" in result.stderr
    result = lab_x86_64.lab_cli("test", "build", "--lab", lab_x86_64.lab.root, "-c", "pass")
    assert result.returncode == 2 and "--lab" in result.stderr
    result = lab_x86_64.lab_cli("test", X86_64, "--lab", lab_x86_64.lab.root, "--connected",
                                SERIAL, "-c", "pass")
    assert result.returncode == 2 and "not allowed with" in result.stderr


# --- the same python as the ADB double's "app" ----------------------------------------------

@pytest.fixture
def double_layout(tmp_path: Path) -> Layout:
    """A cross-build directory with x86_64 APK files where build-testbed puts them
    (the double installs by file name; its app runs the python it is given)."""
    layout = Layout(tmp_path / "xb")
    fake_apks(layout, X86_64)
    return layout


def android_app_python(build: LabBuild) -> list[str]:
    host = parse_host(build.host)
    return [str(LabPython(host, build.prefix / "bin" / "python3.13", build.lab.root)
                .ensure_wrapper())]


def test_connected_runs_the_android_python(lab_x86_64: LabBuild, double: AdbDouble,
                                           double_layout: Layout, tmp_path: Path) -> None:
    device = double.add_device(SERIAL, tmp_path / "dev", python=android_app_python(lab_x86_64),
                               props={"ro.product.cpu.abilist": "x86_64"})
    junit = tmp_path / "out.xml"
    result = run_cli("--checkout", lab_x86_64.checkout, "--cross-build-dir", double_layout.root,
                     "test", X86_64, "--connected", SERIAL, "--junit-xml", junit, "--",
                     "test_bool", "test_zlib", env=double.env, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    [run] = device.instrument_args
    assert "test_zlib" in run["pythonArgs"]
    assert {suite.name for suite in JUnitXml.fromfile(str(junit))} == {"test_bool",
                                                                       "test_zlib"}
    [runner] = create_android_runners(RunnerSpec(parse_host(X86_64), double_layout, "3.13",
                                                 target=Connected((parse_address(SERIAL),))))
    lines: list[tuple[str, str]] = []
    outcome = asyncio.run(runner.run(
        Invocation(["-c", "import sys, _ssl; print(sys.platform, sys.getandroidapilevel())"]),
        lambda line, stream: lines.append((stream, line))))
    assert outcome.returncode == 0, lines
    assert ("stdout", "android 24") in lines


def test_one_device_two_processes_runs_the_android_python(lab_x86_64: LabBuild,
                                                          double: AdbDouble,
                                                          tmp_path: Path) -> None:
    """`--per-device 2`: two copies of the testbed app on one device, each its own
    package, process and data directory, each a shard of the stdlib files."""
    device = double.add_device(SERIAL, tmp_path / "dev", python=android_app_python(lab_x86_64),
                               props={"ro.product.cpu.abilist": "x86_64"}, cpus=2)
    layout = Layout(tmp_path / "xb")
    fake_apks(layout, X86_64, apps=2)
    files = ["test_bool", "test_zlib", "test_json", "test_bisect", "test_heapq", "test_struct"]
    junit = tmp_path / "out.xml"
    result = run_cli("--checkout", lab_x86_64.checkout, "--cross-build-dir", layout.root,
                     "test", X86_64, "--connected", SERIAL, "--per-device", "2", "--junit-xml",
                     junit, "--", *files, env=double.env, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "per device: 2 test processes (--per-device)" in result.stdout
    xml = JUnitXml.fromfile(str(junit))
    assert sorted(suite.name for suite in xml) == sorted(files)  # every file, once
    assert sum(len(list(suite)) for suite in xml) == regrtest_totals(result.stdout)
    assert f"[{SERIAL}#1]" in result.stdout and f"[{SERIAL}#2]" in result.stdout
    slot1 = "org.python.testbed.s1"
    assert device.packages == {"org.python.testbed", "org.python.testbed.test", slot1,
                               f"{slot1}.test"}
    assert set(device.instrumented) == {"org.python.testbed", slot1}
    # Two processes, each with its own data directory and external files.
    assert len({app.pid for app in device.apps.values()}) == 2
    for package in ("org.python.testbed", slot1):
        assert device.path(f"/data/user/0/{package}/files/tmp").is_dir()
        assert device.path(f"/sdcard/Android/data/{package}/files").is_dir()


def test_a_device_killed_halfway_loses_nothing(lab_x86_64: LabBuild, double: AdbDouble,
                                               double_layout: Layout, tmp_path: Path) -> None:
    """Two devices run Android's own python; one goes away in the middle of a test
    file: the other runs that file and the rest of its batch, every file is in the
    JUnit once, the exit status is regrtest's (0), and the loss is named."""
    files = ["test_bool", "test_zlib", "test_int", "test_float", "test_list", "test_dict"]
    # emulator-5556 goes after the first test of its first batch passes (regrtest
    # -v: "test_x (test.test_y.Class.test_x) ... ok"): in the middle of a file.
    # Named first, it takes the first batch, the biggest (several files).
    for serial, when in ((SERIAL, None), ("emulator-5556", " ... ok")):
        double.add_device(serial, tmp_path / serial, python=android_app_python(lab_x86_64),
                          props={"ro.product.cpu.abilist": "x86_64"}, disconnect_on=when)
    junit = tmp_path / "out.xml"
    # Equal earlier times: the first batch is two files (a quarter of six), so the
    # loss leaves a file regrtest announced ("[2/2]") and never reached.
    earlier = write_equal_durations(tmp_path / "earlier.xml", files)
    result = run_cli("--checkout", lab_x86_64.checkout, "--cross-build-dir", double_layout.root,
                     "test", X86_64, "--connected", f"emulator-5556,{SERIAL}", "--durations",
                     earlier, "--junit-xml", junit, "--", "-v", *files, env=double.env,
                     timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert re.search(r"^Lost device emulator-5556 while running test_\w+ \(device "
                     r"emulator-5556 disconnected", result.stdout, re.M), output[-3000:]
    suites = list(JUnitXml.fromfile(str(junit)))
    assert sorted(suite.name for suite in suites) == sorted(files)
    ran_on = {suite.name: {p.name: p.value for p in suite.properties()} for suite in suites}
    lost = [name for name, props in ran_on.items() if "lost_device" in props]
    assert lost and all(ran_on[name]["device"] == SERIAL for name in lost)
