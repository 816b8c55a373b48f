"""The command line's options, each declared once, with its type and default.

Every option a handler reads has a default on the top-level parser
(`DEFAULTS`), so handlers read `args.NAME` for any subcommand; option
values are parsed here (types) and carried typed from then on.  `dest`
names match the fields of the dataclasses they fill (`DepsOptions`,
`TestOptions`), so `pick` builds those without a hand-written mapping.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from ..errors import UserError
from ..harness.planning import read_durations_xml
from ..hosts import DEFAULT_API_LEVEL, supported_description, validate_api_level
from ..runners import NATIVE_HOST
from ..toolchains.ndk import DEFAULT_NDK_VERSION
from .values import addresses, job_count, ndk_version, pull_pattern, shard_count

T = TypeVar("T")

#: What Linux allows: a path, one name in it.
PATH_MAX, NAME_MAX = 4096, 255
#: Room a build directory needs below it for the deepest paths it makes.
DIR_ROOM = 512

#: Defaults of every option any handler reads (subcommands override them).
DEFAULTS: dict[str, Any] = {
    "host": None, "target": None, "api_level": None, "ndk_version": None,
    "configure_args": [], "clean": False, "jobs": None, "ccache": False,
    "skip": False, "only": [], "cache_dir": None, "deps_dir": None, "mirror": None,
    "require_hashes": False, "from_source": False, "source_dirs": [], "pins_file": None,
    "after_dashes": None, "connected": (), "managed": None, "avd": None,
    "disable_gil": False,
}


# --- types: each value parsed once, here --------------------------------------

def api_level(value: str) -> int:
    try:
        return validate_api_level(value)
    except UserError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def existing_dir(value: str) -> Path:
    # Path("") is the current directory: an empty value (a failed `$(...)`
    # in a shell) must not quietly mean ".".
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty string is not a directory")
    path = Path(value).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is not a directory")
    return path.resolve()


def source_dir(value: str) -> Path:
    """A --deps-source directory: there, and not empty."""
    path = existing_dir(value)
    if not any(path.iterdir()):
        raise argparse.ArgumentTypeError(f"{value} is empty: put the pinned source archives "
                                         "(deps/pins.toml) in it")
    return path


def existing_file(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{value} is not a file")
    return path.resolve()


def positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not (number > 0 and math.isfinite(number)):
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds "
                                         "(leave the option out for no limit)")
    return number


def url(value: str) -> str:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https", "file") or (
            parts.scheme != "file" and not parts.netloc):
        raise argparse.ArgumentTypeError(f"{value!r} is not an http(s):// or file:// URL")
    return value


def _fits(path: Path, room: int = 0) -> Path:
    """`path`, if the OS can have it (with `room` bytes more for what goes below)."""
    full = os.fsencode(path.absolute())
    longest = max((len(part) for part in full.split(b"/")), default=0)
    if longest > NAME_MAX or len(full) + room >= PATH_MAX:
        raise argparse.ArgumentTypeError(f"{str(path)[:60]}... is longer than the OS allows "
                                         "(or leaves no room for what goes below it)")
    return path


def any_path(value: str) -> Path:
    return _fits(Path(value).expanduser())


def usable_dir(value: str) -> Path:
    """A directory, or a path where one can be created (never '': see existing_dir)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty string is not a directory (a failed "
                                         "`$(...)`?): give a path")
    path = _fits(Path(value).expanduser(), DIR_ROOM)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} exists and is not a directory")
    return path


def cross_build_dir(value: str) -> Path:
    """--cross-build-dir: also no path separator (`:`), which would split the
    PKG_CONFIG_LIBDIR and PATH-like variables the build puts it in."""
    if os.pathsep in value:
        raise argparse.ArgumentTypeError(f"{value!r} contains {os.pathsep!r}, which splits "
                                         "the search paths the build puts it in "
                                         "(PKG_CONFIG_LIBDIR): choose a path without it")
    return usable_dir(value)


def output_file(value: str) -> Path:
    """A file to write: checked before any work, so a long run is not lost."""
    path = _fits(Path(value).expanduser())
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a directory, not a file to write")
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {value}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (
            path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"cannot write {value}: permission denied")
    return path


def durations_file(value: str) -> Path:
    path = existing_file(value)
    try:
        read_durations_xml(path)
    except UserError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("--durations ")) from None
    return path


def pick(cls: Callable[..., T], args: argparse.Namespace, **overrides: Any) -> T:
    """An instance of dataclass `cls` from the options of the same names
    (lists become tuples)."""
    values = {}
    for f in dataclasses.fields(cast(Any, cls)):
        if f.name in overrides:
            values[f.name] = overrides[f.name]
        elif hasattr(args, f.name):
            value = getattr(args, f.name)
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


# --- groups of options shared by several subcommands ---------------------------

def global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkout", type=any_path, metavar="DIR",
                        help="CPython source tree (default: $CPYTHON_CHECKOUT, or the tree "
                        "this script is in)")
    # As upstream: $CROSS_BUILD_DIR where the flag is absent (a string default
    # goes through `type` as a typed value would).
    parser.add_argument("--cross-build-dir", type=cross_build_dir, metavar="DIR",
                        default=os.environ.get("CROSS_BUILD_DIR") or None,
                        help="where builds go (default: $CROSS_BUILD_DIR, else "
                        "<checkout>/cross-build)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="show subprocess output as it comes")


def subcommand_globals(parser: argparse.ArgumentParser) -> None:
    """Upstream's places: every subcommand takes --cross-build-dir and -v (the
    global forms before the command stay).  SUPPRESS leaves the global value
    when the option is absent here; -v given here counts in `verbose_after`,
    added to the global count by `cli.parse`, so `-v test -v` is -vv."""
    parser.add_argument("--cross-build-dir", type=usable_dir, metavar="DIR",
                        default=argparse.SUPPRESS,
                        help="where builds go (as before the command)")
    parser.add_argument("-v", "--verbose", dest="verbose_after", action="count",
                        default=argparse.SUPPRESS,
                        help="more output (as before the command; repeat for more)")


def host_options(parser: argparse.ArgumentParser, *, required: bool = True,
                 native: bool = False) -> None:
    what = f"target triplet: {supported_description()}"
    if native:
        what += f"; or `{NATIVE_HOST}` for the native build python"
    parser.add_argument("host", metavar="HOST", nargs=None if required else "?", help=what)
    android_options(parser)


def android_options(parser: argparse.ArgumentParser) -> None:
    """Absent, they are what the host was built with (hostsettings), else the defaults."""
    parser.add_argument("--api-level", type=api_level, default=None,
                        metavar="N", help="minimum Android API level (default: what the "
                        f"host was built with, else {DEFAULT_API_LEVEL}; at least 21; Android "
                        "hosts only)")
    parser.add_argument("--ndk-version", type=ndk_version, default=None, metavar="VERSION",
                        help="Android NDK version (default: what the host was built with, "
                        f"else {DEFAULT_NDK_VERSION})")
    variant_options(parser)


def variant_options(parser: argparse.ArgumentParser) -> None:
    """Which interpreter: every command that reads or makes a build takes it."""
    parser.add_argument("--disable-gil", action="store_true",
                        help="the free-threaded python (PEP 703, 3.13+): built with "
                        "configure --disable-gil, kept in cross-build/HOST-t beside the "
                        "default build")


def target_options(parser: argparse.ArgumentParser) -> None:
    """`build` and `clean`: upstream's targets."""
    parser.add_argument("target", metavar="TARGET", nargs="?", default="all",
                        help="`all` (default), `build` (the build python), `hosts` (every "
                        f"host tree there is), or a HOST: {supported_description()}")
    android_options(parser)


def optional_host(parser: argparse.ArgumentParser) -> None:
    """`env [HOST]`, `build-testbed [HOST]`: HOST may be left out."""
    host_options(parser, required=False)


def inferred_host(parser: argparse.ArgumentParser) -> None:
    """`test`: HOST may be left out, as upstream's `test` has none (`host_inference`)."""
    host_options(parser, required=False, native=True)


def test_host(parser: argparse.ArgumentParser) -> None:
    host_options(parser, native=True)


def make_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-j", "--jobs", type=job_count, default=os.cpu_count() or 1, metavar="N",
                        help="parallel make jobs (default: CPU count)")
    parser.add_argument("--ccache", action="store_true",
                        help="compile through ccache (shares hits across build trees)")


def clean_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clean", action="store_true",
                        help="delete the relevant build directories first")


def configure_options(parser: argparse.ArgumentParser) -> None:
    make_options(parser)
    clean_option(parser)
    parser.add_argument("configure_args", nargs="*", metavar="ARG",
                        help="extra arguments for configure (after --)")
    parser.set_defaults(after_dashes="configure_args")


def deps_options(parser: argparse.ArgumentParser) -> None:
    """Where the prerequisite libraries (OpenSSL, libffi, ...) come from."""
    group = parser.add_argument_group("prerequisite libraries")
    group.add_argument("--no-deps", dest="skip", action="store_true",
                       help="leave the prefix's libraries as they are")
    group.add_argument("--deps-from-source", dest="from_source", action="store_true",
                       help="build the libraries from source archives with the host's "
                       "toolchain (GNU hosts have no prebuilt ones)")
    group.add_argument("--deps-source", dest="source_dirs", type=source_dir,
                       action="append", default=[], metavar="DIR",
                       help="where the pinned source archives are (repeatable)")
    group.add_argument("--deps-dir", type=existing_dir, metavar="DIR",
                       help="use the archives in DIR; never download")
    group.add_argument("--cache-dir", type=usable_dir, metavar="DIR",
                       default=os.environ.get("CACHE_DIR") or None,
                       help="download cache (default: $CACHE_DIR, else "
                       "~/.cache/cpython-android/deps)")
    group.add_argument("--deps-mirror", dest="mirror", type=url, metavar="URL",
                       help="base URL to download prebuilt archives from instead of "
                       "BeeWare's GitHub releases")
    group.add_argument("--require-hashes", action="store_true",
                       help="refuse archives without a pinned sha256 (no trust on first use)")
    group.add_argument("--deps-pins", dest="pins_file", type=Path, metavar="FILE",
                       help="a pins file to use instead of the built-in pins.toml")


def deps_libraries(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("only", nargs="*", metavar="LIB",
                        help="only these libraries, named right after HOST (default: all "
                        "the host needs)")


def test_options(parser: argparse.ArgumentParser) -> None:
    """`test`: upstream's options, plus sharding, resume, deadlines and JUnit."""
    what = parser.add_mutually_exclusive_group()
    what.add_argument("-c", dest="code", metavar="CODE", help="run CODE instead of the tests")
    what.add_argument("-m", dest="module", metavar="MODULE",
                      help="run MODULE (default: `test`, the regression tests)")
    parser.add_argument("--site-packages", type=existing_dir, metavar="DIR",
                        help="directory to use as site-packages (Android: copied to the "
                        "app; GNU and native: put on PYTHONPATH, which -E ignores)")
    parser.add_argument("--cwd", type=existing_dir, metavar="DIR",
                        help="run in a copy of DIR")
    ci_modes(parser)
    parser.add_argument("--pull", action="append", default=[], metavar="PATH_OR_GLOB",
                        type=pull_pattern,
                        help="after the run (also after a crash), copy the files it produced "
                        "that match (Android: a device path, relative ones in the app's "
                        "external files directory; GNU and native: in the run's directory); "
                        "repeatable")
    parser.add_argument("--output-dir", type=usable_dir, metavar="DIR",
                        help="where --pull puts them (default: cross-build/logs/pulled)")
    parser.add_argument("--pythoninfo", action="store_true",
                        help="show the target python's test.pythoninfo first (implied by "
                        "--fast-ci/--slow-ci, as upstream's); saved in cross-build/logs")
    parser.add_argument("--junit-xml", type=output_file, metavar="PATH",
                        help="write the results as JUnit XML to PATH")
    html_options(parser)
    parser.add_argument("--shards", type=shard_count, default=1, metavar="N",
                        help="split the test files across N runners (GNU and native: "
                        "N processes; Android: N devices)")
    parser.add_argument("--durations", type=durations_file, metavar="FILE",
                        help="an earlier JUnit file: balance the shards by its durations")
    parser.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                        help="after a crash or hang, run the test files not run yet in a "
                        "fresh process (default: on)")
    parser.add_argument("--timeout", type=positive_float, metavar="SECONDS",
                        help="per test file (regrtest's --timeout)")
    parser.add_argument("--deadline", type=positive_float, metavar="SECONDS",
                        help="for the whole run: then every target process is killed")
    parser.add_argument("--stall-timeout", type=positive_float, metavar="SECONDS",
                        help="Android: after this long without output (default 300), a "
                        "device that does not answer `adb shell echo` is lost (exit 4)")
    device_options(parser)
    python_args(parser)


def html_options(parser: argparse.ArgumentParser) -> None:
    """`--html PATH` / `--no-html`: the run's one-page HTML report."""
    html = parser.add_mutually_exclusive_group()
    html.add_argument("--html", type=output_file, metavar="PATH",
                      help="write the run's HTML report (timeline, failures) to PATH "
                      "(default: beside the JUnit XML, .html for .xml)")
    html.add_argument("--no-html", dest="html_off", action="store_true",
                      help="write no HTML report")


def ci_modes(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    ci = parser.add_mutually_exclusive_group(required=required)
    ci.add_argument("--fast-ci", action="store_const", dest="ci_mode", const="fast",
                    help="regrtest's --fast-ci, as upstream's GitHub Actions run it")
    ci.add_argument("--slow-ci", action="store_const", dest="ci_mode", const="slow",
                    help="regrtest's --slow-ci, as upstream's buildbots run it")


def ci_options(parser: argparse.ArgumentParser) -> None:
    """`ci`: the build options, then the test run's."""
    ci_modes(parser, required=True)
    parser.add_argument("-g", "--debug", action="store_true",
                        help="keep debug information in the package")
    parser.add_argument("--junit-xml", type=Path, metavar="PATH",
                        help="the tests' JUnit XML (default: cross-build/logs/junit-HOST.xml)")
    device_options(parser)
    python_args(parser)


def device_options(parser: argparse.ArgumentParser) -> None:
    device = parser.add_mutually_exclusive_group()
    device.add_argument("--connected", type=addresses, default=(), metavar="SERIAL[,SERIAL]",
                        help="Android: run on these connected devices (see `adb devices`); "
                        "tcp:HOST:PORT/SERIAL: a device of another adb server")
    device.add_argument("--managed", metavar="NAME", help="Android: a Gradle managed device")
    device.add_argument("--avd", metavar="NAME", help="Android: boot this emulator (AVD)")


def python_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs="*", metavar="ARG",
                        help="after --: regrtest's arguments, or a whole python command "
                        "line if they contain -c or -m")
    parser.set_defaults(after_dashes="args")
