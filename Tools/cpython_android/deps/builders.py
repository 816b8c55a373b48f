"""Build one library from its source tree with the host's toolchain, each with
its own build system, installing into a staging directory (DESTDIR) so that a
failed build never touches the prefix."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SetupError, UserError
from ..hosts import Host

# OpenSSL's Configure target per host (see its Configurations/*.conf).
OPENSSL_ANDROID_TARGETS = {
    "aarch64-linux-android": "android-arm64",
    "x86_64-linux-android": "android-x86_64",
    "arm-linux-androideabi": "android-arm",
    "i686-linux-android": "android-x86",
}
OPENSSL_GNU_TARGETS = {
    "aarch64": "linux-aarch64", "aarch64_be": "linux-aarch64",
    "arm": "linux-armv4", "armv7": "linux-armv4",
    "x86_64": "linux-x86_64",
    "i386": "linux-x86", "i486": "linux-x86", "i586": "linux-x86", "i686": "linux-x86",
    "riscv64": "linux64-riscv64", "powerpc64le": "linux-ppc64le", "powerpc64": "linux-ppc64",
    "s390x": "linux64-s390x", "mips64el": "linux64-mips64", "loongarch64": "linux64-loongarch64",
}

Run = Callable[..., None]


@dataclass
class BuildJob:
    library: str
    version: str
    host: Host
    tree: Path  # the extracted source tree (builds happen in it)
    prefix: Path  # the final, absolute prefix the library is configured for
    destdir: Path  # staging root: files land in destdir/<prefix>
    env: dict[str, str]
    jobs: int
    build_triplet: str
    run: Run  # run(command, cwd=None): run_logged with this job's step and log
    ndk_dir: Path | None = None  # Android only: OpenSSL wants ANDROID_NDK_ROOT

    @property
    def staged_prefix(self) -> Path:
        return self.destdir / self.prefix.relative_to(self.prefix.anchor)

    def make(self, *targets: str) -> list[str]:
        return ["make", f"-j{self.jobs}", *targets]


def compile_env(env: dict[str, str]) -> dict[str, str]:
    """Position-independent, optimised code: the libraries end up in shared
    extension modules, and OpenSSL's own -O3 is replaced by a CFLAGS from
    the environment."""
    env = dict(env)
    env["CFLAGS"] = f"{env.get('CFLAGS', '')} -O2 -fPIC".strip()
    return env


def _autotools(job: BuildJob, *extra: str) -> None:
    if not (job.tree / "configure").exists():
        # Snapshots without a generated configure (Debian's libffi orig tarball).
        job.run(["autoreconf", "-fi"])
    job.run(["./configure", f"--host={job.host.triplet}", f"--build={job.build_triplet}",
             f"--prefix={job.prefix}", f"--libdir={job.prefix}/lib", *extra])
    job.run(job.make())
    job.run(["make", "install", f"DESTDIR={job.destdir}"])


def build_libffi(job: BuildJob) -> None:
    _autotools(job, "--disable-docs", "--disable-multi-os-directory", "--with-pic")


def build_xz(job: BuildJob) -> None:
    _autotools(job, "--disable-xz", "--disable-xzdec", "--disable-lzmadec",
               "--disable-lzmainfo", "--disable-lzma-links", "--disable-scripts",
               "--disable-doc", "--disable-nls")


def build_sqlite(job: BuildJob) -> None:
    configure = ["--disable-tcl", "--disable-readline", "--enable-shared", "--disable-static"]
    if not (job.tree / "tool" / "mksqlite3c.tcl").exists():
        _autotools(job, *configure)  # the sqlite-autoconf amalgamation tarball
        return
    # The full source tree (Debian's orig tarball) builds the amalgamation
    # first, with the build machine's tclsh.  Its `install` also builds the
    # sqlite3 shell, which compiles the whole amalgamation again in a link
    # command ccache cannot cache: build and install the library alone.
    if not shutil.which("tclsh"):
        raise SetupError("building sqlite from its full source tree needs tclsh on the build "
                         "machine: install tcl, or use the sqlite-autoconf amalgamation archive")
    job.run(["./configure", f"--host={job.host.triplet}", f"--build={job.build_triplet}",
             f"--prefix={job.prefix}", f"--libdir={job.prefix}/lib", *configure])
    job.run(job.make("libsqlite3.la", "sqlite3.h", "sqlite3.pc"))
    job.run(["make", "lib_install", f"DESTDIR={job.destdir}"])
    staged = job.staged_prefix
    (staged / "include").mkdir(parents=True, exist_ok=True)
    (staged / "lib" / "pkgconfig").mkdir(parents=True, exist_ok=True)
    for header in (job.tree / "sqlite3.h", job.tree / "src" / "sqlite3ext.h"):
        shutil.copy2(header, staged / "include" / header.name)
    shutil.copy2(job.tree / "sqlite3.pc", staged / "lib" / "pkgconfig" / "sqlite3.pc")


def build_zlib(job: BuildJob) -> None:
    # zlib's own configure script: no --host, it reads CHOST and CC.
    job.env["CHOST"] = job.host.triplet
    job.run(["./configure", f"--prefix={job.prefix}", f"--libdir={job.prefix}/lib"])
    job.run(job.make())
    job.run(["make", "install", f"DESTDIR={job.destdir}"])


BZIP2_PC = """\
prefix=${{pcfiledir}}/../..
exec_prefix=${{prefix}}
libdir=${{prefix}}/lib
includedir=${{prefix}}/include

Name: bzip2
Description: bzip2 compression library (pkg-config file written by android.py)
Version: {version}
Libs: -L${{libdir}} -lbz2
Cflags: -I${{includedir}}
"""


def build_bzip2(job: BuildJob) -> None:
    # bzip2's Makefile builds the static library; it has no install target
    # for a cross build, nor a pkg-config file, which CPython's configure
    # needs: we install the two files and write one.
    env = job.env
    job.run(["make", f"-j{job.jobs}", "libbz2.a", f"CC={env['CC']}",
             f"AR={env.get('AR', 'ar')}", f"RANLIB={env.get('RANLIB', 'ranlib')}",
             f"CFLAGS={env.get('CFLAGS', '')} -D_FILE_OFFSET_BITS=64 -Wall -Winline"])
    staged = job.staged_prefix
    (staged / "include").mkdir(parents=True, exist_ok=True)
    (staged / "lib" / "pkgconfig").mkdir(parents=True, exist_ok=True)
    shutil.copy2(job.tree / "bzlib.h", staged / "include" / "bzlib.h")
    shutil.copy2(job.tree / "libbz2.a", staged / "lib" / "libbz2.a")
    version = job.version.split("-")[0]
    (staged / "lib" / "pkgconfig" / "bzip2.pc").write_text(BZIP2_PC.format(version=version))


def openssl_target(host: Host) -> str:
    if host.is_android:
        return OPENSSL_ANDROID_TARGETS[host.triplet]
    try:
        return OPENSSL_GNU_TARGETS[host.cpu]
    except KeyError:
        raise UserError(f"no OpenSSL Configure target known for {host}: add one to "
                        "OPENSSL_GNU_TARGETS") from None


def build_openssl(job: BuildJob) -> None:
    command = ["perl", "./Configure", openssl_target(job.host), f"--prefix={job.prefix}",
               "--libdir=lib", f"--openssldir={job.prefix}/etc/ssl", "no-apps", "no-tests",
               "no-docs", "shared"]
    if job.host.is_android:
        # OpenSSL's android-* targets find the NDK through ANDROID_NDK_ROOT and
        # its clang on PATH.
        command.append(f"-D__ANDROID_API__={job.host.api_level}")
        if job.ndk_dir:
            job.env["ANDROID_NDK_ROOT"] = str(job.ndk_dir)
            job.env["PATH"] = (f"{Path(job.env['CC'].split()[-1]).parent}{os.pathsep}"
                               f"{job.env.get('PATH', '')}")
    job.run(command)
    # The android-* targets replace CC with the NDK clang's bare name, which
    # drops ours and with it ccache: make's command line gives it back.
    compiler = [f"CC={job.env['CC']}"] if job.host.is_android else []
    job.run(job.make("build_sw", *compiler))
    job.run(["make", "install_sw", f"DESTDIR={job.destdir}"])


def build_zstd(job: BuildJob) -> None:
    prefix_args = [f"PREFIX={job.prefix}", f"LIBDIR={job.prefix}/lib"]
    job.run(job.make("-C", "lib", "libzstd.a", "libzstd", *prefix_args))
    job.run(["make", "-C", "lib", "install-static", "install-shared", "install-includes",
             "install-pc", *prefix_args, f"DESTDIR={job.destdir}"])


BUILDERS: dict[str, Callable[[BuildJob], None]] = {
    "bzip2": build_bzip2,
    "libffi": build_libffi,
    "openssl": build_openssl,
    "sqlite": build_sqlite,
    "xz": build_xz,
    "zlib": build_zlib,
    "zstd": build_zstd,
}


def recipe_id() -> str:
    """Names this module's build recipes: a library built by an older
    version of them is built again."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def builder(name: str) -> Callable[[BuildJob], None]:
    try:
        return BUILDERS[name]
    except KeyError:
        raise UserError(f"no builder named {name!r}: choose one of "
                        f"{', '.join(BUILDERS)} in the pins file") from None

