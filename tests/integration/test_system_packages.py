""".ci/debian-packages.txt is complete: every program and autotools macro file
the builds and tests use belongs (says dpkg) to a listed package, to a package
a listed one depends on, or to an essential package.

A build passing proves nothing here: a package installed by hand on this
machine would hide a missing entry (libltdl-dev did: libffi's autoreconf needs
its ltdl.m4).  Asking dpkg who owns each file does not depend on what happens
to be installed beyond the file itself.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support import sources
from support.cli import GNU_HOST, REPO, needs

pytestmark = needs("dpkg", "dpkg-query", "apt-cache")

PACKAGE_LIST = REPO / ".ci" / "debian-packages.txt"

#: Programs our builds and tests run, and what for.
PROGRAMS = {
    "gcc": "the native build python", "g++": "the native build python",
    "make": "every build", "pkg-config": "CPython's configure finds the libraries",
    f"{GNU_HOST}-gcc": "the GNU cross host", f"{GNU_HOST}-g++": "the GNU cross host",
    **{f"{GNU_HOST}-{tool}": "the GNU toolchain (toolchains/gnu.py)"
       for tool in ("ar", "as", "ld", "nm", "ranlib", "readelf", "strip")},
    "qemu-aarch64-static": "running the GNU host", "ccache": "--ccache",
    "apt-get": "tests/support/sources.py", "apt-cache": "tests/support/sources.py",
    "perl": "OpenSSL's Configure", "tclsh": "sqlite's amalgamation",
    "autoreconf": "libffi (no configure in its tarball)", "autoconf": "libffi",
    "autoheader": "libffi", "automake": "libffi", "aclocal": "libffi", "libtoolize": "libffi",
    "xz": ".tar.xz sources", "cmake": "wheel tests", "ninja": "wheel tests",
    "clang": "ELF and JNI tests", "ld.lld": "ELF tests", "llvm-strip": "package tests",
    "adb": "device tests", "sha256sum": "release package tests",
    "chromium": "the HTML report's browser tests and benchmark",
}
#: Perl modules OpenSSL's Configure loads that perl-base lacks.
PERL_MODULES = ["IPC::Cmd", "File::Compare", "Pod::Usage"]


def listed() -> set[str]:
    lines = PACKAGE_LIST.read_text().splitlines()
    return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}


@functools.cache
def satisfied() -> frozenset[str]:
    """The listed packages, everything they depend on, and the essential packages."""
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *sorted(listed())],
        capture_output=True, text=True, check=True).stdout
    names = set(re.findall(r"^(\S+)$", out, re.MULTILINE))
    names |= {name.strip("<>") for name in re.findall(r"^\s+\|?(?:Pre)?Depends: (\S+)$", out,
                                                      re.MULTILINE)}
    essential = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Essential}\\n"],
                               capture_output=True, text=True, check=True).stdout
    names |= {line.split()[0] for line in essential.splitlines() if line.endswith(" yes")}
    return frozenset(name.split(":")[0] for name in names)


def owners(path: Path) -> set[str]:
    """The Debian packages dpkg says own `path` (through symlinks, /usr-merge)."""
    candidates = [path, path.resolve()]
    candidates += [Path("/usr") / p.relative_to("/") for p in list(candidates)
                   if not str(p).startswith("/usr/")]
    for candidate in candidates:
        found = subprocess.run(["dpkg", "-S", str(candidate)], capture_output=True, text=True)
        for line in found.stdout.splitlines():
            if line.endswith(f": {candidate}") and not line.startswith("diversion"):
                return {p.strip().split(":")[0] for p in line.rsplit(": ", 1)[0].split(",")}
    return set()


def assert_provided(path: Path, why: str) -> None:
    packages = owners(path)
    assert packages, f"{path} ({why}) belongs to no Debian package: cannot be listed"
    assert packages & satisfied(), (
        f"{path} ({why}) comes from {', '.join(sorted(packages))}, which "
        f"{PACKAGE_LIST.name} neither lists nor pulls in")


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_every_program_comes_from_a_listed_package(program: str):
    found = shutil.which(program, path="/usr/local/bin:/usr/bin:/bin")
    assert found, f"{program} ({PROGRAMS[program]}) is not installed: run .ci/setup"
    assert_provided(Path(found), PROGRAMS[program])


@needs("perl")
@pytest.mark.parametrize("module", PERL_MODULES)
def test_perl_modules_come_from_a_listed_package(module: str):
    path = subprocess.run(
        ["/usr/bin/perl", f"-M{module}", "-e", f"print $INC{{'{module.replace('::', '/')}.pm'}}"],
        capture_output=True, text=True)
    assert path.returncode == 0, f"perl has no {module}: {path.stderr}"
    assert_provided(Path(path.stdout), f"perl module {module}")


def aclocal_dirs() -> list[Path]:
    dirs = {Path(subprocess.run(["aclocal", "--print-ac-dir"], capture_output=True,
                                text=True, check=True).stdout.strip())}
    dirs |= set(Path("/usr/share").glob("aclocal-*"))
    return sorted(dirs)


@needs("autoreconf", "aclocal")
def test_libffi_autoreconf_macros_come_from_listed_packages(tmp_path: Path):
    """Regenerate the pinned libffi's configure as its builder does; every
    system .m4 file aclocal copied into aclocal.m4 must be provided."""
    tarball = sources.default_fetcher().fetch(sources.read_pins()["libffi"])
    tree = sources.extract(tarball, tmp_path / "libffi")
    result = subprocess.run(["autoreconf", "-fi"], cwd=tree, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    generated = (tree / "aclocal.m4").read_text(errors="replace")
    used = [p for d in aclocal_dirs() for p in sorted(d.rglob("*.m4"))
            if (text := p.read_text(errors="replace").strip()) and text in generated]
    assert any(p.name == "ltdl.m4" for p in used), "LT_SYS_SYMBOL_USCORE came from elsewhere?"
    for path in used:
        assert_provided(path, "aclocal, for libffi's configure")
    # libtoolize copies its macros into the tree: they come with libtool.
    assert_provided(Path(shutil.which("libtoolize") or "libtoolize"), "libtoolize")
