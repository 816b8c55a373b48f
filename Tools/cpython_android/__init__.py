"""Build CPython for Android (and GNU cross hosts) and run its test suite there.

The command line (`Android/android.py`, `cpython-android`) is a thin layer over
this package: one module per concept, see README.rst for the map.
"""

__version__ = "0.1.0"
