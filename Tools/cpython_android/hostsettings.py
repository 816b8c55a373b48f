"""Remembered host settings: what a host was built with, used from then on.

`configure-host` records the NDK version, the API level and the extra
configure arguments in the host's cross-build directory (`Layout.
host_settings`).  Every later command for that host takes them from there
when the option is absent, so `build x86_64-linux-android --ndk-version V`
followed by `check`, `package`, `env` or `test` needs no `--ndk-version V`
again.  An explicit different value is a reconfigure for the build steps
(said so), and a one-line error for the commands that use the build.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from . import jsonrecords
from .errors import UserError
from .hosts import DEFAULT_API_LEVEL, MAX_API_LEVEL, Host, validate_api_level
from .safefiles import atomic_write, checked_name
from .toolchains.ndk import DEFAULT_NDK_VERSION


class Use(Enum):
    """How a command treats remembered settings."""

    BUILD = "build"  # may change them: an explicit other value reconfigures
    REQUIRE = "require"  # uses the build: an explicit other value is an error


@dataclass(frozen=True)
class HostSettings:
    api_level: int | None  # Android hosts only
    ndk_version: str | None  # Android hosts only
    configure_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requested:
    """What the command line asked for; None (or no arguments) when absent."""

    api_level: int | None = None
    ndk_version: str | None = None
    configure_args: tuple[str, ...] = ()


def load(path: Path) -> HostSettings | None:
    """What the host was built with; None if it was never configured.  Each
    value is checked as if typed on the command line (see `check`)."""
    data = jsonrecords.load(path)
    if data is None:
        return None
    fields = jsonrecords.Fields(data, str(path))
    return check(HostSettings(fields.integer("api_level", 0, MAX_API_LEVEL, None),
                              fields.text("ndk_version", None),
                              fields.texts("configure_args")), path)


def check(settings: HostSettings, path: Path) -> HostSettings:
    """Remembered values validated as the options they stand for."""
    try:
        if settings.api_level is not None:
            validate_api_level(settings.api_level)
        if settings.ndk_version is not None:
            checked_name(settings.ndk_version, "ndk_version")
    except UserError as e:
        raise UserError(f"{path}: {e}; delete the file, then build the host again with the "
                        "options you want") from None
    return settings


def save(path: Path, settings: HostSettings) -> None:
    """Written whole or not at all: an interrupted run leaves the old record."""
    atomic_write(path, json.dumps(asdict(settings), indent=2) + "\n", "the host settings")


def effective(host: Host, ndk_version: str | None,
              configure_args: Sequence[str]) -> HostSettings:
    """What a build of `host` uses (the NDK's default made explicit)."""
    if not host.is_android:
        return HostSettings(None, None, tuple(configure_args))
    return HostSettings(host.api_level, ndk_version or DEFAULT_NDK_VERSION,
                        tuple(configure_args))


def _differences(host: Host, recorded: HostSettings,
                 requested: Requested) -> list[tuple[str, str, str]]:
    """(option, recorded, requested) for each explicit value that differs."""
    found = []
    if host.is_android:
        if requested.api_level is not None and requested.api_level != recorded.api_level:
            found.append(("--api-level", str(recorded.api_level), str(requested.api_level)))
        if requested.ndk_version and requested.ndk_version != recorded.ndk_version:
            found.append(("--ndk-version", str(recorded.ndk_version), requested.ndk_version))
    if requested.configure_args and requested.configure_args != recorded.configure_args:
        found.append(("configure arguments", " ".join(recorded.configure_args) or "(none)",
                      " ".join(requested.configure_args)))
    return found


def resolve(host: Host, recorded: HostSettings | None, requested: Requested, use: Use,
            ) -> tuple[HostSettings, list[str]]:
    """The settings this command uses, and notes to show (a reconfigure)."""
    if recorded is None:
        api = requested.api_level or DEFAULT_API_LEVEL
        return HostSettings(api, requested.ndk_version, requested.configure_args), []
    changes = _differences(host, recorded, requested)
    if changes and use is Use.REQUIRE:
        option, was, wanted = changes[0]
        raise UserError(f"{host} was built with {option} {was}, not {wanted}: leave the option "
                        f"out, or rebuild with `android.py build {host} {option} {wanted}`"
                        if option.startswith("--") else
                        f"{host} was built with configure arguments {was}: rebuild to change them")
    notes = [f"{host} was built with {option} {was}; reconfiguring with {wanted}"
             for option, was, wanted in changes]
    return HostSettings(
        requested.api_level or recorded.api_level or DEFAULT_API_LEVEL,
        requested.ndk_version or recorded.ndk_version,
        requested.configure_args or recorded.configure_args), notes
