"""The process layer: the only code that starts, signals or stops processes.

    sync   run with a log and progress (`run_logged`), captured (`capture`,
           `run_captured`), on the terminal (`run_foreground`), in the
           background (`start_background`); stopping a tree (`stop_tree`)
    aio    asyncio children: `start`, `pump_lines`, `stop_process_tree`
    tree   process trees from /proc: `descendants`, `kill_tree`, signals

Every other module calls these; tests/unit/test_structure.py checks that none
calls `subprocess`, `asyncio.create_subprocess_*` or `os.kill` itself.
"""

from .sync import (
    COMMAND_GRACE_SECONDS,
    DRAIN_SECONDS,
    TAIL_LINES,
    BackgroundProcess,
    Completed,
    cannot_start,
    capture,
    run_captured,
    run_foreground,
    run_logged,
    start_background,
    stop_tree,
)
from .tree import describe_returncode, kill_tree, signal_name, signal_process

__all__ = ["COMMAND_GRACE_SECONDS", "DRAIN_SECONDS", "TAIL_LINES", "BackgroundProcess",
           "Completed",
           "cannot_start", "capture", "describe_returncode", "kill_tree", "run_captured",
           "run_foreground", "run_logged", "signal_name", "signal_process", "start_background",
           "stop_tree"]
