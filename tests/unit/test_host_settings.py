"""A host remembers what it was built with: later commands use the NDK version,
API level and configure arguments recorded at configure time; an explicit
other value reconfigures (build steps) or is a one-line error (the rest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cli import run_cli
from support.ndk_layout import make_ndk
from support.trees import fake_checkout

HOST = "x86_64-linux-android"
OLD_NDK, NEW_NDK = "26.1.10909125", "27.3.13750724"


class Tree:
    def __init__(self, tmp_path: Path) -> None:
        self.checkout = fake_checkout(tmp_path / "cpython")
        self.cross = tmp_path / "xb"
        self.sdk = tmp_path / "sdk"
        for version in (OLD_NDK, NEW_NDK):
            make_ndk(self.sdk, version)
        # configure-host needs a build python; this test builds nothing for real.
        build = self.cross / "build"
        build.mkdir(parents=True)
        (build / "python").write_text("#!/bin/sh\n")
        self.env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                    "ANDROID_HOME": str(self.sdk)}

    def cli(self, *args: str):
        return run_cli("--checkout", self.checkout, "--cross-build-dir", self.cross, *args,
                       env=self.env)

    @property
    def settings(self) -> dict[str, object]:
        return json.loads((self.cross / HOST / "settings.json").read_text())


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    built = Tree(tmp_path)
    result = built.cli("configure-host", HOST, "--ndk-version", OLD_NDK, "--api-level", "30",
                       "--no-deps", "--", "--with-pydebug")
    assert result.returncode == 0, result.stdout + result.stderr
    return built


def test_configure_host_records_what_the_host_is_built_with(tree: Tree):
    assert tree.settings == {"api_level": 30, "ndk_version": OLD_NDK,
                             "configure_args": ["--with-pydebug"]}


def test_later_commands_use_the_recorded_ndk_and_api_level(tree: Tree):
    result = tree.cli("env", HOST)
    assert result.returncode == 0, result.stderr
    assert f"/ndk/{OLD_NDK}/" in result.stdout and f"/ndk/{NEW_NDK}/" not in result.stdout
    assert "x86_64-linux-android30-clang" in result.stdout


@pytest.mark.parametrize("command", ["env", "check", "package", "test"])
def test_an_explicit_other_value_is_one_line_naming_the_recorded_one(tree: Tree, command):
    result = tree.cli(command, HOST, "--ndk-version", NEW_NDK)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"built with --ndk-version {OLD_NDK}" in lines[0]
    other_api = tree.cli(command, HOST, "--api-level", "33")
    assert other_api.returncode == 2 and "built with --api-level 30" in other_api.stderr


def test_the_same_value_given_again_is_fine(tree: Tree):
    result = tree.cli("env", HOST, "--ndk-version", OLD_NDK, "--api-level", "30")
    assert result.returncode == 0, result.stderr


def test_a_build_step_keeps_remembered_configure_arguments(tree: Tree):
    stamp = tree.cross / HOST / ".android-py-configure.json"
    (tree.cross / HOST / "Makefile").write_text("all:\n")  # configure made one
    before = stamp.read_text()
    result = tree.cli("configure-host", HOST, "--no-deps")
    assert result.returncode == 0, result.stderr
    assert "configure-host x86_64-linux-android: up to date" in result.stdout
    assert stamp.read_text() == before
    assert tree.settings["configure_args"] == ["--with-pydebug"]


def test_a_build_step_with_another_value_says_so_and_reconfigures(tree: Tree):
    stamp = tree.cross / HOST / ".android-py-configure.json"
    (tree.cross / HOST / "Makefile").write_text("all:\n")
    before = stamp.read_text()
    result = tree.cli("configure-host", HOST, "--ndk-version", NEW_NDK, "--no-deps")
    assert result.returncode == 0, result.stderr
    assert (f"{HOST} was built with --ndk-version {OLD_NDK}; reconfiguring with {NEW_NDK}"
            in result.stdout)
    assert stamp.read_text() != before
    assert tree.settings == {"api_level": 30, "ndk_version": NEW_NDK,
                             "configure_args": ["--with-pydebug"]}
    # From now on the new NDK is the remembered one.
    assert f"/ndk/{NEW_NDK}/" in tree.cli("env", HOST).stdout
