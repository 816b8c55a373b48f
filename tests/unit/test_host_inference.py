"""`test` without HOST (issue 26, item 1): the choice over probed facts.

Upstream's `test` takes no HOST: its testbed APK carries every ABI built in the
cross-build directory (python/cpython `Platforms/Android/testbed/app/
build.gradle.kts`), the device runs the first ABI of its
`ro.product.cpu.abilist` that is there, and the Gradle managed emulator runs the
machine's own architecture.  The command-line runs are in
tests/integration/test_inferred_host.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cpython_android.errors import UserError
from cpython_android.host_inference import Facts, check_given, choose, describe

XB = Path("/work/xb")
BOTH = ("aarch64-linux-android", "aarch64-linux-gnu", "x86_64-linux-android")


def facts(**kwargs) -> Facts:
    return Facts(**{"cross_build_dir": XB, "built": BOTH, "machine": "x86_64", **kwargs})


@pytest.mark.parametrize(("abilist", "host"), [
    # In the device's order of preference, among the hosts built.
    (("arm64-v8a", "armeabi-v7a", "armeabi"), "aarch64-linux-android"),
    (("x86_64", "x86", "arm64-v8a"), "x86_64-linux-android"),
    # An x86 emulator image that also translates arm64: its first built ABI.
    (("x86", "arm64-v8a"), "aarch64-linux-android"),
])
def test_a_connected_device_runs_its_preferred_built_abi(abilist, host):
    assert choose(facts(device_abis={"A": abilist})) == {host: ("A",)}


def test_devices_of_different_abis_each_get_their_host():
    chosen = facts(device_abis={"A": ("arm64-v8a",), "B": ("x86_64", "x86"),
                                "C": ("arm64-v8a", "armeabi-v7a")})
    assert choose(chosen) == {"aarch64-linux-android": ("A", "C"),
                              "x86_64-linux-android": ("B",)}
    assert describe(choose(chosen), chosen) == [
        "HOST aarch64-linux-android (A runs arm64-v8a; C runs arm64-v8a, armeabi-v7a)",
        "HOST x86_64-linux-android (B runs x86_64, x86)"]


def test_no_build_for_the_devices_abi_is_one_line_naming_it_and_the_built_hosts():
    with pytest.raises(UserError) as error:
        choose(facts(built=("aarch64-linux-gnu", "x86_64-linux-android"),
                     device_abis={"A": ("arm64-v8a", "armeabi-v7a")}))
    assert str(error.value) == (
        "no build for arm64-v8a (device A runs arm64-v8a, armeabi-v7a) in /work/xb: built "
        "Android hosts: x86_64-linux-android; run `android.py build aarch64-linux-android`, "
        "or give HOST")


def test_a_device_with_no_abi_list_is_one_line():
    with pytest.raises(UserError, match="^cannot infer HOST for device A: its "
                       r"ro.product.cpu.abilist is empty; give HOST"):
        choose(facts(device_abis={"A": ()}))


@pytest.mark.parametrize(("machine", "host"), [
    ("x86_64", "x86_64-linux-android"),  # Linux, macOS on Intel
    ("AMD64", "x86_64-linux-android"),  # Windows
    ("aarch64", "aarch64-linux-android"),  # Linux on ARM64
    ("arm64", "aarch64-linux-android"),  # macOS on Apple silicon
    ("ARM64", "aarch64-linux-android"),  # Windows on ARM
])
def test_managed_runs_the_machines_architecture(machine, host):
    chosen = facts(machine=machine, emulator="--managed maxVersion")
    assert choose(chosen) == {host: ()}
    assert describe(choose(chosen), chosen) == [
        f"HOST {host} (--managed maxVersion runs this machine's {machine})"]


def test_managed_without_a_build_for_the_machine_is_one_line():
    with pytest.raises(UserError) as error:
        choose(facts(built=("aarch64-linux-android",), emulator="--managed maxVersion"))
    assert str(error.value) == (
        "no build for x86_64 (--managed maxVersion runs this machine's x86_64) in /work/xb: "
        "built Android hosts: aarch64-linux-android; run `android.py build "
        "x86_64-linux-android`, or give HOST")


def test_managed_on_another_architecture_is_one_line():
    with pytest.raises(UserError, match="^cannot infer HOST for --managed maxVersion: this "
                       "machine is riscv64, neither x86_64 nor ARM64"):
        choose(facts(machine="riscv64", emulator="--managed maxVersion"))


def test_a_release_package_runs_its_own_host():
    chosen = facts(package_host="x86_64-linux-android", built=(),
                   emulator="--managed maxVersion", machine="arm64")
    assert choose(chosen) == {"x86_64-linux-android": ()}
    assert describe(choose(chosen), chosen) == [
        "HOST x86_64-linux-android (the release package's host)"]


def test_nothing_to_infer_from_names_what_was_looked_at():
    with pytest.raises(UserError) as error:
        choose(facts())
    assert str(error.value) == (
        "no HOST given and none to infer: no --connected or --managed device, not a release "
        "package; hosts built in /work/xb: aarch64-linux-android, aarch64-linux-gnu, "
        "x86_64-linux-android; give HOST (or `build` for the build python)")


def test_a_given_host_is_checked_against_each_device():
    devices = facts(device_abis={"A": ("x86_64", "arm64-v8a"), "B": ("arm64-v8a",), "C": ()})
    check_given("aarch64-linux-android", devices)  # every device that lists ABIs runs it
    with pytest.raises(UserError, match=r"^device B runs arm64-v8a, not x86_64 "
                                        r"\(x86_64-linux-android\): give the HOST"):
        check_given("x86_64-linux-android", devices)
