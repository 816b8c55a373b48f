"""Run an Android host's python on the android-lab's bionic runtime (`--lab DIR`):
a target kind the tests register (`LAB`, through lab_entry.py), not one the
product ships.

The android-lab (see ../shared/android-lab/README.md of this project's
machines, laid out by its `make-lab.sh DIR --link-system`) holds Android 9's
own `/system` trees: bionic's linker64, libc, libm, liblog, libc++.  An
x86_64-linux-android python runs on it natively once `/system` links to the
lab's x86 runtime (its ELF interpreter is /system/bin/linker64); an
aarch64-linux-android one runs under qemu-user with `-L DIR/root-arm64`.
No device, no adb, no app: the harness drives the real Android python the
way it drives a GNU host under qemu, so sharding, resume and JUnit are
exercised on Android's libc.  It is chosen only by `--lab`, never by itself.

As for qemu, a wrapper script beside the python sets the library path and
PYTHONHOME and, under qemu, makes itself sys.executable (`-0 "$0"`), so
children the python starts re-enter the runtime.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass
from pathlib import Path

from cpython_android.errors import UserError
from cpython_android.hosts import Host
from cpython_android.runners import NATIVE_HOST, RunnerSpec
from cpython_android.runners.local import LocalRunner, target_environment, write_wrapper
from cpython_android.runners.qemu import qemu_binary

WRAPPER_SUFFIX = "-lab"
SYSTEM_LINK = Path("/system")
#: The lab's runtime tree per host (make-lab.sh: runtime/x86, runtime/arm).
RUNTIMES = {"x86_64-linux-android": "x86", "aarch64-linux-android": "arm"}


@dataclass(frozen=True)
class LabPython:
    """The host python of a prefix, made runnable on the lab's runtime."""

    host: Host
    python: Path  # prefix/bin/pythonX.Y
    lab: Path  # make-lab.sh's DIR

    @property
    def prefix(self) -> Path:
        return self.python.parent.parent

    @property
    def wrapper(self) -> Path:
        return self.python.with_name(self.python.name + WRAPPER_SUFFIX)

    @property
    def native(self) -> bool:
        """x86_64 runs here without an emulator; the rest under qemu-user."""
        return self.host.triplet == "x86_64-linux-android"

    def check(self) -> None:
        """UserError unless the lab can run this host's programs."""
        runtime = RUNTIMES.get(self.host.triplet)
        if runtime is None:
            raise UserError(f"the android-lab runs only {' and '.join(RUNTIMES)} programs, "
                            f"not {self.host}")
        linker = self.lab / "runtime" / runtime / "bin" / "linker64"
        if not linker.is_file():
            raise UserError(f"--lab {self.lab}: no {linker}: lay the lab out with "
                            f"make-lab.sh {self.lab}")
        if not self.native:
            return
        system_linker = SYSTEM_LINK / "bin" / "linker64"
        if not (system_linker.exists() and system_linker.samefile(linker)):
            raise UserError(f"--lab {self.lab}: {SYSTEM_LINK} is not the lab's runtime, so "
                            f"{self.host} programs cannot start: run make-lab.sh {self.lab} "
                            "--link-system as root")

    def ensure_wrapper(self) -> Path:
        self.check()
        if self.native:
            run = f'exec {shlex.quote(str(self.python))} "$@"'
        else:
            qemu = qemu_binary(self.host)  # qemu-aarch64: named by the cpu
            root = self.lab / "root-arm64"
            run = (f'exec {shlex.quote(str(qemu))} -L {shlex.quote(str(root))} -0 "$0" '
                   f'{shlex.quote(str(self.python))} "$@"')
        return write_wrapper(self.wrapper, [
            "#!/bin/sh",
            "# Runs the Android python on the android-lab's bionic runtime.  Written by",
            "# android.py test --lab.",
            f'export LD_LIBRARY_PATH={shlex.quote(str(self.prefix / "lib"))}',
            f"export PYTHONHOME={shlex.quote(str(self.prefix))}",
            run,
        ])


def create_lab_runners(host: Host, python: Path, lab: Path, count: int) -> list[LocalRunner]:
    """`count` runners for the Android python on the lab (one process per shard)."""
    wrapper = LabPython(host, python, lab.resolve()).ensure_wrapper()
    env = target_environment()
    name = f"lab-{host.cpu}"
    return [LocalRunner(name=f"{name}-{index + 1}" if count > 1 else name,
                        command=[str(wrapper)], env=env)
            for index in range(count)]


def lab_dir(value: str) -> Path:
    path = Path(value).expanduser()
    if not value.strip() or not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is not a directory")
    return path.resolve()


class LabKind:
    """`test --lab DIR` (and `pythoninfo --lab DIR`): the android-lab as a target."""

    dest = "lab"

    def add_option(self, group: argparse._ActionsContainer) -> None:
        group.add_argument("--lab", type=lab_dir, metavar="DIR", default=None,
                           help="Android: run the host python on the android-lab's bionic "
                           "runtime in DIR (make-lab.sh DIR), without a device")

    def create_runners(self, spec: RunnerSpec, value: Path, count: int) -> list[LocalRunner]:
        if spec.host is None or not spec.host.is_android:
            raise UserError(f"--lab runs Android hosts' pythons, not {spec.host or NATIVE_HOST}'s")
        python = spec.layout.require_host_python(spec.host)
        return create_lab_runners(spec.host, python, value, count)


LAB = LabKind()
