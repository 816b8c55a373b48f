#!/usr/bin/env python3
"""Build CPython for Android and run its test suite: the command line.

A thin shim over the `cpython_android` library.  It works from this
repository (pass --checkout DIR or set CPYTHON_CHECKOUT) and when copied,
with Tools/cpython_android, into a CPython checkout (which it then finds
above itself).  Run `python Android/android.py --help`.
"""

import sys
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent

# The library lives in ../Tools beside this script, whether in our repository,
# in a CPython checkout, or in an extracted release package; an installed copy
# (pip install) is the fallback.
sys.path.insert(0, str(SCRIPT_DIR.parent / "Tools"))

from cpython_android.cli import main  # noqa: E402

if __name__ == "__main__":
    # Where this script is tells the library which checkout (or release
    # package) it was copied into: an argument, so no child process inherits it.
    sys.exit(main(script_dir=SCRIPT_DIR))
