#!/usr/bin/env python3
"""Build CPython for Android and run its test suite: main's entry point.

CPython's main branch keeps its Android tooling in Platforms/Android/ and runs
it as `python3 Platforms/Android COMMAND`; copied there (with
Tools/cpython_android at the checkout's root), this tool runs the same way.
It is the same command line as Android/android.py, which 3.13 and 3.14 use.
"""

import sys
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent

# The library is Tools/cpython_android at the checkout's root, two levels up.
sys.path.insert(0, str(SCRIPT_DIR.parent.parent / "Tools"))

from cpython_android.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(script_dir=SCRIPT_DIR))
