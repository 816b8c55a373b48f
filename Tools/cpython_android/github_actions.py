"""What upstream's script does on GitHub Actions, done the same way here.

python/cpython `Platforms/Android/__main__.py`: `setup_ci` (called by `test`)
writes a udev rule that opens /dev/kvm to the runner's user, so the emulator
is hardware-accelerated; `ci` skips its tests with one line where GitHub's
runners cannot run the Android emulator (anything but Linux x86_64: macOS
runners have no nested virtualization).  Both only when GITHUB_ACTIONS is set.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping

from .console import Console
from .errors import CommandFailed
from .process import run_captured

#: Upstream's rule, file and commands, verbatim.
KVM_RULE_FILE = "/etc/udev/rules.d/99-kvm4all.rules"
KVM_RULE = 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"\n'
KVM_COMMANDS = (["sudo", "tee", KVM_RULE_FILE], ["sudo", "udevadm", "control", "--reload-rules"],
                ["sudo", "udevadm", "trigger", "--name-match=kvm"])
SKIP_LINE = ("Skipping tests: GitHub Actions does not support the Android emulator on this "
             "platform.")


def on_github_actions(env: Mapping[str, str] | None = None) -> bool:
    return "GITHUB_ACTIONS" in (os.environ if env is None else env)


def emulator_unsupported(env: Mapping[str, str], system: str, machine: str) -> bool:
    """Whether this is a GitHub Actions runner that cannot run the emulator."""
    return on_github_actions(env) and (system, machine) != ("Linux", "x86_64")


def skip_emulator_tests(console: Console) -> bool:
    """`ci`: say so and skip where the runner cannot run the emulator."""
    if emulator_unsupported(os.environ, platform.system(), platform.machine()):
        console.write(SKIP_LINE)
        return True
    return False


def enable_kvm(console: Console) -> None:
    """Before starting an emulator on a GitHub Actions Linux runner: the udev rule."""
    if not on_github_actions() or platform.system() != "Linux":
        return
    console.write(f"GitHub Actions: opening /dev/kvm to this user ({KVM_RULE_FILE})")
    for command in KVM_COMMANDS:
        result = run_captured(command, input_text=KVM_RULE if "tee" in command else None,
                              timeout=60)
        if result.returncode != 0:
            raise CommandFailed(command, result.returncode, tail=result.output[-2000:])
