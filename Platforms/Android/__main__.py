#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = ["adbutils>=2.12", "junitparser>=3.1", "packaging>=24.2", "pyelftools>=0.31"]
# ///
"""Build CPython for Android and run its test suite: the command line.

A thin shim over the `cpython_android` library, in every place upstream keeps
its script: `Android/android.py` (this repository, and copied into a 3.13 or
3.14 checkout), `Platforms/Android/__main__.py` (main's shape, run as
`python3 Platforms/Android`) and `android.py` at a release package's root.
The three are the same file.  Run it with `--help`.

Standard library only until `bootstrap` has made our third-party packages
importable (installing them once if this python3 lacks them); the PEP 723
block above lets `uv run` and `pipx run` provide them instead.
"""

import sys
from pathlib import Path

# As requires-python above, before any other import (so no traceback on an old python3).
if sys.version_info < (3, 11):  # noqa: UP036
    print("android.py: error: needs Python 3.11 or newer, this is "
          f"{sys.version.split()[0]}: run it with a newer python3", file=sys.stderr)
    sys.exit(3)

SCRIPT_DIR = Path(__file__).resolve().parent

# The library: Tools/ beside this script in a release package, one level up
# from Android/, two from Platforms/Android/; else an installed copy.
for tools in (SCRIPT_DIR / "Tools", SCRIPT_DIR.parent / "Tools",
              SCRIPT_DIR.parent.parent / "Tools"):
    if (tools / "cpython_android" / "bootstrap.py").is_file():
        sys.path.insert(0, str(tools))
        break

from cpython_android import bootstrap  # noqa: E402

if __name__ == "__main__":
    if status := bootstrap.ready():
        sys.exit(status)
    # Only now: the command line imports the packages bootstrap made importable.
    from cpython_android.cli import main

    # Where this script is tells the library which checkout (or release
    # package) it was copied into: an argument, so no child process inherits it.
    sys.exit(main(script_dir=SCRIPT_DIR))
