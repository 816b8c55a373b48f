"""Run the native build python (HOST `build`): the harness without a target.

Useful to check a selection or the harness itself quickly, and as the
reference the qemu and Android runs are compared against.  The build python
runs from the build directory (it finds Lib/ through pybuilddir.txt and the
source tree), so the working directory does not matter.
"""

from __future__ import annotations

import os
from pathlib import Path

from .local import LocalRunner

#: The HOST argument of `android.py test` that selects the build python.
NATIVE_HOST = "build"


def native_environment() -> dict[str, str]:
    env = dict(os.environ)
    # Settings meant for the python running android.py would redirect the
    # build python to another standard library.
    for name in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE"):
        env.pop(name, None)
    return env


def create_native_runners(python: Path, count: int) -> list[LocalRunner]:
    """`count` runners for the build python (one per shard, each a process)."""
    env = native_environment()
    return [LocalRunner(name=f"native-{index + 1}" if count > 1 else "native",
                        command=[str(python)], env=env)
            for index in range(count)]
