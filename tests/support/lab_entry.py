"""android.py with the tests' android-lab registered: `python lab_entry.py
SHIM ARGS...` runs the entry script SHIM (Android/android.py, or an extracted
release package's android.py) as a user would, except that its command line
knows `--lab DIR` (lab_runner.LAB).  The product itself has no such option."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> int:
    shim, argv = Path(sys.argv[1]).resolve(), sys.argv[2:]
    # The shim puts its own library first on sys.path (and does nothing else
    # when not run as __main__): the lab runner then drives that library.
    runpy.run_path(str(shim), run_name="lab_entry")
    sys.path.append(str(Path(__file__).resolve().parent))
    import lab_runner  # after the shim: it imports the shim's library

    from cpython_android.cli import main as cli_main

    return cli_main(argv, script_dir=shim.parent, target_kinds=[lab_runner.LAB])


if __name__ == "__main__":
    sys.exit(main())
