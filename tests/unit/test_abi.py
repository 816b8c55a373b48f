"""The free-threaded variant: what --disable-gil selects, and the names that follow.

These need no build: the integration tests (test_free_threaded.py) check the
same names on a real free-threaded build.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cpython_android.abi import (
    PythonABI,
    Variant,
    abi_of,
    read_installed,
    variant_for,
    with_variant_args,
)
from cpython_android.errors import UserError
from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from support.cli import GNU_HOST, run_cli
from support.trees import fake_checkout, fake_installed_python


def test_disable_gil_as_option_or_configure_argument_is_one_variant():
    assert variant_for((3, 13), (), disable_gil=True) == Variant(True)
    assert variant_for((3, 13), ("--with-pydebug", "--disable-gil")) == Variant(True)
    assert variant_for((3, 14), ("--with-pydebug",)) == Variant(False)
    # configure gets the flag once, however it was asked for.
    assert with_variant_args(Variant(True), ["--disable-gil", "-q"]) == ("--disable-gil", "-q")
    assert with_variant_args(Variant(False), ["-q"]) == ("-q",)


def test_disable_gil_needs_313():
    with pytest.raises(UserError, match="3.13 or newer"):
        variant_for((3, 12), (), disable_gil=True)


def test_names_follow_from_version_and_flags():
    ft = PythonABI((3, 13), "t")
    assert (ft.ldversion, ft.python_name, ft.libpython_name) == (
        "3.13t", "python3.13t", "libpython3.13t.so")
    assert (str(ft.stdlib_dir), str(ft.include_dir)) == ("lib/python3.13t", "include/python3.13t")
    assert (ft.interpreter_tag, ft.abi_tag, ft.package_version("3.13.5")) == (
        "cp313", "cp313t", "3.13.5t")
    default = PythonABI((3, 13))
    assert (default.python_name, default.abi_tag, default.free_threaded) == (
        "python3.13", "cp313", False)


def test_flags_come_from_sysconfig_values():
    assert abi_of({"VERSION": "3.13", "ABIFLAGS": "t"}) == PythonABI((3, 13), "t")
    assert abi_of({"VERSION": "3.13", "ABIFLAGS": "", "Py_GIL_DISABLED": 1}).free_threaded
    assert abi_of({"VERSION": "3.14", "ABIFLAGS": "d"}).python_name == "python3.14d"
    with pytest.raises(UserError, match="VERSION"):
        abi_of({"ABIFLAGS": "t"})


def test_variants_live_side_by_side(tmp_path: Path):
    host = parse_host(GNU_HOST)
    default, ft = Layout(tmp_path), Layout(tmp_path, variant=Variant(True))
    assert default.host_dir(host) == tmp_path / GNU_HOST
    assert ft.host_dir(host) == tmp_path / f"{GNU_HOST}-t"
    assert (default.build_dir, ft.build_dir) == (tmp_path / "build", tmp_path / "build-t")
    assert ft.log_path("make-build") != default.log_path("make-build")
    assert ft.log_path("make-host", host) != default.log_path("make-host", host)
    assert ft.lock_file == default.lock_file  # trusted hashes are shared


def test_installed_abi_is_read_from_the_prefix(tmp_path: Path):
    host = parse_host(GNU_HOST)
    ft = Layout(tmp_path, variant=Variant(True))
    fake_installed_python(ft.prefix(host), GNU_HOST, "t")
    assert read_installed(ft.prefix(host)) == PythonABI((3, 13), "t")
    assert ft.require_host_python(host) == ft.prefix(host) / "bin" / "python3.13t"


def test_run_without_the_variant_built_names_the_other(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    fake_installed_python(tmp_path / "xb" / GNU_HOST / "prefix", GNU_HOST)
    result = run_cli("--checkout", checkout, "--cross-build-dir", tmp_path / "xb", "run",
                     GNU_HOST, "--disable-gil", "--", "-c", "pass")
    assert result.returncode == 3  # not built: missing setup
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"build {GNU_HOST} --disable-gil" in lines[0]
    assert "leave out --disable-gil" in lines[0]


def test_disable_gil_on_an_old_checkout_is_one_line(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    (checkout / "Include" / "patchlevel.h").write_text('#define PY_VERSION "3.12.9"\n')
    result = run_cli("--checkout", checkout, "--cross-build-dir", tmp_path / "xb",
                     "configure-build", "--disable-gil")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "android.py: error: --disable-gil needs CPython 3.13 or newer; this checkout is 3.12"]
    assert not (tmp_path / "xb").exists()


def test_disable_gil_on_a_default_package_is_refused(tmp_path: Path):
    """An extracted release package has one prefix: asking it for the other variant is an
    error, not a silent run of the default python."""
    package = Layout(tmp_path / "xb", package_prefix=tmp_path / "pkg" / "prefix",
                     variant=Variant(True))
    fake_installed_python(tmp_path / "pkg" / "prefix", GNU_HOST)
    with pytest.raises(UserError, match="leave out --disable-gil"):
        package.require_host_python(parse_host(GNU_HOST))
