"""`android.py cross-env HOST DIR`: the environment and the cross files beside it.

GNU: a real environment over the session's aarch64 build, asked what it
answers.  Android: a real environment of the same build python over an
Android prefix and the NDK directory layout the tests make (stub tools: the
files and tags are checked, never a build).
"""

from __future__ import annotations

import ast
import configparser
import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from cpython_android.abi import PythonABI
from cpython_android.crossenv import files
from cpython_android.crossenv.target import CrossTarget
from cpython_android.hosts import ANDROID_ABIS, parse_host
from cpython_android.toolchains import ToolchainOptions
from cpython_android.toolchains.ndk import DEFAULT_NDK_VERSION, NdkToolchain
from cpython_android.wheels import host_tags
from support.cli import GNU_HOST, run_cli
from support.ndk_layout import PREBUILT, make_ndk
from support.trees import fake_checkout

PROBE = """
import json, os, platform, sys, sysconfig
out = {"platform": sysconfig.get_platform(), "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
       "include": sysconfig.get_paths()["include"], "cross": getattr(sys, "cross_compiling", None),
       "machine": platform.machine(), "sys_platform": sys.platform,
       "host_platform": os.environ.get("_PYTHON_HOST_PLATFORM"), "cc": os.environ.get("CC"),
       "cflags": os.environ.get("CFLAGS")}
if hasattr(sys, "getandroidapilevel"):
    out["api"] = sys.getandroidapilevel()
    out["android_ver_api"] = platform.android_ver().api_level
    out["system"] = platform.system()
print(json.dumps(out))
"""


def probe(python: Path, **env: str) -> dict:
    import os

    result = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True,
                            env={**os.environ, **env}, check=True)
    return json.loads(result.stdout)


def meson_file(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(path)
    return parser


def meson_value(parser: configparser.ConfigParser, section: str, key: str):
    return ast.literal_eval(parser[section][key])  # meson's quoting is Python's


@pytest.mark.integration
def test_gnu_env_python_answers_as_the_host(cross_env, gnu_build):
    answers = probe(cross_env / "bin" / "python")
    assert answers["platform"] == "linux-aarch64"
    assert answers["host_platform"] == "linux-aarch64"
    assert answers["ext_suffix"] == ".cpython-313-aarch64-linux-gnu.so"
    assert answers["cross"]
    assert answers["machine"] == "aarch64"
    assert answers["cc"].endswith(f"{GNU_HOST}-gcc")
    # The host's own headers (its pyconfig.h), not the build machine's.
    include = Path(answers["include"])
    assert include == (gnu_build.prefix / "include" / "python3.13").resolve()
    assert (include / "pyconfig.h").is_file()


@pytest.mark.integration
def test_gnu_env_keeps_the_users_flags_after_its_own(cross_env, gnu_build):
    answers = probe(cross_env / "bin" / "python", CFLAGS="-DFROM_USER")
    include = (gnu_build.prefix / "include").resolve()
    assert answers["cflags"] == f"-I{include} -DFROM_USER"


@pytest.mark.integration
def test_gnu_env_can_be_the_build_machine_again(cross_env):
    answers = probe(cross_env / "bin" / "python", CPYTHON_ANDROID_CROSS="0")
    assert answers["platform"] == "linux-x86_64"
    assert not answers["cross"]


@pytest.mark.integration
def test_gnu_cross_files(cross_env, gnu_build):
    prefix = gnu_build.prefix.resolve()
    cmake = (cross_env / "toolchain.cmake").read_text()
    assert "set(CMAKE_SYSTEM_NAME Linux)" in cmake
    assert "set(CMAKE_SYSTEM_PROCESSOR aarch64)" in cmake
    assert f'set(Python3_INCLUDE_DIR "{prefix}/include/python3.13")' in cmake
    assert 'set(Python3_SOABI cpython-313-aarch64-linux-gnu CACHE STRING "")' in cmake
    meson = meson_file(cross_env / "meson-cross.ini")
    assert meson_value(meson, "binaries", "c")[0].endswith(f"{GNU_HOST}-gcc")
    assert meson_value(meson, "binaries", "python") == [str(cross_env / "bin" / "python")]
    assert meson_value(meson, "host_machine", "cpu_family") == "aarch64"
    assert meson_value(meson, "host_machine", "system") == "linux"
    pbc = tomllib.loads((cross_env / "py-build-cmake.cross.toml").read_text())
    assert pbc == {
        "implementation": "cp", "version": "313", "abi": "cp313", "arch": "linux_aarch64",
        "prefix": str(prefix), "library": f"{prefix}/lib/libpython3.13.so",
        "include_dir": f"{prefix}/include/python3.13", "soabi": "cpython-313-aarch64-linux-gnu",
        "toolchain_file": str(cross_env / "toolchain.cmake")}
    for name in ("library", "include_dir", "toolchain_file"):
        assert Path(pbc[name]).exists(), name


def fake_android_prefix(prefix: Path, host: str) -> None:
    """What `make install` leaves for an Android host, as far as cross-env reads it."""
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python3.13").write_bytes(b"\x7fELF")
    (prefix / "include" / "python3.13").mkdir(parents=True)
    (prefix / "include" / "python3.13" / "patchlevel.h").write_text(
        '#define PY_VERSION "3.13.5"\n')
    stdlib = prefix / "lib" / "python3.13"
    stdlib.mkdir(parents=True)
    values = {"prefix": "/usr/local", "VERSION": "3.13", "ABIFLAGS": "", "MULTIARCH": host,
              "MACHDEP": "android",
              "SOABI": f"cpython-313-{host}", "EXT_SUFFIX": f".cpython-313-{host}.so",
              "INCLUDEPY": "/usr/local/include/python3.13", "Py_ENABLE_SHARED": 1}
    (stdlib / f"_sysconfigdata__android_{host}.py").write_text(f"build_time_vars = {values!r}\n")


@pytest.mark.integration
def test_android_env_answers_as_an_android_host(gnu_build, tmp_path: Path):
    host = "aarch64-linux-android"
    home = tmp_path / "sdk"
    ndk = make_ndk(home, DEFAULT_NDK_VERSION)
    cross_build = tmp_path / "xb"
    fake_android_prefix(cross_build / host / "prefix", host)
    cross_build.joinpath("build").symlink_to(gnu_build.cross_build / "build")
    env_dir = tmp_path / "env"

    result = run_cli("--checkout", fake_checkout(tmp_path / "cpython"), "--cross-build-dir",
                     cross_build, "cross-env", host, "--api-level", "26", env_dir,
                     env={"ANDROID_HOME": str(home)})

    assert result.returncode == 0, result.stdout + result.stderr
    answers = probe(env_dir / "bin" / "python")
    assert answers["platform"] == "android-26-arm64_v8a"
    assert answers["api"] == answers["android_ver_api"] == 26
    assert answers["system"] == "Android"
    assert answers["sys_platform"] == "android"
    assert answers["ext_suffix"] == ".cpython-313-aarch64-linux-android.so"
    clang = ndk / "toolchains" / "llvm" / "prebuilt" / PREBUILT / "bin" / \
        "aarch64-linux-android26-clang"
    assert answers["cc"] == str(clang)
    cmake = (env_dir / "toolchain.cmake").read_text()
    assert "set(ANDROID_ABI arm64-v8a)" in cmake
    assert "set(ANDROID_PLATFORM android-26)" in cmake
    assert f'include("{ndk}/build/cmake/android.toolchain.cmake")' in cmake
    meson = meson_file(env_dir / "meson-cross.ini")
    assert meson_value(meson, "binaries", "c") == [str(clang)]
    assert meson_value(meson, "host_machine", "system") == "android"
    assert "-Wl,-z,max-page-size=16384" in meson_value(meson, "built-in options", "c_link_args")
    pbc = tomllib.loads((env_dir / "py-build-cmake.cross.toml").read_text())
    assert pbc["arch"] == "android_26_arm64_v8a"
    assert pbc["soabi"] == "cpython-313-aarch64-linux-android"


@pytest.mark.parametrize("triplet", sorted(ANDROID_ABIS))
def test_android_cross_files_for_every_abi(triplet: str, tmp_path: Path, monkeypatch):
    host = parse_host(triplet, 30)
    home = tmp_path / "sdk"
    ndk = make_ndk(home, DEFAULT_NDK_VERSION)
    monkeypatch.setenv("ANDROID_HOME", str(home))
    prefix = tmp_path / "prefix"
    fake_android_prefix(prefix, triplet)
    toolchain = NdkToolchain.locate(host, prefix, ToolchainOptions(install_missing=False))
    target = CrossTarget(host, PythonABI((3, 13)), prefix,
                         next((prefix / "lib" / "python3.13").glob("_sysconfigdata_*.py")),
                         toolchain.environment(), ndk)
    abi = ANDROID_ABIS[triplet]

    assert target.platform_tag == f"android_30_{abi.wheel_arch}"
    assert f"cp313-cp313-{target.platform_tag}" in host_tags(host, PythonABI((3, 13)))
    assert f"set(ANDROID_ABI {abi.abi})" in files.cmake_toolchain(target)
    meson = files.meson_cross_file(target, tmp_path / "python")
    family = {"arm-linux-androideabi": "arm", "i686-linux-android": "x86"}.get(
        triplet, triplet.split("-")[0])
    assert f"cpu_family = '{family}'" in meson
    assert f"{abi.clang_triplet}30-clang'" in meson
    pbc = tomllib.loads(files.py_build_cmake_cross(target, tmp_path / "toolchain.cmake"))
    assert pbc["arch"] == target.platform_tag


def test_cross_env_before_the_host_python_is_built(tmp_path: Path):
    result = run_cli("--checkout", fake_checkout(tmp_path / "cpython"), "--cross-build-dir",
                     tmp_path / "xb", "cross-env", GNU_HOST, tmp_path / "env")
    assert result.returncode == 3  # not built yet: missing setup
    assert result.stderr.count("\n") == 1
    assert f"run `android.py build {GNU_HOST}` first" in result.stderr
    assert not (tmp_path / "env").exists()


@pytest.mark.integration
def test_cross_env_refuses_a_directory_in_use(gnu_build, tmp_path: Path):
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "notes.txt").write_text("mine")
    result = gnu_build.cli("cross-env", GNU_HOST, tmp_path / "env")
    assert result.returncode == 2
    assert "android.py did not create it" in result.stderr
    assert [p.name for p in (tmp_path / "env").iterdir()] == ["notes.txt"]
