"""Getting archives: from the user's directory, the cache, or the network,
always verified by sha256 before anyone extracts them.

Downloads go to `<name>.partial` and are renamed into the cache only when
complete, so an interrupted download is simply started again next time.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..digest import sha256_file
from ..errors import InfrastructureError, UserError
from ..textutil import int_or_none
from .lock import LockFile

RETRIES = 3
RETRY_DELAY_SECONDS = 1.0
TIMEOUT_SECONDS = 60.0
CHUNK = 1 << 16


def default_cache_dir() -> Path:
    """The user's cache directory, as pip and friends choose it."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cpython-android" / "deps"


def download(url: str, target: Path, *, say: Callable[[str], None],
             retries: int = RETRIES, delay: float = RETRY_DELAY_SECONDS) -> Path:
    """Download `url` to `target` (via target.partial); retry transient failures."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    last_error = ""
    for attempt in range(1, retries + 1):
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response, \
                    open(partial, "wb") as out:
                expected = int_or_none(response.headers.get("Content-Length") or "",
                                       high=2**50) or -1
                received = 0
                while block := response.read1(CHUNK):
                    out.write(block)
                    received += len(block)
            if expected >= 0 and received != expected:
                # The server closed early: never keep (let alone trust) a truncated file.
                raise ConnectionError(f"connection closed after {received} of {expected} "
                                      "bytes")
            os.replace(partial, target)
            return target
        except urllib.error.HTTPError as e:
            partial.unlink(missing_ok=True)
            if e.code < 500:  # 404 and friends will not get better by retrying
                raise InfrastructureError(
                    f"cannot download {url}: HTTP {e.code} {e.reason}: check the pinned "
                    "version, or pass --deps-dir DIR with the archive") from None
            last_error = f"HTTP {e.code} {e.reason}"
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            partial.unlink(missing_ok=True)
            last_error = str(getattr(e, "reason", e))
        if attempt < retries:
            say(f"    download failed ({last_error}); retrying in {delay:.0f} s "
                f"(attempt {attempt + 1} of {retries})")
            time.sleep(delay)
            delay *= 2
    raise InfrastructureError(
        f"cannot download {url} after {retries} attempts ({last_error}): check your network, "
        "or pass --deps-dir DIR with archives you already have")


@dataclass
class Verifier:
    """Checks archives against pinned hashes, or the lock file (trust on first use)."""

    lock: LockFile
    require_hashes: bool
    say: Callable[[str], None]

    def check_allowed(self, archive: str, pinned: str) -> None:
        """Refuse early (before any download) what --require-hashes forbids."""
        if self.require_hashes and not pinned:
            raise UserError(f"{archive} has no pinned sha256 and --require-hashes was given: "
                            "add its sha256 to the pins file, or drop --require-hashes")

    def verify(self, path: Path, archive: str, pinned: str, *, from_cache: bool) -> str:
        """The archive's sha256 once it matches what is expected; else UserError.

        A mismatching file in our cache is deleted (it would fail again); a
        file in the user's own directory is left alone.  An archive with no
        expected hash is accepted here; `remember` records it once it has
        been extracted or built (a damaged archive is never trusted).
        """
        self.check_allowed(archive, pinned)
        actual = sha256_file(path)
        recorded = self.lock.get(archive)
        expected, source = (pinned, "pinned") if pinned else (recorded, f"recorded in "
                                                              f"{self.lock.path}")
        if expected and actual != expected:
            if from_cache:
                path.unlink(missing_ok=True)
            removed = " (the cached file was removed)" if from_cache else ""
            raise UserError(f"sha256 mismatch for {archive}: expected {expected} ({source}), "
                            f"got {actual}{removed}: nothing was extracted")
        if not expected:
            self.say(f"    {archive} has no pinned sha256: trusting it on first use; its "
                     f"sha256 {actual} goes into {self.lock.path} and later runs must match it")
        return actual

    def remember(self, archive: str, pinned: str, actual: str, url: str = "") -> None:
        """Record a first-use hash in the lock file (after a successful install)."""
        if not pinned and not self.lock.get(archive):
            self.lock.record(archive, actual, url)
