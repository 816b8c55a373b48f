"""Runners: "run this host python with these arguments on this target, stream
its output, tell me how it ended".

One interface (`Runner`), one module per target kind: `qemu` (GNU cross hosts
under qemu-user), `native` (the build python), `android` (a device or
emulator through adb and the testbed app); and whatever target kind the
caller of `cli.main` registers (`target.Registered`: the tests' android-lab).
The harness (sharding, resume after a crash, JUnit) sits above it and never
asks which kind it drives.
"""

from __future__ import annotations

from ..errors import UserError
from .android import create_android_runners
from .base import Invocation, LineCallback, Outcome, Runner, RunnerSpec
from .native import create_native_runners
from .qemu import create_qemu_runners
from .target import (
    NATIVE_HOST,
    Avd,
    Connected,
    Managed,
    Native,
    Qemu,
    Registered,
    Target,
    TargetKind,
    target_of,
)

__all__ = ["NATIVE_HOST", "Avd", "Connected", "Invocation", "LineCallback", "Managed", "Native",
           "Outcome", "Qemu", "Registered", "Runner", "RunnerSpec", "Target", "TargetKind",
           "create_runners", "target_of"]


def create_runners(spec: RunnerSpec) -> list[Runner]:
    """One runner per shard for the spec's target."""
    count = max(1, spec.shards)
    if (spec.per_device or 1) > 1 and not isinstance(spec.target, Connected | Managed | Avd):
        raise UserError("--per-device is for Android devices (--connected, --avd): GNU and "
                        "native hosts run one process per shard; use --shards N")
    match spec.target:
        case Registered(kind, value):
            return list(kind.create_runners(spec, value, count))
        case Native():
            return list(create_native_runners(spec.layout.require_build_python(), count))
        case Qemu():
            assert spec.host is not None
            python = spec.layout.require_host_python(spec.host)
            return list(create_qemu_runners(spec.host, python, count))
    return list(create_android_runners(spec))
