"""Option values that are counts, names, patterns and device addresses: each read
with its bounds.

A number is read with the bounded reader (`textutil.read_int`), so `-j
99999999999999999999` or `-j ²` is one line, never make's problem or a
traceback; a name that becomes part of a path is a plain name
(`safefiles.checked_name`).
"""

from __future__ import annotations

import argparse

from ..adb_address import DeviceAddress, parse_addresses
from ..errors import UserError
from ..safefiles import checked_name
from ..testbed import MAX_APPS
from ..textutil import read_int

#: More parallel jobs than any machine has cores: a larger -j is a typo.
MAX_JOBS = 4096


def job_count(value: str) -> int:
    return _count(value, "jobs", MAX_JOBS)


def _count(value: str, what: str, most: int) -> int:
    """A whole number from 1 to `most`, read with the bounded reader."""
    try:
        number = read_int(value, what, low=-999_999_999, high=999_999_999)
    except ValueError:
        number = 0
    if not 1 <= number <= most:
        raise argparse.ArgumentTypeError(f"{value[:40]!r} is not a number of {what} (1 to "
                                         f"{most})")
    return number


#: More shards than processes or devices anyone runs at once.
MAX_SHARDS = 1024


def shard_count(value: str) -> int:
    return _count(value, "shards", MAX_SHARDS)


def per_device_count(value: str) -> int:
    """--per-device: at most the copies of the app one testbed build can hold."""
    return _count(value, "test processes per device", MAX_APPS)


def pull_pattern(value: str) -> str:
    """A --pull path or glob: absolute, or relative to the run's working
    directory (on Android: the app's external files directory); never `..`."""
    if not value.strip() or "\0" in value or "\n" in value:
        raise argparse.ArgumentTypeError(f"{value!r} is not a path or glob: name the files "
                                         "the run writes, e.g. --pull 'cov/*.dat'")
    if ".." in value.split("/"):
        raise argparse.ArgumentTypeError(f"{value!r} contains '..': give a path below the "
                                         "run's directory, or an absolute one")
    return value


def ndk_version(value: str) -> str:
    try:
        return checked_name(value, "NDK version")
    except UserError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def addresses(value: str) -> tuple[DeviceAddress, ...]:
    """--connected's devices: bare serials (the default adb server's) or
    tcp:HOST:PORT/SERIAL (another server's)."""
    try:
        return parse_addresses(value)
    except UserError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("--connected ")) from None
