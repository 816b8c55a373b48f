"""The android-lab (../shared/android-lab, see its README): a stand-in NDK r26
(the real sysroot, Debian's clang 14) and Android 9's bionic runtime, set up
once per machine with `make-lab.sh DIR --link-system`.

`setup_lab()` lays it out under the tests' cache (or $CPYTHON_ANDROID_LAB_DIR)
and returns a `Lab`, or raises `LabUnavailable` with the reason it cannot:
not root (the `/system` link needs it), `/system` is a real directory (an
Android machine, or another system: never touched), clang-14/lld-14 or the
lab archive missing.  Tests turn that into a skip.

    PYTHONPATH=tests:Tools python3 -m support.android_lab   # sets it up;
                                      # prints `export ANDROID_HOME=...`
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from support import sources

#: The NDK version the lab lays out (NDK r26's sysroot).
LAB_NDK_VERSION = "26.0.9635231"
#: Where the lab's scripts live: the shared folder beside this checkout
#: (../shared/android-lab); $CPYTHON_ANDROID_LAB_SOURCE overrides.
DEFAULT_SOURCE = Path(__file__).resolve().parents[3] / "shared" / "android-lab"
SYSTEM_LINK = Path("/system")
TOOLS = ("clang-14", "clang++-14", "ld.lld-14", "llvm-ar-14")


class LabUnavailable(Exception):
    """The lab cannot be set up here; the message says why."""


@dataclass(frozen=True)
class Lab:
    root: Path  # make-lab.sh's OUTDIR

    @property
    def android_home(self) -> Path:
        return self.root / "android-sdk"

    @property
    def ndk(self) -> Path:
        return self.android_home / "ndk" / LAB_NDK_VERSION

    @property
    def clang_bin(self) -> Path:
        return self.ndk / "toolchains" / "llvm" / "prebuilt" / "linux-x86_64" / "bin"

    @property
    def arm64_root(self) -> Path:
        """qemu-aarch64's -L: holds system/ -> runtime/arm."""
        return self.root / "root-arm64"

    def env(self) -> dict[str, str]:
        """What a user sets to build with the lab (and run on it with --lab)."""
        return {"ANDROID_HOME": str(self.android_home)}


def lab_source() -> Path:
    return Path(os.environ.get("CPYTHON_ANDROID_LAB_SOURCE") or DEFAULT_SOURCE)


def lab_dir() -> Path:
    return Path(os.environ.get("CPYTHON_ANDROID_LAB_DIR")
                or sources.default_cache() / "android-lab")


def why_unavailable(source: Path) -> str | None:
    """The reason the lab cannot be set up here, or None."""
    if not (source / "make-lab.sh").is_file() or not (source / "android-lab.tar.xz").is_file():
        return f"no android-lab in {source} (set CPYTHON_ANDROID_LAB_SOURCE)"
    if missing := [t for t in TOOLS if not shutil.which(t)]:
        return f"the lab needs {', '.join(missing)} (Debian packages clang lld llvm)"
    if SYSTEM_LINK.exists() and not SYSTEM_LINK.is_symlink():
        return f"{SYSTEM_LINK} exists and is not a symlink: an Android runtime cannot be linked"
    if os.geteuid() != 0:
        return f"linking {SYSTEM_LINK} to the lab's runtime needs root"
    return None


def setup_lab(root: Path | None = None) -> Lab:
    """`make-lab.sh ROOT --link-system` (cheap when already done); the Lab."""
    source = lab_source()
    if reason := why_unavailable(source):
        raise LabUnavailable(reason)
    lab = Lab(root or lab_dir())
    result = subprocess.run(["sh", str(source / "make-lab.sh"), str(lab.root), "--link-system"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise LabUnavailable(f"make-lab.sh failed ({result.returncode}): "
                             f"{result.stderr.strip()[-500:]}")
    if f"ANDROID_HOME={lab.android_home}" not in result.stdout:
        raise LabUnavailable(f"make-lab.sh printed {result.stdout.strip()!r}")
    return lab


def main() -> int:
    try:
        lab = setup_lab()
    except LabUnavailable as e:
        print(f"android-lab: {e}", file=sys.stderr)
        return 2
    print(f"export ANDROID_HOME={lab.android_home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
