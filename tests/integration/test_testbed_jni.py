"""The testbed app's native half and its storage rules, run on this machine
against the session's GNU build: main_activity.c (the JNI code that starts
Python in the app's process) linked with the build's libpython, and a C
extension passed with --site-packages to a device of the ADB double."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cpython_android.layout import Layout
from support.cli import REPO, run_cli
from support.devices import fake_apks
from support.testbed_files import APP, BUILD_KTS, MAIN_PY, Kotlin, asset_dir_of

# --- the JNI half, compiled and run on this machine ------------------------------------------

ANDROID_INCLUDES = [Path("/usr/include/android"), Path("/usr/include/android/nativehelper")]
LIBLOG_DIR = Path("/usr/lib/x86_64-linux-gnu/android")


@pytest.fixture(scope="module")
def jni_host(gnu_build, tmp_path_factory) -> tuple[Path, Path]:
    """main_activity.c linked with the native libpython and a stand-in JNIEnv.

    jni.h and android/log.h (+ liblog) come from Debian's android-libnativehelper-dev
    and android-liblog-dev; Python.h from the session's CPython 3.13 source and build.
    """
    if not (all(d.is_dir() for d in ANDROID_INCLUDES) and (LIBLOG_DIR / "liblog.so").exists()):
        pytest.skip("needs Debian's android-liblog-dev and android-libnativehelper-dev")
    build = gnu_build.cross_build / "build"
    work = tmp_path_factory.mktemp("jni")
    exe = work / "jni_host"
    subprocess.run(
        ["gcc", "-O0", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror",
         *(f"-I{d}" for d in ANDROID_INCLUDES), f"-I{gnu_build.checkout / 'Include'}",
         f"-I{build}", "-o", str(exe), str(REPO / "tests" / "jni_host.c"),
         str(APP / "src/main/c/main_activity.c"), str(build / "libpython3.13.a"),
         f"-L{LIBLOG_DIR}", f"-Wl,-rpath,{LIBLOG_DIR}", "-llog", "-ldl", "-lm",
         "-Xlinker", "-export-dynamic"], check=True)
    # PYTHONHOME as the app lays it out: lib/python3.13 with lib-dynload and
    # site-packages, and android_testbed_main.py where build.gradle.kts puts it.
    home = work / "home"
    stdlib = home / "lib" / "python3.13"
    (stdlib / "site-packages").mkdir(parents=True)
    for entry in (gnu_build.checkout / "Lib").iterdir():
        if entry.name != "site-packages":
            (stdlib / entry.name).symlink_to(entry)
    (stdlib / "lib-dynload").symlink_to(build / (build / "pybuilddir.txt").read_text().strip())
    main_dir = home / asset_dir_of(Kotlin(BUILD_KTS), MAIN_PY.parent).replace(
        "$pyPlusVer", "python3.13")
    (main_dir / MAIN_PY.name).symlink_to(MAIN_PY)
    return exe, home


def test_jni_starts_python_in_process(jni_host, tmp_path: Path) -> None:
    exe, home = jni_host
    code = ("import sys, os; print(sys.flags.bytes_warning, 'error' in sys.warnoptions, "
            "sys.argv, os.getcwd() == os.environ['PYTHON_CWD']); sys.exit(7)")
    env = dict(os.environ, PYTHON_MODE="-c", PYTHON_MODULE=code, PYTHON_ARGS="a 'b c'",
               PYTHON_CWD=str(tmp_path / "cwd"))
    # As MainActivity.kt calls it: options (pythonOptions), then -m android_testbed_main.
    argv = ["python", "-W", "error", "-bb", "-m", "android_testbed_main"]
    out = subprocess.run([exe, home, *argv], env=env, capture_output=True, text=True,
                         timeout=60)
    assert (out.returncode, out.stdout) == (7, "2 True ['-c', 'a', 'b c'] True\n"), out.stderr
    # A bad option: Python's own message, its exit status, no exception for Java.
    out = subprocess.run([exe, home, "python", "--bogus"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "unknown option --bogus" in out.stderr
    assert "RuntimeException" not in out.stderr
    # redirectStdioToLogcat: what C code writes to file descriptors 1 and 2
    # reaches liblog with the native.stdout (I) and native.stderr (W) tags.
    env["PYTHON_MODULE"] = ("import os; os.write(1, b'to fd 1\\n'); "
                            "os.write(2, b'to fd 2\\n')")
    out = subprocess.run([exe, home, "python", "-m", "android_testbed_main"],
                         env={**env, "JNI_HOST_REDIRECT": "1"}, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.splitlines()) == ["I/native.stdout: to fd 1",
                                               "W/native.stderr: to fd 2"]


def test_jni_interpreter_options_take_effect_at_startup(jni_host, tmp_path: Path) -> None:
    """Options are parsed before anything pre-initialises Python, as with `python`."""
    exe, home = jni_host
    code = ("import sys; f = sys.flags; "
            "print(f.utf8_mode, f.ignore_environment, f.dont_write_bytecode, f.no_site)")
    # C.UTF-8 is not the C locale: UTF-8 mode is off unless asked for.
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    base.update(PYTHON_MODE="-c", PYTHON_MODULE=code, PYTHON_CWD=str(tmp_path / "cwd"),
                LC_ALL="C.UTF-8")

    def flags(*options: str, **env: str) -> list[str]:
        out = subprocess.run([exe, home, "python", *options, "-m", "android_testbed_main"],
                             env={**base, **env}, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    # As for `python`, Python's environment variables count...
    assert flags(PYTHONDONTWRITEBYTECODE="1", PYTHONUTF8="1") == ["1", "0", "1", "0"]
    # ...unless -E, also for PYTHONUTF8, which the pre-initialisation reads.
    assert flags("-E", PYTHONDONTWRITEBYTECODE="1", PYTHONUTF8="1") == ["0", "1", "0", "0"]
    assert flags("-X", "utf8") == ["1", "0", "0", "0"]  # a pre-initialisation option
    # -S: no site module, and the app's main module is still found.
    assert flags("-S") == ["0", "0", "0", "1"]


# --- --site-packages/--cwd on a connected device: used from internal storage ---------------

EXTENSION_C = """
#include <Python.h>
static PyObject *hello(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString("compiled code runs");
}
static PyMethodDef methods[] = {{"hello", hello, METH_NOARGS, NULL}, {NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "spam", NULL, -1, methods};
PyMODINIT_FUNC PyInit_spam(void) { return PyModule_Create(&module); }
"""


def test_connected_site_packages_extension_loads_from_internal_storage(
        gnu_build, double, tmp_path: Path) -> None:
    """adb pushes to external storage (noexec on a device, and in the double): the app
    copies the trees into its internal storage, and a C extension imports from there."""
    build = gnu_build.cross_build / "build"
    python = build / "python"
    suffix = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_config_var("
                             "'EXT_SUFFIX'))"], capture_output=True, text=True,
                            check=True).stdout.strip()
    site, cwd = tmp_path / "site", tmp_path / "cwd"
    site.mkdir()
    cwd.mkdir()
    (tmp_path / "spam.c").write_text(EXTENSION_C)
    subprocess.run(["gcc", "-shared", "-fPIC", f"-I{gnu_build.checkout / 'Include'}",
                    f"-I{build}", "-o", str(site / f"spam{suffix}"), str(tmp_path / "spam.c")],
                   check=True)
    (cwd / "data.txt").write_text("from cwd")
    device = double.add_device("emulator-5554", tmp_path / "dev", python=[str(python)])
    layout = Layout(tmp_path / "xb")
    fake_apks(layout)
    code = ("import os, spam; print(spam.hello()); print(spam.__file__); print(os.getcwd()); "
            "print(open('data.txt').read())")
    result = run_cli("--checkout", gnu_build.checkout, "--cross-build-dir", layout.root,
                     "test", "aarch64-linux-android", "--connected", "emulator-5554",
                     "--site-packages", site, "--cwd", cwd, "-c", code, env=double.env,
                     timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    internal = device.path("/data/user/0/org.python.testbed/files/pushed")
    lines = result.stdout.splitlines()
    assert lines[-4:] == ["compiled code runs", str(internal / "site-packages" / f"spam{suffix}"),
                          str(internal / "cwd"), "from cwd"]
    # What adb pushed is on external storage, where the double's linker refuses it.
    [run] = device.instrument_args
    assert run["pythonSitePackages"].startswith("/sdcard/")
    pushed = device.path(run["pythonSitePackages"])
    (tmp_path / "imports_spam.py").write_text("import spam\n")
    out = subprocess.run([python, REPO / "tests/support/android_storage_rules.py",
                          device.path("/sdcard"), tmp_path / "imports_spam.py"],
                         env={**os.environ, "PYTHONPATH": str(pushed)}, capture_output=True,
                         text=True)
    assert "is not accessible for the namespace" in out.stderr
