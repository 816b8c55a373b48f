"""Each test file's time in the runs before, kept per host in the cross-build
directory (`logs/test-durations-HOST.json`), so a sharded run weighs its files
by what they really took, without `--durations` (as Flank and Marathon shard
by recorded timings).  A file's test-case count is a poor stand-in: on the
android-lab, test_ssl's 188 cases take 32 s and test_enum's 1,081 take 1 s.

The file is a cache: one that cannot be read is said once and ignored (the
run weighs by test cases), never an error.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..console import Console
from ..errors import UserError
from ..jsonrecords import Fields, load
from ..results import FileState, RunResults
from ..safefiles import atomic_write

VERSION = 1
#: States whose duration is the file's real cost (a crash's is partial).
_MEASURED = frozenset({FileState.PASSED, FileState.FAILED, FileState.ENV_CHANGED,
                       FileState.SKIPPED, FileState.RESOURCE_DENIED, FileState.NO_TESTS,
                       FileState.TIMED_OUT})


def record_path(logs_dir: Path, host: str) -> Path:
    return logs_dir / f"test-durations-{host}.json"


def read_recorded(path: Path, console: Console) -> dict[str, float]:
    """Seconds per test file from earlier runs; {} if none (or unreadable)."""
    try:
        data = load(path)
        if data is None:
            return {}
        fields = Fields(data, str(path))
        if fields.integer("version", 1, 1_000_000) != VERSION:
            return {}
        return {name: float(seconds) for name, seconds in fields.object("files").items()
                if isinstance(seconds, int | float) and not isinstance(seconds, bool)
                and math.isfinite(seconds) and seconds >= 0}
    except (UserError, OSError) as e:
        console.warn(f"warning: ignoring the recorded test durations ({e}); the test files "
                     "are weighed by their test cases")
        return {}


def write_recorded(path: Path, results: RunResults, console: Console) -> None:
    """This run's file times over the earlier ones (files it did not run keep theirs)."""
    measured = {name: round(f.duration, 3) for name, f in results.files.items()
                if f.status in _MEASURED and f.duration > 0}
    if not measured:
        return
    files = {**read_recorded(path, console), **measured}
    try:
        atomic_write(path, json.dumps({"version": VERSION, "files": files}, indent=0,
                                      sort_keys=True) + "\n", "the recorded test durations")
    except (UserError, OSError) as e:  # the run's own results are written: say it, go on
        console.warn(f"warning: the test durations were not recorded ({e})")
