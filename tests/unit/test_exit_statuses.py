"""Each kind of failure exits with its own status through the real command line
(the table in errors.py and README), so CI can tell a typo from a machine that
lacks an SDK, from a broken device, from a failed build."""

from __future__ import annotations

from pathlib import Path

from cpython_android.layout import Layout
from support.adb_double import AdbDouble
from support.cli import run_cli
from support.devices import ANDROID_HOST, fake_apks
from support.trees import fake_checkout


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("android.py: error: "), stderr
    return lines[0]


def test_bad_input_is_usage_status_2(tmp_path: Path):
    result = run_cli("--checkout", fake_checkout(tmp_path / "co"), "build", "mips-unknown-plan9")
    assert result.returncode == 2
    assert "unknown host 'mips-unknown-plan9'" in one_error_line(result.stderr)


def test_a_missing_sdk_is_setup_status_3(tmp_path: Path):
    result = run_cli("--checkout", fake_checkout(tmp_path / "co"), "--cross-build-dir",
                     tmp_path / "xb", "build", ANDROID_HOST, env={"ANDROID_HOME": ""})
    assert result.returncode == 3
    assert "ANDROID_HOME is not set" in one_error_line(result.stderr)


def test_a_host_not_built_yet_is_setup_status_3(tmp_path: Path):
    result = run_cli("--checkout", fake_checkout(tmp_path / "co"), "--cross-build-dir",
                     tmp_path / "xb", "package", "aarch64-linux-gnu")
    assert result.returncode == 3
    assert "run `android.py build aarch64-linux-gnu` first" in one_error_line(result.stderr)


def test_no_device_is_infrastructure_status_4(double: AdbDouble, tmp_path: Path):
    fake_apks(Layout(tmp_path / "xb"))
    result = run_cli("--checkout", fake_checkout(tmp_path / "co"), "--cross-build-dir",
                     tmp_path / "xb", "test", ANDROID_HOST, "--connected", "emulator-5554",
                     env=double.env)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "no Android device is attached" in one_error_line(result.stderr)


def test_a_failed_command_is_status_1_with_command_status_tail_and_log(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "co")
    (checkout / "configure").write_text("#!/bin/sh\necho 'checking for a compiler... none'\n"
                                        "exit 77\n")
    (checkout / "configure").chmod(0o755)
    result = run_cli("--checkout", checkout, "--cross-build-dir", tmp_path / "xb",
                     "configure-build")
    assert result.returncode == 1
    assert "checking for a compiler... none" in result.stderr  # the output's tail
    assert "exited with status 77" in result.stderr and "configure" in result.stderr
    log = tmp_path / "xb" / "logs" / "configure-build.log"
    assert f"full log: {log}" in result.stderr and log.is_file()
