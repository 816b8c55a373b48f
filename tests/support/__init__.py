"""Helpers shared by the test modules (fixtures live in conftest.py; no test
module imports another).

    support.cli         running android.py as a user does; the session build
    support.trees       small fake trees: a CPython checkout, a shared library
    support.elf         Android ELF files made by clang + lld, a prefix around them
    support.devices     Android runner specs and fake APKs for the ADB double
    support.adb_double  an ADB server test double speaking adb's wire protocol
    support.ndk_layout  a fake Android SDK/NDK directory layout
    support.archives    prebuilt-library archives, a tree that installs them, tree snapshots
"""
