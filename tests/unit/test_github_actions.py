"""On GitHub Actions, as upstream's script (python/cpython
`Platforms/Android/__main__.py`, `setup_ci` and `ci`): the KVM udev rule before
an emulator starts, and `ci`'s one-line skip where the runner cannot run one."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest

from cpython_android import ci
from cpython_android.console import Console
from cpython_android.context import make_context
from cpython_android.github_actions import KVM_RULE, SKIP_LINE, emulator_unsupported
from cpython_android.layout import Layout
from support.cli import run_cli
from support.devices import fake_apks
from support.trees import fake_checkout, fake_installed_python, script


@pytest.mark.parametrize(("env", "system", "machine", "skipped"), [
    ({"GITHUB_ACTIONS": "true"}, "Linux", "x86_64", False),  # ubuntu-24.04: KVM
    ({"GITHUB_ACTIONS": "true"}, "Darwin", "arm64", True),  # macos-15 (release-tools)
    ({"GITHUB_ACTIONS": "true"}, "Linux", "aarch64", True),  # ubuntu-24.04-arm
    ({"GITHUB_ACTIONS": "true"}, "Windows", "AMD64", True),
    ({}, "Darwin", "arm64", False),  # a developer's Mac runs the emulator
])
def test_ci_skips_the_emulator_tests_only_where_github_cannot_run_it(env, system, machine,
                                                                     skipped):
    assert emulator_unsupported(env, system, machine) is skipped
    assert SKIP_LINE == ("Skipping tests: GitHub Actions does not support the Android "
                         "emulator on this platform.")  # upstream's words


@pytest.mark.skipif(platform.system() != "Linux" or platform.machine() != "x86_64",
                    reason="the rule is for GitHub's Linux x86_64 runners")
def test_managed_test_on_github_actions_writes_the_kvm_rule_first(tmp_path: Path, monkeypatch):
    """A stand-in sudo records what would run as root; then the run goes on as
    far as a machine without an SDK allows."""
    record = tmp_path / "sudo-calls"
    bin_dir = tmp_path / "bin"
    script(bin_dir / "sudo", f'echo "sudo $*" >> "{record}"\n'
           f'if [ "$1" = tee ]; then cat >> "{record}"; fi\n')
    checkout = fake_checkout(tmp_path / "cpython")
    layout = Layout(tmp_path / "xb")
    fake_installed_python(layout.prefix("x86_64-linux-android"), "x86_64-linux-android")
    fake_apks(layout, "x86_64-linux-android")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)  # set below only
    result = run_cli("--checkout", checkout, "test", "--cross-build-dir", layout.root,
                     "--managed", "maxVersion", "-v", "--fast-ci",
                     env={"GITHUB_ACTIONS": "true", "ANDROID_HOME": "",
                          "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert record.read_text().splitlines() == [
        "sudo tee /etc/udev/rules.d/99-kvm4all.rules", KVM_RULE.rstrip("\n"),
        "sudo udevadm control --reload-rules", "sudo udevadm trigger --name-match=kvm"]
    assert result.returncode in (2, 3)
    assert result.stderr.splitlines() == [
        "android.py: error: ANDROID_HOME is not set: point it at your Android SDK "
        "(e.g. export ANDROID_HOME=~/Android/Sdk)"]
    # Off GitHub Actions nothing is run as root.
    record.unlink()
    run_cli("--checkout", checkout, "test", "--cross-build-dir", layout.root, "--managed",
            "maxVersion", env={"ANDROID_HOME": "", "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert not record.exists()


@pytest.mark.parametrize(("verbose", "count"), [(0, 1), (2, 2)])
def test_cis_package_test_gets_v_as_upstreams(tmp_path: Path, verbose, count):
    """Upstream's ci: `./android.py test --managed maxVersion -v --X-ci` in the package."""
    ctx = make_context(console=Console(), checkout=fake_checkout(tmp_path / "cpython"),
                       cross_build_dir=tmp_path / "xb", host="aarch64-linux-android")
    command = ci.test_command(tmp_path / "pkg", ctx, ci.CiOptions("fast", verbose=verbose))
    assert command[1] == str(tmp_path / "pkg" / "android.py")
    assert command.count("-v") == count
    assert command[command.index("--managed"):][:2] == ["--managed", "maxVersion"]
    assert "--fast-ci" in command
