"""Prerequisite libraries for CPython's optional modules (bzip2, libffi,
OpenSSL, SQLite, xz, zstd; zlib on GNU hosts), installed into the host prefix.

    pins.toml   versions, prebuilt archive names and sha256, source archives
    pins        loading that table
    fetch       cache, download with retries, sha256 verification
    lock        trust-on-first-use hashes for archives with no pinned hash
    extract     safe extraction through a staging directory
    builders    building each library from source with the host's toolchain
    manifest    what is installed in the prefix and where it came from
    install     the `deps` step itself

This module imports nothing heavy: `steps` imports `options` from here.
"""

from .options import DepsOptions

__all__ = ["DepsOptions"]
