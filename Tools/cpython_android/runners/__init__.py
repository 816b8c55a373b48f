"""Runners: "run this host python with these arguments on this target, stream
its output, tell me how it ended".

One interface (`Runner`), one module per target kind: `qemu` (GNU cross hosts
under qemu-user), `native` (the build python), `android` (a device or
emulator through adb and the testbed app) and `lab` (an Android python on
the android-lab's bionic runtime, only with --lab).  The harness (sharding,
resume after a crash, JUnit) sits above it and never asks which kind it drives.
"""

from __future__ import annotations

from ..errors import UserError
from .android import create_android_runners
from .base import NATIVE_HOST, Invocation, LineCallback, Outcome, Runner, RunnerSpec
from .lab import create_lab_runners
from .native import create_native_runners
from .qemu import create_qemu_runners

__all__ = ["NATIVE_HOST", "Invocation", "LineCallback", "Outcome", "Runner", "RunnerSpec",
           "create_runners"]


def create_runners(spec: RunnerSpec) -> list[Runner]:
    """One runner per shard for the target the spec names."""
    count = max(1, spec.shards)
    if spec.lab is not None and (spec.host is None or not spec.host.is_android):
        raise UserError(f"--lab runs Android hosts' pythons, not {spec.host or NATIVE_HOST}'s")
    if spec.host is None:
        return list(create_native_runners(spec.layout.require_build_python(), count))
    if spec.lab is not None:
        python = spec.layout.require_host_python(spec.host)
        return list(create_lab_runners(spec.host, python, spec.lab, count))
    if spec.host.is_android:
        return list(create_android_runners(spec))
    python = spec.layout.require_host_python(spec.host)
    return list(create_qemu_runners(spec.host, python, count))
