"""`android.py build-wheel HOST PROJECT -o DIST`: real cross-built wheels, run under qemu.

Each project is written here: a setuptools C extension, a meson-python C
extension, a py-build-cmake C++ extension and a scikit-build-core C extension.
Its wheel must carry the host's tag and an aarch64 extension; installed into a
site-packages directory of its own, `android.py test HOST --site-packages DIR
-c ...` imports it on the target (qemu-user) and calls a function whose
result the test computes.
"""

from __future__ import annotations

import random
import subprocess
import textwrap
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from cpython_android.abi import PythonABI
from cpython_android.hosts import parse_host
from cpython_android.wheels import elf_machines, host_tags
from support.cli import GNU_HOST, run_cli
from support.projects import c_module, setuptools_project, write
from support.trees import fake_checkout


def meson_project(root: Path) -> Path:
    return write(root, {
        "pyproject.toml": """
            [build-system]
            requires = ["meson-python"]
            build-backend = "mesonpy"
            [project]
            name = "square"
            version = "1.0"
            """,
        "meson.build": """
            project('square', 'c')
            py = import('python').find_installation(pure: false)
            py.extension_module('square', 'square.c', install: true)
            """,
        "square.c": c_module("square", "n * n"),
    })


def py_build_cmake_project(root: Path) -> Path:
    return write(root, {
        "pyproject.toml": """
            [build-system]
            requires = ["py-build-cmake~=0.5"]
            build-backend = "py_build_cmake.build"
            [project]
            name = "fib"
            version = "1.0"
            description = "Fibonacci numbers in C++"
            [tool.py-build-cmake.module]
            directory = "src"
            [tool.py-build-cmake.cmake]
            minimum_version = "3.18"
            build_type = "Release"
            source_path = "."
            install_components = ["python_modules"]
            """,
        "src/fib/__init__.py": "from ._core import compute\n",
        "CMakeLists.txt": """
            cmake_minimum_required(VERSION 3.18)
            project(fib LANGUAGES CXX)
            find_package(Python3 REQUIRED COMPONENTS Development.Module)
            Python3_add_library(_core MODULE core.cpp)
            install(TARGETS _core DESTINATION ${PY_BUILD_CMAKE_IMPORT_NAME}
                    COMPONENT python_modules)
            """,
        "core.cpp": """
            #include <Python.h>
            #include <vector>
            static PyObject *compute(PyObject *, PyObject *arg) {
                long n = PyLong_AsLong(arg);
                if (n == -1 && PyErr_Occurred()) return nullptr;
                std::vector<long> v{0, 1};
                for (long i = 2; i <= n; ++i) v.push_back(v[i - 1] + v[i - 2]);
                return PyLong_FromLong(v[n]);
            }
            static PyMethodDef methods[] = {{"compute", compute, METH_O, nullptr},
                                            {nullptr, nullptr, 0, nullptr}};
            static PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", nullptr, -1, methods};
            PyMODINIT_FUNC PyInit__core() { return PyModule_Create(&module); }
            """,
    })


def scikit_build_core_project(root: Path) -> Path:
    # No flag for the toolchain: CMake reads CMAKE_TOOLCHAIN_FILE from the
    # cross environment.
    return write(root, {
        "pyproject.toml": """
            [build-system]
            requires = ["scikit-build-core>=0.10"]
            build-backend = "scikit_build_core.build"
            [project]
            name = "cube"
            version = "1.0"
            """,
        "CMakeLists.txt": """
            cmake_minimum_required(VERSION 3.18)
            project(cube LANGUAGES C)
            find_package(Python COMPONENTS Interpreter Development.Module REQUIRED)
            Python_add_library(cube MODULE cube.c WITH_SOABI)
            install(TARGETS cube DESTINATION .)
            """,
        "cube.c": c_module("cube", "n * n * n"),
    })


def fibonacci(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def build_wheel(gnu_build, cross_env: Path, project: Path, dist: Path):
    return gnu_build.cli("build-wheel", GNU_HOST, project, "-o", dist, "--env", cross_env,
                         timeout=900)


CASES = {
    # name: (project writer, module to import, python expression for n)
    "setuptools": (setuptools_project, "triple", lambda n: 3 * n),
    "meson-python": (meson_project, "square", lambda n: n * n),
    "py-build-cmake": (py_build_cmake_project, "fib", fibonacci),
    "scikit-build-core": (scikit_build_core_project, "cube", lambda n: n ** 3),
}


@pytest.mark.integration
@pytest.mark.parametrize("backend", sorted(CASES))
def test_cross_built_wheel_runs_on_the_host(backend, gnu_build, cross_env, tmp_path: Path):
    writer, module, expected = CASES[backend]
    project = writer(tmp_path / "project")
    dist = tmp_path / "dist"

    result = build_wheel(gnu_build, cross_env, project, dist)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1
    name, _, _, tags = parse_wheel_filename(wheels[0].name)
    assert {str(t) for t in tags} == {"cp313-cp313-linux_aarch64"}
    machines = elf_machines(wheels[0])
    assert machines and set(machines.values()) == {"EM_AARCH64"}

    site = tmp_path / "site-packages"
    subprocess.run([str(cross_env / "bin" / "python"), "-m", "pip", "install", "--no-deps",
                    "--target", str(site), str(wheels[0])], check=True, capture_output=True)
    n = random.randint(10, 40)
    run = gnu_build.cli("test", GNU_HOST, "--site-packages", site, "-c",
                        f"import sysconfig, {module}; print(sysconfig.get_platform(), "
                        f"{module}.compute({n}))", timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.split()[-2:] == ["linux-aarch64", str(expected(n))]


@pytest.mark.integration
def test_backend_that_compiles_for_the_build_machine_is_refused(gnu_build, cross_env,
                                                                  tmp_path: Path):
    # This setup.py ignores the cross environment: the build machine's gcc.
    project = setuptools_project(tmp_path / "project", setup_py_prelude=textwrap.dedent("""
        import os
        os.environ.update(CC="gcc", LDSHARED="gcc -shared", CFLAGS="", LDFLAGS="")
        """))
    dist = tmp_path / "dist"

    result = build_wheel(gnu_build, cross_env, project, dist)

    assert result.returncode == 2
    assert "built for EM_X86_64, not EM_AARCH64" in result.stderr
    assert "ignored the cross environment" in result.stderr
    assert not list(dist.glob("*.whl"))


@pytest.mark.integration
def test_project_without_a_build_backend(gnu_build, cross_env, tmp_path: Path):
    project = write(tmp_path / "project", {"pyproject.toml": "[project]\nname = 'x'\n",
                                           "x.py": ""})
    result = build_wheel(gnu_build, cross_env, project, tmp_path / "dist")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "has no build backend" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_build_wheel_before_the_host_python_is_built(tmp_path: Path):
    project = setuptools_project(tmp_path / "project")
    result = run_cli("--checkout", fake_checkout(tmp_path / "cpython"), "--cross-build-dir",
                     tmp_path / "xb", "build-wheel", GNU_HOST, project, "-o", tmp_path / "dist")
    assert result.returncode == 3  # not built yet: missing setup, as package and cross-env
    assert result.stderr.count("\n") == 1
    assert f"run `android.py build {GNU_HOST}` first" in result.stderr
    assert not (tmp_path / "dist").exists()


PY313 = PythonABI((3, 13))
PY313T = PythonABI((3, 13), "t")


def test_android_tags_follow_packaging():
    tags = host_tags(parse_host("aarch64-linux-android", 24), PY313)
    assert "cp313-cp313-android_24_arm64_v8a" in tags
    assert "cp313-abi3-android_21_arm64_v8a" in tags  # lower API levels run too
    assert "py3-none-any" in tags
    assert not [t for t in tags if "android_25_" in t or "linux" in t or "x86_64" in t]
    arm = host_tags(parse_host("arm-linux-androideabi", 21), PY313)
    assert "cp313-cp313-android_21_armeabi_v7a" in arm


def test_gnu_tags():
    tags = host_tags(parse_host(GNU_HOST), PY313)
    assert "cp313-cp313-linux_aarch64" in tags
    assert "cp313-none-any" in tags
    assert not [t for t in tags if "x86_64" in t or "manylinux" in t or "cp312-cp312" in t]


def test_free_threaded_tags_are_cp313t_only():
    """A free-threaded host takes cp313t (PEP 738 tags on Android), never the
    default ABI's cp313 or abi3 wheels, whatever python runs android.py."""
    android = host_tags(parse_host("aarch64-linux-android", 24), PY313T)
    assert "cp313-cp313t-android_24_arm64_v8a" in android
    assert "cp313-cp313t-android_21_arm64_v8a" in android
    assert "py3-none-android_24_arm64_v8a" in android
    assert not [t for t in android if "-cp313-" in t or "-abi3-" in t]
    gnu = host_tags(parse_host(GNU_HOST), PY313T)
    assert "cp313-cp313t-linux_aarch64" in gnu
    assert "cp313-cp313-linux_aarch64" not in gnu
    assert "cp313-cp313t-linux_aarch64" not in host_tags(parse_host(GNU_HOST), PY313)
