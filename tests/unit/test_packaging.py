"""pyproject.toml ships what the tool needs: every package under Tools/, the
testbed as package data, and only package-data patterns that name real files."""

from __future__ import annotations

import tomllib

from support.cli import REPO

SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def package_path(name: str) -> str:
    """Where setuptools takes a package from (the longest package-dir match)."""
    dirs = SETUPTOOLS["package-dir"]
    parts = name.split(".")
    for cut in range(len(parts), -1, -1):
        key = ".".join(parts[:cut])
        if key in dirs:
            return "/".join([dirs[key], *parts[cut:]]).strip("/")
    raise AssertionError(f"no package-dir for {name}")


def test_every_package_under_tools_is_listed():
    on_disk = {str(p.parent.relative_to(REPO / "Tools")).replace("/", ".")
               for p in (REPO / "Tools" / "cpython_android").rglob("__init__.py")}
    listed = set(SETUPTOOLS["packages"])
    assert on_disk <= listed, f"missing from pyproject's packages: {sorted(on_disk - listed)}"
    for name in listed - on_disk:  # data-only packages: the testbed
        assert (REPO / package_path(name)).is_dir(), name


def test_every_package_data_pattern_names_files_that_exist():
    for package, patterns in SETUPTOOLS["package-data"].items():
        base = REPO / package_path(package)
        for pattern in patterns:
            assert any(p.is_file() for p in base.glob(pattern)), f"{package}: {pattern}"


def test_the_testbed_ships_with_its_sources():
    patterns = SETUPTOOLS["package-data"]["cpython_android.testbed_project"]
    base = REPO / package_path("cpython_android.testbed_project")
    shipped = {p for pattern in patterns for p in base.glob(pattern) if p.is_file()}
    for needed in ("settings.gradle.kts", "app/build.gradle.kts",
                   "app/src/main/c/main_activity.c",
                   "app/src/main/python/android_testbed_main.py"):
        assert base / needed in shipped, needed
