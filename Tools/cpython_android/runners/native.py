"""Run the native build python (HOST `build`): the harness without a target.

Useful to check a selection or the harness itself quickly, and as the
reference the qemu and Android runs are compared against.  The build python
runs from the build directory (it finds Lib/ through pybuilddir.txt and the
source tree), so the working directory does not matter.
"""

from __future__ import annotations

from pathlib import Path

from .local import LocalRunner, target_environment


def create_native_runners(python: Path, count: int) -> list[LocalRunner]:
    """`count` runners for the build python (one per shard, each a process)."""
    env = target_environment()
    return [LocalRunner(name=f"native-{index + 1}" if count > 1 else "native",
                        command=[str(python)], env=env)
            for index in range(count)]
