"""Where a test runs: ONE typed value, made once from the command line.

`Native` (HOST `build`), `Qemu` (a GNU host under qemu-user), `Connected`,
`Managed` and `Avd` (Android, through adb and the testbed app), and
`Registered`: a kind of target the product does not ship, registered by
whoever calls `cli.main` with it (the tests' android-lab, tests/support/lab_runner.py).
A registered kind declares its own `test` option and makes its own runners.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..adb_address import DeviceAddress
from ..errors import UserError
from ..hosts import Host

if TYPE_CHECKING:
    from .base import Runner, RunnerSpec

#: The HOST argument of `android.py test` that selects the native build python.
NATIVE_HOST = "build"


@dataclass(frozen=True)
class Native:
    """The native build python (HOST `build`)."""


@dataclass(frozen=True)
class Qemu:
    """A GNU cross host's python under qemu-user."""


@dataclass(frozen=True)
class Connected:
    addresses: tuple[DeviceAddress, ...]  # --connected A,B: one shard each


@dataclass(frozen=True)
class Managed:
    name: str  # --managed: a Gradle managed device


@dataclass(frozen=True)
class Avd:
    name: str  # --avd: an emulator we create and boot


class TargetKind(Protocol):
    """A target the product does not ship: its `test` option, its runners."""

    dest: str  # the option's argparse dest, e.g. "lab"

    def add_option(self, group: argparse._ActionsContainer) -> None:
        """Add the option to `test`'s group of where-to-run options."""
        ...

    def create_runners(self, spec: RunnerSpec, value: Any, count: int) -> Sequence[Runner]:
        """`count` runners for `spec` (its host and layout) and the option's value."""
        ...


@dataclass(frozen=True)
class Registered:
    kind: TargetKind
    value: Any  # the option's parsed value


Target = Native | Qemu | Connected | Managed | Avd | Registered


def target_of(host: Host | None, *, connected: Sequence[DeviceAddress] = (),
              managed: str | None = None, avd: str | None = None,
              registered: Registered | None = None) -> Target:
    """The one target the options name for `host` (None: the build python); the one
    place that checks they name exactly one that fits the host."""
    chosen = [flag for flag, value in (("--connected", connected), ("--managed", managed),
                                       ("--avd", avd)) if value]
    if registered is not None:
        if chosen:
            raise UserError(f"--{registered.kind.dest} is not allowed with {chosen[0]}")
        return registered
    if host is None or not host.is_android:
        if chosen:
            raise UserError(f"{host or NATIVE_HOST} is not an Android host: "
                            "--connected/--managed/--avd are for Android hosts")
        return Native() if host is None else Qemu()
    if len(chosen) != 1:
        raise UserError("choose where to run with exactly one of --connected SERIAL, "
                        f"--managed NAME or --avd NAME (got {' and '.join(chosen) or 'none'})")
    if managed:
        return Managed(managed)
    return Avd(avd) if avd else Connected(tuple(connected))
