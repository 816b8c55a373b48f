"""Run a GNU cross host's python under qemu-user.

With no binfmt_misc registration, a child process the python starts with
`sys.executable` would be exec'ed natively and fail (ENOEXEC), so regrtest -j
and subprocess tests would break.  A small wrapper script in the prefix's bin
directory runs `qemu-<arch> -0 <wrapper> <python>`: the guest then sees the
wrapper as argv[0] and sys.executable, so children re-enter qemu too, and
getpath still finds the standard library next to it.
"""

from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import SetupError, UserError
from ..hosts import Host
from ..layout import Layout
from ..process import run_foreground
from .local import LocalRunner, target_environment, write_wrapper

WRAPPER_SUFFIX = "-qemu"


def qemu_binary(host: Host) -> Path:
    for name in (f"qemu-{host.qemu_arch}-static", f"qemu-{host.qemu_arch}"):
        if found := shutil.which(name):
            return Path(found)
    raise SetupError(f"qemu-{host.qemu_arch}-static is not on PATH: install qemu-user-static "
                     f"(Debian/Ubuntu) to run {host} programs")


def ld_prefix(host: Host) -> Path:
    """Where the target's libc lives (Debian's cross packages use /usr/<triplet>)."""
    return Path(os.environ.get("QEMU_LD_PREFIX") or f"/usr/{host.triplet}")


@dataclass(frozen=True)
class QemuPython:
    """The host python of a prefix, made runnable here."""

    host: Host
    python: Path  # prefix/bin/pythonX.Y (pythonX.Yt free-threaded)

    @property
    def prefix(self) -> Path:
        return self.python.parent.parent

    @property
    def wrapper(self) -> Path:
        return self.python.with_name(self.python.name + WRAPPER_SUFFIX)

    def ensure_wrapper(self) -> Path:
        qemu = qemu_binary(self.host)
        return write_wrapper(self.wrapper, [
            "#!/bin/sh",
            "# Runs the host python under qemu-user; children re-enter qemu through",
            "# this script because it is sys.executable.  Written by android.py.",
            f"export QEMU_LD_PREFIX={shlex.quote(str(ld_prefix(self.host)))}",
            f'export LD_LIBRARY_PATH={shlex.quote(str(self.prefix / "lib"))}'
            '${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}',
            f'exec {shlex.quote(str(qemu))} -0 "$0" {shlex.quote(str(self.python))} "$@"',
        ])

    def command(self, args: list[str]) -> list[str]:
        return [str(self.ensure_wrapper()), *args]


def create_qemu_runners(host: Host, python: Path, count: int) -> list[LocalRunner]:
    """`count` runners for the host python under qemu-user (one per shard).

    They share the wrapper: each run is its own process, so shards on a
    GNU host are processes on this machine.
    """
    wrapper = QemuPython(host, python).ensure_wrapper()
    env = target_environment()
    return [LocalRunner(name=f"qemu-{host.qemu_arch}-{index + 1}" if count > 1
                        else f"qemu-{host.qemu_arch}", command=[str(wrapper)], env=env)
            for index in range(count)]


def run_host_python(layout: Layout, host: Host, args: list[str]) -> int:
    """`android.py run HOST -- ARGS`: the installed host python, here, on our
    terminal; its exit status."""
    if host.is_android:
        raise UserError(f"`run` needs a GNU host; for {host} use `android.py test {host} "
                        "--connected SERIAL -c CODE`")
    python = layout.require_host_python(host)
    return run_foreground(QemuPython(host, python).command(args))
