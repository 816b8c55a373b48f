"""Hosts: which triplets are accepted and what each implies."""

import pytest

from cpython_android.errors import UserError
from cpython_android.hosts import Kind, parse_host


@pytest.mark.parametrize("triplet, abi, tag", [
    ("aarch64-linux-android", "arm64-v8a", "android_24_arm64_v8a"),
    ("x86_64-linux-android", "x86_64", "android_24_x86_64"),
    ("arm-linux-androideabi", "armeabi-v7a", "android_24_armeabi_v7a"),
    ("i686-linux-android", "x86", "android_24_x86"),
])
def test_android_hosts(triplet, abi, tag):
    host = parse_host(triplet)
    assert host.kind is Kind.ANDROID
    assert host.android.abi == abi
    assert host.platform_tag == tag


def test_api_level_changes_the_wheel_tag():
    assert parse_host("aarch64-linux-android", 33).platform_tag == "android_33_arm64_v8a"


@pytest.mark.parametrize("triplet, machine, qemu", [
    ("aarch64-linux-gnu", "aarch64", "aarch64"),
    ("arm-linux-gnueabihf", "armv7l", "arm"),
    ("riscv64-linux-gnu", "riscv64", "riscv64"),
    ("powerpc64le-linux-gnu", "ppc64le", "ppc64le"),
    ("i686-linux-gnu", "i686", "i386"),
])
def test_gnu_hosts(triplet, machine, qemu):
    host = parse_host(triplet)
    assert host.kind is Kind.GNU
    assert host.machine == machine
    assert host.qemu_arch == qemu
    assert host.platform_tag == f"linux_{machine}"


@pytest.mark.parametrize("bad", ["foo", "aarch64-linux-musl", "x86_64-apple-darwin",
                                 "aarch64-linux-androidx", ""])
def test_unknown_hosts_list_the_choices(bad):
    with pytest.raises(UserError) as info:
        parse_host(bad)
    assert "aarch64-linux-android" in str(info.value) and "linux-gnu" in str(info.value)


@pytest.mark.parametrize("level", [20, 0, -1, "x", "24.5"])
def test_bad_api_levels(level):
    with pytest.raises(UserError):
        parse_host("aarch64-linux-android", level)
