"""`android.py package HOST`: a release tarball of the host python and this tool.

Laid out as upstream's package (`package()` in Platforms/Android/__main__.py
on main, Android/android.py on 3.13 and 3.14: the files of its Android
directory at the root, `__main__.py` renamed `android.py`, then the prefix),
plus our library, so that every client of upstream's package (cibuildwheel's
`{package}/android.py env`, upstream's `ci` running `./android.py test`) runs
ours the same way, with nothing from a checkout (see `checkout.find_package`):

    android.py                  the entry script (the same file as Android/android.py)
    android-env.sh              upstream's sourced script: HOST=... . android-env.sh
    README.md                   how to use the package
    Tools/cpython_android/      the library (its requirements.txt: what android.py
                                installs once for a python3 that lacks them)
    testbed/                    the Gradle testbed app (Android hosts run tests in it)
    prefix/include/             python3.X/, openssl/, sqlite3*.h
    prefix/lib/                 libpython, the standard library, OpenSSL/SQLite
                                libraries and their pkg-config files
    prefix/bin/pythonX.Y        the interpreter: qemu-user runs a GNU host's, the tests' lab an
                                Android host's (the testbed app embeds libpython instead)
    package.json                host, version: what package mode reads
    MANIFEST                    `sha256  path` for every other file (sha256sum -c)
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import elfcheck
from .abi import read_installed
from .checkout import PACKAGE_FILE, Checkout, read_py_version
from .context import BuildContext
from .digest import sha256_file
from .errors import SetupError, UserError
from .hosts import Host
from .process import capture
from .testbed import find_project, is_ours
from .toolchains.ndk import NdkToolchain, prebuilt_dir

MANIFEST = "MANIFEST"
#: Where the entry script is in this repository and the checkouts it is copied
#: into (3.13/3.14, main): the same file, which becomes the package's android.py.
ENTRY_SCRIPTS = ("Android/android.py", "Platforms/Android/__main__.py")
#: The package root's files beside android.py, as upstream's package has them.
ROOT_FILES = ("android-env.sh", "README.md")
# (directory in the prefix, glob patterns): what upstream ships for embedding
# Python in an app or building packages against it, plus any other shared
# library in lib/ (a GNU host's extension modules may load libffi.so.8, say).
PREFIX_CONTENT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("include", ("openssl*", "python*", "sqlite*")),
    ("lib", ("engines-3", "libcrypto*.so*", "libpython*", "libsqlite*", "libssl*.so*",
             "ossl-modules", "python*", "*.so", "*.so.*")),
    ("lib/pkgconfig", ("*crypto*", "*ssl*", "*python*", "*sqlite*")),
)
SKIP_NAMES = ("__pycache__",)
# Gradle's caches and outputs in the testbed project, as its .gitignore lists them.
TESTBED_SKIP_NAMES = (".gradle", "build", ".cxx", ".externalNativeBuild", ".idea",
                      "local.properties")


@dataclass(frozen=True)
class PackageRequest:
    host: Host
    prefix: Path  # the installed host python
    dist_dir: Path  # where the tarball goes
    tool_root: Path  # the directory holding Android/android.py and Tools/cpython_android
    testbed: Path | None  # the testbed project to ship (None: this tool has none)
    strip: Path | None  # the host's strip program; None with -g (keep debug info)


def package_version(prefix: Path, now: datetime | None = None) -> str:
    """PY_VERSION from the prefix's patchlevel.h; an untagged `3.14.0a1+` gets a
    UTC timestamp (`3.14.0a1+20261122.130501`), as upstream does, so every
    package of a development tree has its own PEP 440 local version."""
    found = sorted(prefix.glob("include/python*/patchlevel.h"))
    if len(found) != 1:
        raise SetupError(f"expected one include/python*/patchlevel.h in {prefix}, found "
                         f"{len(found)}: run `android.py build HOST` first")
    version = read_py_version(found[0])
    if version.endswith("+"):
        version += (now or datetime.now(UTC)).strftime("%Y%m%d.%H%M%S")
    return version


def archive_name(version: str, host: Host) -> str:
    return f"python-{version}-{host}.tar.gz"


def tool_root() -> Path:
    """Where this tool lives: the directory above Tools/cpython_android."""
    return Path(__file__).resolve().parent.parent.parent


def find_testbed(tool: Path, checkout: Checkout | None = None) -> Path | None:
    """Our testbed project: a copy of ours at upstream's place in the checkout,
    else testbed/ beside Tools/.  Upstream's own testbed reads another layout,
    so it is no substitute."""
    found = find_project(checkout)
    if found != tool / "testbed" and is_ours(found):
        return found
    return tool / "testbed" if (tool / "testbed").is_dir() else None


def _ignore(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n in SKIP_NAMES or n.endswith((".pyc", "-qemu"))]


def _ignore_in_testbed(directory: str, names: list[str]) -> list[str]:
    return _ignore(directory, names) + [n for n in names if n in TESTBED_SKIP_NAMES
                                        or n.endswith(".iml")]


def _copy(src: Path, dst: Path, ignore: Callable[[str, list[str]], list[str]] = _ignore) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir() and not src.is_symlink():
        shutil.copytree(src, dst, symlinks=True, ignore=ignore)
    else:
        shutil.copy2(src, dst, follow_symlinks=False)


def stage(request: PackageRequest, version: str, staging: Path) -> None:
    """Copy everything the package ships into `staging`."""
    shims = [request.tool_root / shape for shape in ENTRY_SCRIPTS
             if (request.tool_root / shape).is_file()]
    library = request.tool_root / "Tools" / "cpython_android"
    if not shims or not library.is_dir():
        raise UserError(f"{request.tool_root} does not hold {' or '.join(ENTRY_SCRIPTS)} and "
                        "Tools/cpython_android: run the package command from this tool's "
                        "own entry script")
    shim = shims[0]
    _copy(shim, staging / "android.py")
    (staging / "android.py").chmod(0o755)  # cibuildwheel executes it directly
    for name in ROOT_FILES:
        _copy(library / "data" / "package" / name, staging / name)
    _copy(library, staging / "Tools" / "cpython_android")
    if request.testbed is not None:
        _copy(request.testbed, staging / "testbed", _ignore_in_testbed)
    for rel_dir, patterns in PREFIX_CONTENT:
        directory = request.prefix / rel_dir
        for src in sorted({p for pattern in patterns for p in directory.glob(pattern)}):
            _copy(src, staging / "prefix" / rel_dir / src.name)
    # A GNU host's tests run the interpreter itself under qemu-user.  An
    # Android host's run inside the testbed app, which embeds libpython (so
    # upstream's package has no bin/), but the tests' `test --lab` runs the interpreter
    # on the android-lab's runtime: it comes along where the prefix has it.
    name = read_installed(request.prefix).python_name  # python3.13, python3.13t
    interpreter = request.prefix / "bin" / name
    if not request.host.is_android or interpreter.is_file():
        _copy(interpreter, staging / "prefix" / "bin" / name)
    description: dict[str, object] = {"host": str(request.host), "version": version}
    if request.host.is_android:
        description["api_level"] = request.host.api_level
    (staging / PACKAGE_FILE).write_text(json.dumps(description, indent=2) + "\n")


def shared_libraries(root: Path) -> Iterator[Path]:
    return (path for path in elfcheck.elf_files(root) if ".so" in path.name)


def strip_libraries(root: Path, strip: Path) -> int:
    """Strip debug information and unneeded symbols from every .so; keep the
    dynamic symbol table, which the loader needs."""
    count = 0
    for path in shared_libraries(root):
        mode = path.stat().st_mode
        path.chmod(mode | 0o200)  # make install leaves some libraries read-only
        capture([strip, "--strip-unneeded", path])
        path.chmod(mode)
        count += 1
    return count


def write_manifest(root: Path) -> Path:
    """`sha256  relative/path` for every file (symlinks by their target's content),
    sorted: `sha256sum -c MANIFEST` verifies an extracted package."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            relative = path.relative_to(root).as_posix()
            if relative == MANIFEST or not path.is_file():
                continue
            lines.append(f"{sha256_file(path)}  {relative}\n")
    manifest = root / MANIFEST
    manifest.write_text("".join(sorted(lines, key=lambda line: line[66:])))
    return manifest


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # Who built the package is nobody's business, and meaningless elsewhere.
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_tarball(staging: Path, target: Path) -> None:
    """Entries relative to the package root (no top-level directory, as
    upstream's); written beside the target and renamed, so an interrupted run
    never leaves a truncated package behind."""
    partial = target.with_name(target.name + ".part")
    try:
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            for entry in sorted(staging.iterdir()):
                tar.add(entry, arcname=entry.name, filter=_normalise)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def create(request: PackageRequest, version: str, log: list[str]) -> Path:
    """Stage, strip, list and compress; returns the tarball's path."""
    request.dist_dir.mkdir(parents=True, exist_ok=True)
    target = request.dist_dir / archive_name(version, request.host)
    with tempfile.TemporaryDirectory(prefix=".package-", dir=request.dist_dir) as tmp:
        staging = Path(tmp)
        stage(request, version, staging)
        if request.strip is not None:
            log.append(f"stripped {strip_libraries(staging, request.strip)} shared libraries")
        write_manifest(staging)
        write_tarball(staging, target)
    return target


# --- the commands, over a BuildContext ----------------------------------------

def system_lib_dirs(host: Host, toolchain: object) -> tuple[Path, ...]:
    """Where an Android host's system libraries (libc.so, liblog.so, ...) are:
    the NDK sysroot's stubs for the API level, then its unversioned ones
    (libc++_shared.so)."""
    if not isinstance(toolchain, NdkToolchain):
        return ()
    base = prebuilt_dir(toolchain.ndk_dir) / "sysroot" / "usr" / "lib" / host.triplet
    return (base / str(host.api_level), base)


def check_rules(ctx: BuildContext, prefix: Path) -> elfcheck.Rules:
    host = ctx.require_host()
    lib_dirs = system_lib_dirs(host, ctx.toolchain()) if host.is_android else ()
    return elfcheck.Rules(host, read_installed(prefix), lib_dirs)


def require_prefix(ctx: BuildContext) -> Path:
    host = ctx.require_host()
    prefix = ctx.layout.prefix(host)
    ctx.layout.installed_abi(host)  # names the other variant's build if only that is there
    if not (prefix / "lib").is_dir() or not list(prefix.glob("include/python*/patchlevel.h")):
        raise SetupError(f"no host python installed in {prefix}: run `android.py build "
                         f"{host}` first")
    return prefix


def check(ctx: BuildContext) -> int:
    """`android.py check HOST`: the table, and 1 if any file has a problem."""
    prefix = require_prefix(ctx)
    report = elfcheck.check_tree(prefix, check_rules(ctx, prefix))
    ctx.console.write(elfcheck.format_table(report))
    return 0 if report.ok else 1


def package(ctx: BuildContext, *, debug: bool = False) -> int:
    """`android.py package HOST`: check the prefix, then write the tarball."""
    return 0 if make_package(ctx, debug=debug) is not None else 1


def make_package(ctx: BuildContext, *, debug: bool = False) -> Path | None:
    """Check the prefix, then write the tarball; its path, or None if `check` failed."""
    host = ctx.require_host()
    prefix = require_prefix(ctx)
    rules = check_rules(ctx, prefix)
    strip = None if debug else strip_program(ctx)
    report = elfcheck.check_tree(prefix, rules)
    if not report.ok:
        ctx.console.write(elfcheck.format_table(report))
        ctx.console.warn(f"not packaging {prefix}: `check` found problems (table above)")
        return None
    ctx.console.write(f"check: {len(report.results)} ELF files ok")
    # python-3.13.5t-HOST.tar.gz for a free-threaded build: both can sit in dist/.
    version = read_installed(prefix).package_version(package_version(prefix))
    tool = tool_root()
    request = PackageRequest(
        host=host, prefix=prefix, dist_dir=ctx.layout.dist_dir(host), tool_root=tool,
        testbed=find_testbed(tool, ctx.checkout), strip=strip)
    notes: list[str] = []
    with ctx.console.step(f"package {host}"):
        target = create(request, version, notes)
    for note in notes:
        ctx.console.write(note)
    if request.testbed is None:
        ctx.console.warn("this tool has no testbed/: the package cannot run Android tests")
    ctx.console.write(f"Wrote {target}")
    return target


def strip_program(ctx: BuildContext) -> Path:
    env = ctx.toolchain().environment()
    strip = env.get("STRIP")
    found = shutil.which(strip) if strip else None
    if not found:
        raise SetupError(f"no strip program for {ctx.require_host()} (STRIP={strip}): install "
                         "the toolchain's binutils, or pass -g to keep debug information")
    return Path(found)
