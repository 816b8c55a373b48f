"""Our Android toolchain environment against upstream's own android-env.sh.

The test runs the `Android/android-env.sh` shipped in the CPython source on a
fake NDK layout and asserts that `android.py env HOST` gives the same value
for every variable the script exports, for the same NDK version and API level.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cpython_android.hosts import ANDROID_ABIS
from support.cli import REPO, run_cli
from support.ndk_layout import make_ndk

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def upstream_ndk_version(script: Path) -> str:
    return re.search(r"^ndk_version=(\S+)", script.read_text(), re.MULTILINE)[1]


def upstream_env(script: Path, env: dict[str, str], host: str, api_level: int,
                 prefix: Path) -> dict[str, str]:
    """Variables android-env.sh exports (those it changes from `env`)."""
    env = {**env, "HOST": host, "ANDROID_API_LEVEL": str(api_level)}  # the script's inputs
    command = f'set -eu; PREFIX="{prefix}"; . "{script}"; env -0'
    out = subprocess.run(["bash", "-c", command], env=env, capture_output=True, check=True).stdout
    after = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    return {key: value for key, value in after.items()
            if env.get(key) != value and key not in ("SHLVL", "_", "PWD", "OLDPWD")}


def our_env(output: str) -> dict[str, str]:
    """Evaluate `env` output the way a user does (`eval "$(android.py env HOST)"`)."""
    script = output + "\nenv -0\n"
    out = subprocess.run(["bash", "-c", script], env={}, capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


@pytest.mark.parametrize("host", list(ANDROID_ABIS))
@pytest.mark.parametrize("api_level", [24, 33])
def test_env_matches_upstream_android_env_sh(cpython_source, tmp_path, host, api_level):
    script = cpython_source / "Android" / "android-env.sh"
    version = upstream_ndk_version(script)
    sdk = tmp_path / "sdk"
    make_ndk(sdk, version)
    cross_build = tmp_path / "cross-build"
    prefix = cross_build / host / "prefix"
    prefix.mkdir(parents=True)
    base_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "ANDROID_HOME": str(sdk)}

    expected = upstream_env(script, base_env, host, api_level, prefix)
    result = run_cli("--checkout", cpython_source, "--cross-build-dir", cross_build, "env", host,
                     "--api-level", str(api_level), "--ndk-version", version, env=base_env)
    assert result.returncode == 0, result.stderr
    ours = our_env(result.stdout)

    assert {"CC", "CXX", "AR", "LDFLAGS", "CFLAGS", "PKG_CONFIG_LIBDIR"} <= expected.keys()
    for key, value in expected.items():
        assert ours.get(key) == value, f"{key}: ours {ours.get(key)!r}, upstream {value!r}"


def test_default_ndk_is_pinned_and_flags_are_documented_ones(tmp_path, cpython_source):
    sdk = tmp_path / "sdk"
    make_ndk(sdk, "27.3.13750724")
    result = run_cli("--checkout", cpython_source, "--cross-build-dir", tmp_path / "cb", "env",
                     "arm-linux-androideabi", env={"ANDROID_HOME": str(sdk)})
    assert result.returncode == 0, result.stderr
    env = our_env(result.stdout)
    assert "/ndk/27.3.13750724/" in env["CC"]
    assert env["CC"].endswith("armv7a-linux-androideabi24-clang")
    for flag in ("-Wl,-z,max-page-size=16384", "-Wl,--no-undefined", "-lm",
                 "-Wl,--build-id=sha1", "-Wl,--no-rosegment"):
        assert flag in env["LDFLAGS"].split()
    assert "-D__BIONIC_NO_PAGE_SIZE_MACRO" in env["CFLAGS"].split()
    assert "-march=armv7-a" in env["CFLAGS"].split() and "-mthumb" in env["CFLAGS"].split()
    assert env["PKG_CONFIG_LIBDIR"] == str((tmp_path / "cb" / "arm-linux-androideabi" /
                                            "prefix" / "lib" / "pkgconfig").resolve())


def test_missing_ndk_is_installed_with_sdkmanager(tmp_path, cpython_source):
    """With the SDK's command-line tools present, a missing NDK is installed."""
    sdk = tmp_path / "sdk"
    tools = sdk / "cmdline-tools" / "latest" / "bin"
    tools.mkdir(parents=True)
    # A stand-in sdkmanager that installs what it is asked for, as the real one does.
    (tools / "sdkmanager").write_text(f"""#!/bin/sh
echo "$@" >> "{tmp_path}/sdkmanager-calls"
cat > /dev/null
PYTHONPATH="{REPO / "tests"}:{REPO / "Tools"}" python3 -c "
import sys; from pathlib import Path; from support.ndk_layout import make_ndk
make_ndk(Path(sys.argv[1]), sys.argv[2].split(';')[1])" "{sdk}" "$1"
""")
    (tools / "sdkmanager").chmod(0o755)
    result = run_cli("--checkout", cpython_source, "--cross-build-dir", tmp_path / "cb", "env",
                     "x86_64-linux-android", env={"ANDROID_HOME": str(sdk)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sdkmanager-calls").read_text().split() == ["ndk;27.3.13750724"]
    assert "Installing ndk;27.3.13750724" in result.stderr
    # stdout is still only export lines, safe to eval.
    assert all(line.startswith("export ") for line in result.stdout.splitlines())
    assert "x86_64-linux-android24-clang" in our_env(result.stdout)["CC"]
