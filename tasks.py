"""invoke tasks: one per android.py subcommand, each running that subcommand
through the command line's own entry point (`cli.main`), so every option is
declared, parsed and checked once, in `cpython_android.cli`.

    invoke build --host aarch64-linux-gnu --checkout ~/cpython --args "--ccache"
    invoke test --host aarch64-linux-gnu --args "--shards 2 -- test_json"
    invoke --list
    invoke test -h          # a task's options (tasks have no short flags)
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from invoke import Exit, Task

sys.path.insert(0, str(Path(__file__).resolve().parent / "Tools"))

from cpython_android import cli  # noqa: E402

HELP = {"host": "HOST (or TARGET for build and clean), the subcommand's first argument",
        "args": "the subcommand's other arguments, as one shell-quoted string (see "
                "`android.py COMMAND --help`)",
        "checkout": "CPython source tree (--checkout)",
        "cross_build_dir": "where builds go (--cross-build-dir)",
        "verbose": "more output (-v)"}


def android(*argv: str) -> None:
    """Run `android.py ARGV`; its errors are reported as the command line does."""
    if status := cli.main(list(argv)):
        raise Exit(code=status)


def subcommand_task(command: cli.Command) -> Task:
    def run(c, host=None, args="", checkout=None, cross_build_dir=None, verbose=False):
        android(*(["--checkout", checkout] if checkout else []),
                *(["--cross-build-dir", cross_build_dir] if cross_build_dir else []),
                *(["-v"] if verbose else []),
                command.name, *([host] if host else []), *shlex.split(args))

    run.__doc__ = f"{command.help[0].upper()}{command.help[1:]}."
    # No automatic short flags: they would make `-h` mean --host, not help.
    return Task(run, name=command.name, help=HELP, auto_shortflags=False, positional=[])


for _command in cli.COMMANDS:
    globals()[_command.name.replace("-", "_")] = subcommand_task(_command)
del _command
