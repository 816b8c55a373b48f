"""Small Python projects with C extensions, written by the wheel tests: each
module's `compute(n)` returns a value the test computes itself."""

from __future__ import annotations

import textwrap
from pathlib import Path

MODULE_C = """
#include <Python.h>
static PyObject *compute(PyObject *self, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(EXPRESSION);
}
static PyMethodDef methods[] = {{"compute", compute, METH_O, NULL}, {NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "NAME", NULL, -1, methods};
PyMODINIT_FUNC PyInit_NAME(void) { return PyModule_Create(&module); }
"""


def c_module(name: str, expression: str) -> str:
    return MODULE_C.replace("NAME", name).replace("EXPRESSION", expression)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def setuptools_project(root: Path, setup_py_prelude: str = "") -> Path:
    return write(root, {
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=68"]
            build-backend = "setuptools.build_meta"
            [project]
            name = "triple"
            version = "1.0"
            """,
        "setup.py": setup_py_prelude + textwrap.dedent("""
            from setuptools import Extension, setup
            setup(ext_modules=[Extension("triple", ["triple.c"])])
            """),
        "triple.c": c_module("triple", "3 * n"),
    })
