"""The supported hosts (target triplets) and what each implies.

Android hosts use the NDK; any `*-linux-gnu*` triplet whose cross compiler is
on PATH is a GNU cross host, built the same way and run under qemu-user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from .errors import UserError
from .textutil import read_int

DEFAULT_API_LEVEL = 24
MIN_API_LEVEL = 21
#: Far past any Android release: a larger number is a typo (or an attack), not a level.
MAX_API_LEVEL = 999


class Kind(Enum):
    ANDROID = "android"
    GNU = "gnu"


@dataclass(frozen=True)
class AndroidABI:
    abi: str  # Android's ABI name: jniLibs directory, Gradle abiFilters
    wheel_arch: str  # PEP 738 wheel tag suffix: android_24_<wheel_arch>
    machine: str  # platform.machine() on the device
    clang_triplet: str  # prefix of the NDK's clang wrapper scripts
    elf_machine: str  # e_machine as pyelftools names it


ANDROID_ABIS: dict[str, AndroidABI] = {
    "aarch64-linux-android": AndroidABI("arm64-v8a", "arm64_v8a", "aarch64",
                                        "aarch64-linux-android", "EM_AARCH64"),
    "x86_64-linux-android": AndroidABI("x86_64", "x86_64", "x86_64",
                                       "x86_64-linux-android", "EM_X86_64"),
    "arm-linux-androideabi": AndroidABI("armeabi-v7a", "armeabi_v7a", "armv7l",
                                        "armv7a-linux-androideabi", "EM_ARM"),
    "i686-linux-android": AndroidABI("x86", "x86", "i686",
                                     "i686-linux-android", "EM_386"),
}

# GNU cpu → (qemu-user name, platform.machine(), ELF e_machine).
_GNU_CPUS: dict[str, tuple[str, str, str]] = {
    "aarch64": ("aarch64", "aarch64", "EM_AARCH64"),
    "aarch64_be": ("aarch64_be", "aarch64_be", "EM_AARCH64"),
    "arm": ("arm", "armv7l", "EM_ARM"),
    "armv7": ("arm", "armv7l", "EM_ARM"),
    "x86_64": ("x86_64", "x86_64", "EM_X86_64"),
    "i386": ("i386", "i686", "EM_386"),
    "i486": ("i386", "i686", "EM_386"),
    "i586": ("i386", "i686", "EM_386"),
    "i686": ("i386", "i686", "EM_386"),
    "riscv64": ("riscv64", "riscv64", "EM_RISCV"),
    "powerpc64le": ("ppc64le", "ppc64le", "EM_PPC64"),
    "powerpc64": ("ppc64", "ppc64", "EM_PPC64"),
    "s390x": ("s390x", "s390x", "EM_S390"),
    "mips64el": ("mips64el", "mips64", "EM_MIPS"),
    "loongarch64": ("loongarch64", "loongarch64", "EM_LOONGARCH"),
}
_GNU_TRIPLET = re.compile(r"^(?P<cpu>[a-z0-9_]+)-(?:[a-z0-9_]+-)?linux-gnu[a-z0-9_]*$")


@dataclass(frozen=True)
class Host:
    triplet: str
    kind: Kind
    api_level: int = DEFAULT_API_LEVEL  # meaningful for Android only

    @property
    def is_android(self) -> bool:
        return self.kind is Kind.ANDROID

    @property
    def android(self) -> AndroidABI:
        return ANDROID_ABIS[self.triplet]

    @property
    def cpu(self) -> str:
        return self.triplet.split("-")[0]

    @property
    def machine(self) -> str:
        """What `platform.machine()` answers on the host."""
        return self.android.machine if self.is_android else _GNU_CPUS[self.cpu][1]

    @property
    def qemu_arch(self) -> str:
        return _GNU_CPUS[self.cpu][0]

    @property
    def elf_machine(self) -> str:
        return self.android.elf_machine if self.is_android else _GNU_CPUS[self.cpu][2]

    @property
    def platform_tag(self) -> str:
        """The wheel platform tag (PEP 738 for Android, `linux_<machine>` for GNU)."""
        if self.is_android:
            return f"android_{self.api_level}_{self.android.wheel_arch}"
        return "linux_" + self.machine.replace("-", "_").replace(".", "_")

    def __str__(self) -> str:
        return self.triplet


def supported_description() -> str:
    return ", ".join(ANDROID_ABIS) + ", or a *-linux-gnu triplet such as aarch64-linux-gnu"


def parse_host(triplet: str, api_level: int = DEFAULT_API_LEVEL) -> Host:
    """A Host for a triplet, or a UserError that lists the choices."""
    if triplet in ANDROID_ABIS:
        return Host(triplet, Kind.ANDROID, validate_api_level(api_level))
    match = _GNU_TRIPLET.match(triplet)
    if match and match["cpu"] in _GNU_CPUS:
        return Host(triplet, Kind.GNU, api_level)
    raise UserError(f"unknown host {triplet!r}: choose one of {supported_description()}")


def is_host_name(name: str) -> bool:
    """Whether `name` is a triplet this tool builds (e.g. a cross-build tree's name)."""
    match = _GNU_TRIPLET.match(name)
    return name in ANDROID_ABIS or bool(match and match["cpu"] in _GNU_CPUS)


def validate_api_level(value: int | str) -> int:
    """An API level typed on the command line or remembered in settings.json."""
    try:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError
        level = value if isinstance(value, int) else read_int(
            value.strip(), "API level", low=-999_999, high=999_999)
    except ValueError:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise UserError(f"API level must be an integer, not {shown}") from None
    if level < MIN_API_LEVEL:
        raise UserError(f"API level {level} is too low: Python needs Android API level "
                        f"{MIN_API_LEVEL} or higher")
    if level > MAX_API_LEVEL:
        raise UserError(f"API level {level} is not an Android API level (at most "
                        f"{MAX_API_LEVEL})")
    return level
