"""The Android path for real, on the android-lab (stand-in NDK r26 + Android 9's
bionic runtime; see tests/support/android_lab.py): CPython 3.13.5 built for
x86_64-linux-android and aarch64-linux-android with our own `build`, checked
with `check`, and RUN on bionic (x86_64 natively, aarch64 under qemu-user),
where every optional module must work.  What only a device can prove (ART,
the app, logcat, 16 KB pages for real) stays out of reach here.
"""

from __future__ import annotations

import base64
import bz2
import hashlib
import json
import lzma
import os
import re
import shutil
import ssl
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from support.cli import REPO
from support.lab_fixtures import X86_64, LabBuild

pytestmark = [pytest.mark.lab, pytest.mark.integration]
PROBE = REPO / "tests" / "data" / "lab_probe.py"
MAIN_ACTIVITY = REPO / "testbed" / "app" / "src" / "main" / "c" / "main_activity.c"
OPTIONAL = {"_ssl", "_hashlib", "_ctypes", "_sqlite3", "_lzma", "_bz2", "zlib", "_decimal"}
MACHINES = {X86_64: ("EM_X86_64", "x86_64"), "aarch64-linux-android": ("EM_AARCH64", "aarch64")}


def elf_facts(path: Path) -> dict[str, object]:
    """Read with pyelftools here, independently of our elfcheck."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        dynamic = elf.get_section_by_name(".dynamic")
        tags = [(t.entry.d_tag, getattr(t, "needed", None) or getattr(t, "runpath", None)
                 or getattr(t, "rpath", None)) for t in dynamic.iter_tags()]
        interp = elf.get_section_by_name(".interp")
        return {
            "machine": elf["e_machine"],
            "needed": [v for k, v in tags if k == "DT_NEEDED"],
            "rpaths": [v for k, v in tags if k in ("DT_RPATH", "DT_RUNPATH")],
            "aligns": [s["p_align"] for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"],
            "interp": interp.data().rstrip(b"\0").decode() if interp else None,
            "exports": {s.name for s in elf.get_section_by_name(".dynsym").iter_symbols()
                        if s["st_shndx"] != "SHN_UNDEF"},
        }


def test_build_and_check(lab_build: LabBuild) -> None:
    prefix = lab_build.prefix
    result = lab_build.lab_cli("check", lab_build.host, "--ndk-version", "26.0.9635231")
    assert result.returncode == 0, result.stdout + result.stderr
    machine = MACHINES[lab_build.host][0]
    python = elf_facts(prefix / "bin" / "python3.13")
    assert python["machine"] == machine and python["interp"] == "/system/bin/linker64"
    assert "libpython3.13.so" in python["needed"]
    ssl_module = next((prefix / "lib" / "python3.13" / "lib-dynload").glob("_ssl.*.so"))
    facts = elf_facts(ssl_module)
    assert "libpython3.13.so" in facts["needed"] and facts["rpaths"] == []
    assert min(facts["aligns"]) >= 16384  # type: ignore[type-var]


def cert_pair(tmp_path: Path) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("the openssl command makes the test's certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="session")
def probes(lab_build: LabBuild, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """lab_probe.py's report from the Android python, once per host."""
    work = tmp_path_factory.mktemp("probe")
    cert, key = cert_pair(work)
    payload = (b"android lab " * 500) + bytes(range(256))
    result = subprocess.run(
        [*lab_build.python_command(), str(PROBE), str(cert), str(key), payload.hex()],
        env=lab_build.python_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"report": json.loads(result.stdout), "payload": payload, "cert": cert}


def test_runs_on_bionic(lab_build: LabBuild, probes: dict) -> None:
    report = probes["report"]
    assert report["platform"] == "android" and report["api_level"] == 24
    assert report["machine"] == MACHINES[lab_build.host][1]
    assert report["ext_suffix"] == f".cpython-313-{lab_build.host}.so"
    assert report["dynload"]["failed"] == {}
    assert OPTIONAL <= set(report["dynload"]["modules"])


def test_ssl_handshake_over_loopback(probes: dict) -> None:
    tls = probes["report"]["tls"]
    assert tls["server_got"] == "hello over tls" and tls["reply"] == "HELLO OVER TLS"
    assert tls["version"] == "TLSv1.3"
    expected = ssl.PEM_cert_to_DER_cert(probes["cert"].read_text())
    assert base64.b64decode(tls["peer_der"]) == expected
    assert re.match(r"OpenSSL 3\.5\.7\b", tls["openssl"]), tls["openssl"]


def test_hashlib_and_compression(probes: dict) -> None:
    report, payload = probes["report"], probes["payload"]
    assert report["hashlib"] == {name: hashlib.new(name, payload).hexdigest()
                                 for name in report["hashlib"]}
    assert {"sha256", "sha3_512", "shake_256", "blake2s"} <= set(report["openssl_md"])
    assert report["zlib"]["crc32"] == zlib.crc32(payload)
    assert zlib.decompress(base64.b64decode(report["zlib"]["compressed"])) == payload
    assert bz2.decompress(base64.b64decode(report["bz2"])) == payload
    assert lzma.decompress(base64.b64decode(report["lzma"])) == payload


def test_sqlite3(probes: dict) -> None:
    sqlite = probes["report"]["sqlite"]
    assert sqlite["version"] == "3.46.1"
    assert sqlite["sum"] == [45, "".join(str(i) * i for i in range(10))]


def test_ctypes(probes: dict) -> None:
    ctypes_report = probes["report"]["ctypes"]
    assert ctypes_report["strlen"] == len("android")
    assert ctypes_report["qsort"] == [1, 2, 3, 4, 5]
    assert ctypes_report["sqrt"] == 14.0


def test_ctypes_long_double(probes: dict) -> None:
    """Android's x86_64 long double is IEEE binary128; libffi before 3.6
    passed it as x87 80-bit (libffi PR #976) and got 0.0 here: the pinned
    3.8.0 must get it right, through a C call and a C callback."""
    ctypes_report = probes["report"]["ctypes"]
    assert ctypes_report["sizeof_long_double"] == 16
    assert (ctypes_report["sqrtl"], ctypes_report["longdouble_callback"]) == (14.0, 14.0)


def test_testbed_native_code_links(lab_build: LabBuild, tmp_path: Path) -> None:
    """main_activity.c as the testbed's CMakeLists.txt builds it, with the lab's
    NDK clang, against the prefix's libpython; then loaded on bionic."""
    clang = lab_build.lab.clang_bin / f"{lab_build.host}24-clang"
    library = tmp_path / "libmain_activity.so"
    prefix = lab_build.prefix
    subprocess.run(
        [str(clang), "-shared", "-fPIC", "-O2", "-Wall", "-Werror",
         f"-I{prefix / 'include' / 'python3.13'}", str(MAIN_ACTIVITY),
         f"-L{prefix / 'lib'}", "-llog", "-lpython3.13", "-Wl,--no-undefined",
         "-Wl,-z,max-page-size=16384", "-o", str(library)], check=True)
    facts = elf_facts(library)
    assert facts["machine"] == MACHINES[lab_build.host][0]
    assert {"libpython3.13.so", "liblog.so"} <= set(facts["needed"])  # type: ignore[arg-type]
    assert min(facts["aligns"]) >= 16384  # type: ignore[type-var]
    jni = {name for name in facts["exports"] if name.startswith("Java_")}  # type: ignore[attr-defined]
    assert jni == {"Java_org_python_testbed_PythonTestRunner_redirectStdioToLogcat",
                   "Java_org_python_testbed_PythonTestRunner_runPython"}
    # The Android loader resolves it against bionic and the prefix's libpython.
    code = (f"import ctypes; lib = ctypes.CDLL({str(library)!r}); "
            "print(bool(lib.Java_org_python_testbed_PythonTestRunner_runPython))")
    result = subprocess.run([*lab_build.python_command(), "-c", code],
                            env=lab_build.python_env(), capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stdout) == (0, "True\n"), result.stderr


def test_lab_helper_says_why_it_cannot(tmp_path: Path) -> None:
    """tests/support/android_lab.py, as a user runs it: one line and status 2
    when the lab is missing."""
    env = dict(os.environ, CPYTHON_ANDROID_LAB_SOURCE=str(tmp_path),
               CPYTHON_ANDROID_LAB_DIR=str(tmp_path / "lab"),
               PYTHONPATH=f"{REPO / 'tests'}{os.pathsep}{REPO / 'Tools'}")
    result = subprocess.run([sys.executable, "-m", "support.android_lab"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"android-lab: no android-lab in {tmp_path} " \
        "(set CPYTHON_ANDROID_LAB_SOURCE)\n"
    assert not (tmp_path / "lab").exists()


def test_openssl_for_android_is_built_through_ccache(lab_x86_64: LabBuild) -> None:
    """OpenSSL's android-* targets name the NDK clang themselves: --ccache must
    still reach its compiler (ccache's stats log names every file it saw)."""
    if not re.search(r"^<== deps openssl .*: done", lab_x86_64.first_build.stdout, re.MULTILINE):
        pytest.skip("OpenSSL was not built in this session (the build was up to date)")
    compiled = [line[2:] for line in lab_x86_64.ccache_log.read_text().splitlines()
                if line.startswith("# ")]
    openssl = [name for name in compiled if "/openssl-" in name or name.startswith("crypto/")]
    assert "crypto/evp/p_verify.c" in compiled or any(
        name.endswith("/crypto/evp/p_verify.c") for name in compiled), compiled[:20]
    assert len(openssl) > 500, len(openssl)


def test_lab_build_shares_the_session_build_python(lab_x86_64: LabBuild) -> None:
    """The lab builds in the GNU session build's cross-build directory: its
    build python is not configured or made a second time."""
    if not (lab_x86_64.cross_build / "aarch64-linux-gnu").is_dir():
        pytest.skip("no GNU session build here to share (no aarch64-linux-gnu cross compiler)")
    output = lab_x86_64.first_build.stdout
    assert "==> configure-build: up to date" in output, output[-3000:]
    assert "==> make-build: up to date" in output, output[-3000:]
