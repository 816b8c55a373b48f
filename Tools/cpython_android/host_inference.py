"""Which host `test` runs when no HOST is given, as upstream's `test` (which takes none).

Upstream's testbed (python/cpython `Platforms/Android/testbed/app/build.gradle.kts`)
packs every ABI built in the cross-build directory into one APK, so a device
runs the build of the first ABI in its `ro.product.cpu.abilist` that is there;
a Gradle managed emulator runs the machine's own architecture; a release
package holds one host.  The same choices here, as pure functions over facts
probed once (`probe`, the one function that looks at the world): each device
gets its own host, so one sharded run can span devices of different ABIs.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .adb_address import DeviceAddress
from .devices import Adb
from .errors import UserError
from .hosts import ANDROID_ABIS

#: platform.machine() on x86_64 and ARM64 machines (Linux and macOS say
#: x86_64/aarch64/arm64, Windows AMD64/ARM64) → the emulator image's host.
MACHINE_HOSTS = {"x86_64": "x86_64-linux-android", "amd64": "x86_64-linux-android",
                 "aarch64": "aarch64-linux-android", "arm64": "aarch64-linux-android"}
#: Android's ABI name → our triplet.
ABI_HOSTS = {abi.abi: triplet for triplet, abi in ANDROID_ABIS.items()}


@dataclass(frozen=True)
class Facts:
    """What the choice depends on, probed before it is made."""

    cross_build_dir: Path
    built: tuple[str, ...]  # hosts with an installed python there (any kind)
    machine: str  # platform.machine()
    package_host: str | None = None  # in an extracted release package: its host
    device_abis: Mapping[DeviceAddress, tuple[str, ...]] = field(default_factory=dict)
    emulator: str | None = None  # "--managed NAME" / "--avd NAME": an emulator we start


#: The hosts chosen: host → the devices that run it (none: a managed or AVD emulator).
Choice = dict[str, tuple[DeviceAddress, ...]]


def built_list(facts: Facts) -> str:
    android = [host for host in facts.built if host in ANDROID_ABIS]
    return ", ".join(android) if android else "none"


def host_for_device(device: DeviceAddress, abis: Sequence[str], facts: Facts) -> str:
    """The built host of the device's most preferred ABI, or one line saying why none."""
    if not abis:
        raise UserError(f"cannot infer HOST for device {device}: its ro.product.cpu.abilist "
                        "is empty; give HOST (`android.py test HOST ...`)")
    for abi in abis:
        if (host := ABI_HOSTS.get(abi)) and host in facts.built:
            return host
    wanted = ABI_HOSTS.get(abis[0], "")
    hint = f"`android.py build {wanted}`" if wanted else "a device of a supported ABI"
    raise UserError(f"no build for {abis[0]} (device {device} runs {', '.join(abis)}) in "
                    f"{facts.cross_build_dir}: built Android hosts: {built_list(facts)}; "
                    f"run {hint}, or give HOST")


def host_for_machine(facts: Facts) -> str:
    """An emulator we start runs this machine's architecture."""
    host = MACHINE_HOSTS.get(facts.machine.lower())
    if host is None:
        raise UserError(f"cannot infer HOST for {facts.emulator}: this machine is "
                        f"{facts.machine or 'of unknown architecture'}, neither x86_64 nor "
                        "ARM64, so no emulator image matches it; give HOST")
    if host not in facts.built:
        abi = ANDROID_ABIS[host].abi
        raise UserError(f"no build for {abi} ({facts.emulator} runs this machine's "
                        f"{facts.machine}) in {facts.cross_build_dir}: built Android hosts: "
                        f"{built_list(facts)}; run `android.py build {host}`, or give HOST")
    return host


def choose(facts: Facts) -> Choice:
    """The host of each device (or of the emulator), or one line naming what was looked at."""
    if facts.package_host is not None:
        return {facts.package_host: tuple(facts.device_abis)}
    if facts.device_abis:
        choice: Choice = {}
        for device, abis in facts.device_abis.items():
            host = host_for_device(device, abis, facts)
            choice[host] = (*choice.get(host, ()), device)
        return choice
    if facts.emulator is not None:
        return {host_for_machine(facts): ()}
    raise UserError(f"no HOST given and none to infer: no --connected or --managed device, "
                    f"not a release package; hosts built in {facts.cross_build_dir}: "
                    f"{', '.join(facts.built) or 'none'}; give HOST (or `build` for the "
                    "build python)")


def check_given(host: str, facts: Facts) -> None:
    """HOST given with --connected: each device must run its ABI, said in one line
    before anything is installed (a device that lists no ABIs is not judged)."""
    abi = ANDROID_ABIS[host].abi
    for device, abis in facts.device_abis.items():
        if abis and abi not in abis:
            raise UserError(f"device {device} runs {', '.join(abis)}, not {abi} ({host}): "
                            "give the HOST of one of its ABIs, or leave HOST out to run "
                            "its preferred built one")


def describe(choice: Choice, facts: Facts) -> list[str]:
    """What was chosen and why, one line per host (shown before the run)."""
    lines = []
    for host, devices in choice.items():
        if facts.package_host is not None:
            why = "the release package's host"
        elif devices:
            why = "; ".join(f"{device} runs {', '.join(facts.device_abis[device])}"
                            for device in devices)
        else:
            why = f"{facts.emulator} runs this machine's {facts.machine}"
        lines.append(f"HOST {host} ({why})")
    return lines


def probe(cross_build_dir: Path, built: Sequence[str], *, package_host: str | None,
          connected: Sequence[DeviceAddress], emulator: str | None) -> Facts:
    """The facts: each connected device's ABIs asked once, through its adb server."""
    # A release package runs its own host on every device (its ABIs are not asked):
    # the serials are kept, or `--connected SERIAL` would be lost.
    abis: dict[DeviceAddress, tuple[str, ...]] = {address: () for address in connected}
    if connected and package_host is None:
        adb = Adb.from_environment()
        abis = {address: tuple(adb.device_at(address).abis()) for address in connected}
    return Facts(cross_build_dir, tuple(built), platform.machine(), package_host, abis,
                 emulator)
