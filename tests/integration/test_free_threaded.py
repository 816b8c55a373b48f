"""Free-threaded CPython (`build HOST --disable-gil`) end to end, for real:
built from Debian's 3.13.5 source for aarch64-linux-gnu, run under qemu-user,
tested, checked, packaged, and given a cross-built C extension wheel."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from support.cli import GNU_HOST, build_command, ccache_env, free_threaded_build_command

pytestmark = pytest.mark.integration
FT = "--disable-gil"
EXT = ".cpython-313t-aarch64-linux-gnu.so"
STEPS = ("configure-build", "make-build", f"configure-host {GNU_HOST}", f"make-host {GNU_HOST}")


def run_json(built, code: str, *options: str) -> object:
    result = built.cli("run", GNU_HOST, *options, "--", "-c", code, timeout=600, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_prefix_has_the_t_names(ft_build):
    prefix = ft_build.prefix
    assert ft_build.host_dir.name == f"{GNU_HOST}-t"
    assert (prefix / "bin" / "python3.13t").is_file()
    assert (prefix / "lib" / "libpython3.13t.so").exists()
    assert (prefix / "lib" / "python3.13t" / "os.py").is_file()
    assert (prefix / "include" / "python3.13t" / "Python.h").is_file()
    modules = list((prefix / "lib" / "python3.13t" / "lib-dynload").glob("*.so"))
    assert modules and all(m.name.endswith(EXT) for m in modules), modules[:3]
    assert not (prefix / "lib" / "libpython3.13.so").exists()


def test_build_python_is_free_threaded_too(ft_build):
    build_python = ft_build.cross_build / "build-t" / "python"
    out = subprocess.run([build_python, "-c", "import sys, sysconfig; print("
                          "sysconfig.get_config_var('Py_GIL_DISABLED'), sys._is_gil_enabled())"],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "False"]


def test_gil_is_disabled_under_qemu(ft_build):
    code = ("import sys, sysconfig, json, platform, subprocess; print(json.dumps(["
            "sys._is_gil_enabled(), sysconfig.get_config_var('Py_GIL_DISABLED'), sys.abiflags, "
            "platform.machine(), subprocess.run([sys.executable, '-c', 'import sys; "
            "print(sys._is_gil_enabled())'], capture_output=True, text=True).stdout.strip()]))")
    assert run_json(ft_build, code, FT) == [False, 1, "t", "aarch64", "False"]


def test_build_again_is_a_no_op(ft_build):
    libpython = ft_build.prefix / "lib" / "libpython3.13t.so.1.0"
    installed = libpython.stat().st_mtime_ns

    result = ft_build.cli(*free_threaded_build_command(GNU_HOST), env=ccache_env(), check=True)

    for step in STEPS:
        assert f"==> {step}: up to date" in result.stdout, result.stdout
    assert "<== " not in result.stdout
    assert libpython.stat().st_mtime_ns == installed


def test_default_and_free_threaded_live_side_by_side(gnu_build, ft_build):
    """Switching variants rebuilds neither: both builds are no-ops, both run."""
    for built, command in ((gnu_build, build_command(GNU_HOST)),
                           (ft_build, free_threaded_build_command(GNU_HOST))):
        result = built.cli(*command, env=ccache_env(), check=True)
        assert "<== " not in result.stdout, result.stdout
    code = "import sys, json; print(json.dumps([sys._is_gil_enabled(), sys.abiflags]))"
    assert run_json(gnu_build, code) == [True, ""]
    assert run_json(ft_build, code, FT) == [False, "t"]


def test_threaded_regrtest_passes_through_test(ft_build, tmp_path: Path):
    junit = tmp_path / "junit.xml"
    result = ft_build.cli("test", GNU_HOST, FT, "--shards", "2", "--junit-xml", junit, "--",
                          "test_thread", "test_threading_local", timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    xml = junit.read_text()
    assert "test.test_thread." in xml and "test.test_threading_local." in xml
    assert "<failure" not in xml and "<error" not in xml


def test_check_and_package(ft_build, tmp_path: Path):
    check = ft_build.cli("check", GNU_HOST, FT, timeout=600)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr
    assert f"lib/python3.13t/lib-dynload/_asyncio{EXT}" in check.stdout

    result = ft_build.cli("package", GNU_HOST, FT, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [tarball] = (ft_build.host_dir / "dist").glob("*.tar.gz")
    assert tarball.name == f"python-3.13.5t-{GNU_HOST}.tar.gz"
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp_path / "pkg", filter="tar")
    assert (tmp_path / "pkg" / "prefix" / "bin" / "python3.13t").is_file()
    # Package mode: the unpacked package runs its own python, no option needed.
    run = subprocess.run([sys.executable, tmp_path / "pkg" / "android.py", "run",
                          GNU_HOST, "--", "-c",
                          "import sys; print(sys._is_gil_enabled(), sys.abiflags)"],
                         capture_output=True, text=True, timeout=600)
    assert run.stdout.split()[-2:] == ["False", "t"], run.stdout + run.stderr


# A module that says it does not need the GIL: importing it must leave the GIL off.
MODULE_C = """
#include <Python.h>
static PyObject *compute(PyObject *self, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(3 * n);
}
static PyMethodDef methods[] = {{"compute", compute, METH_O, NULL}, {NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "triple", NULL, -1, methods};
PyMODINIT_FUNC PyInit_triple(void) {
    PyObject *m = PyModule_Create(&module);
#ifdef Py_GIL_DISABLED
    if (m != NULL) PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED);
#endif
    return m;
}
"""
SETUP_PY = """
from setuptools import Extension, setup
setup(name="triple", version="1.0", ext_modules=[Extension("triple", ["triple.c"])])
"""


def test_setuptools_wheel_is_cp313t_and_imports_under_qemu(ft_build, tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "setup.py").write_text(textwrap.dedent(SETUP_PY))
    (project / "triple.c").write_text(MODULE_C)
    env, dist = tmp_path / "env", tmp_path / "dist"

    result = ft_build.cli("build-wheel", GNU_HOST, FT, project, "-o", dist, "--env", env,
                          timeout=1200)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [wheel] = dist.glob("*.whl")
    assert {str(t) for t in parse_wheel_filename(wheel.name)[3]} == {
        "cp313-cp313t-linux_aarch64"}
    site = tmp_path / "site-packages"
    subprocess.run([env / "bin" / "python", "-m", "pip", "install", "--no-deps", "--target",
                    site, wheel], check=True, capture_output=True)
    assert [p.name for p in site.glob("*.so")] == [f"triple{EXT}"]
    n = random.randint(10, 10_000)
    run = ft_build.cli("test", GNU_HOST, FT, "--site-packages", site, "-c",
                       f"import sys, triple; print('ANSWER', triple.compute({n}), "
                       "sys._is_gil_enabled())", timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"ANSWER {3 * n} False" in run.stdout
