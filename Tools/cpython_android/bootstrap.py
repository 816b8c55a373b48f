"""Zero setup: our third-party packages for whichever python3 runs the entry script.

Buildbot workers and cibuildwheel run `python3 Android/android.py`, `python3
Platforms/Android` or a release package's `./android.py` with a python3 that
has none of our packages.  Before the command line is even imported (it and
everything below it may import them), `run` checks that each distribution in
`NEEDED` is there, at its minimum version; if one is not, it installs the
hash-pinned `requirements.txt` beside this module (`pip --require-hashes`)
once into a private directory under the user's cache, keyed by the
interpreter and the requirements' digest, and puts that directory first on
sys.path.  `CPYTHON_ANDROID_WHEELS=DIR` installs offline from a directory of
wheels; `CPYTHON_ANDROID_BOOTSTRAP=0` never installs.  When it cannot
provide them, one line says what to run, exit status 3, before any work.

The entry scripts import this module before anything else (after their own
check of the python3's version): it and what it imports use the standard
library only.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import sys
import sysconfig
from pathlib import Path

from .console import Console
from .errors import CommandFailed
from .process import run_logged

#: Distribution -> minimum version: pyproject.toml's dependencies (a test keeps them equal).
NEEDED = {"adbutils": "2.12", "junitparser": "3.1", "packaging": "24.2", "pyelftools": "0.31"}
REQUIREMENTS = Path(__file__).with_name("requirements.txt")
WHEELS_ENV = "CPYTHON_ANDROID_WHEELS"
SWITCH_ENV = "CPYTHON_ANDROID_BOOTSTRAP"
CACHE_ENV = "CPYTHON_ANDROID_CACHE"
#: Missing setup, as errors.py numbers the error family (see ARCHITECTURE.md).
SETUP_EXIT_STATUS = 3
#: Written last into a private environment: a directory without it is unfinished.
COMPLETE = ".complete"


class Unprovided(Exception):
    """The packages cannot be provided: the message is the one line to show."""


def version_tuple(text: str) -> tuple[int, ...]:
    """(2, 12, 0) from `2.12.0`; enough to compare against `NEEDED`'s minimums."""
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0])[:3])


def missing(needed: dict[str, str] | None = None) -> list[str]:
    """The distributions in `needed` that this interpreter lacks or has too old."""
    absent: list[str] = []
    for name, minimum in (needed or NEEDED).items():
        try:
            found = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            absent.append(name)
            continue
        if version_tuple(found) < version_tuple(minimum):
            absent.append(f"{name}>={minimum} (found {found})")
    return absent


def cache_root() -> Path:
    """The user's cache directory, as each system keeps one."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base: str | Path
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cpython-android"


def environment_dir(root: Path | None = None) -> Path:
    """One directory per interpreter kind and requirements: a new pin, a new directory."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    kind = "-".join((sys.implementation.cache_tag or "python", sysconfig.get_platform(),
                     getattr(sys, "abiflags", "") or "default"))
    return (root or cache_root()) / f"deps-{kind}-{digest}".replace(os.sep, "_")


def install_command(target: Path, wheels: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "pip", "install", "--no-input",
               "--disable-pip-version-check", "--no-warn-script-location",
               "--require-hashes", "--target", str(target), "-r", str(REQUIREMENTS)]
    if wheels:
        command += ["--no-index", "--find-links", str(wheels)]
    return command


def what_to_run() -> str:
    return (f"`{Path(sys.executable).name} -m pip install -r {REQUIREMENTS}`, or run this "
            "script with `uv run` or `pipx run`")


def install(target: Path) -> None:
    """pip-install the requirements into `target`, atomically: a half-made
    directory is never used, and two runs at once both end with one.  The
    progress goes to stderr: `env`'s stdout is parsed by its callers."""
    wheels = os.environ.get(WHEELS_ENV)
    partial = target.with_name(f"{target.name}.part-{os.getpid()}")
    log = target.with_name(target.name + ".log")
    console = Console(sys.stderr)
    what = (f"install {', '.join(NEEDED)} for {sys.executable} (once)"
            + (f" from {wheels}" if wheels else ""))
    try:
        with console.step(what, log) as step:
            run_logged(install_command(partial, wheels), step=step, log_path=log)
    except CommandFailed as e:
        remove_tree(partial)
        offline = "" if wheels else (f"; offline, set {WHEELS_ENV}=DIR, a directory made "
                                     f"by `pip download -r {REQUIREMENTS} -d DIR`")
        raise Unprovided(f"could not {what} (pip exit status {e.returncode}, log {log}): "
                         f"install them with {what_to_run()}{offline}") from None
    (partial / COMPLETE).write_text("\n".join(NEEDED) + "\n", encoding="utf-8")
    try:
        os.replace(partial, target)
    except OSError:  # another run finished first: use its directory
        remove_tree(partial)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def pip_available() -> bool:
    return importlib.util.find_spec("pip") is not None


def provide() -> None:
    """Make `NEEDED` importable, or raise `Unprovided` with the line to show."""
    if not missing():
        return
    target = environment_dir()
    if not (target / COMPLETE).is_file():
        if os.environ.get(SWITCH_ENV) == "0" or not pip_available():
            why = "this python3 has no pip" if not pip_available() else f"{SWITCH_ENV}=0"
            raise Unprovided(f"needs {', '.join(missing())} ({why}): install them with "
                             f"{what_to_run()}")
        install(target)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    if still := missing():
        raise Unprovided(f"{target} does not provide {', '.join(still)}: delete it and run "
                         f"again, or install them with {what_to_run()}")


def ready() -> int:
    """The entry scripts' first step: 0 once the packages are importable, else
    the one line said and the exit status for missing setup."""
    try:
        provide()
    except Unprovided as e:
        print(f"android.py: error: {e}", file=sys.stderr)
        return SETUP_EXIT_STATUS
    return 0
