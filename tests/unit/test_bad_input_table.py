"""A table of bad inputs and faults (issue 14): each runs the real command
line and must give exit status 2 (3 where the machine lacks something),
exactly one line on stderr (no traceback), and leave every directory it could
touch exactly as it was: the checkout, its cross-build trees, the user's own
directories, the archives.

The whole temporary tree is compared before and after (names, contents,
link targets), so "nothing deleted, nothing half-written, nothing created"
is checked for every row, not only the files a case is about."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cpython_android.deps import pins as pins_mod
from cpython_android.layout import make_tree
from support.archives import archive_name, link, make_tar, tree_state
from support.cli import run_cli
from support.trees import fake_checkout

ANDROID = "aarch64-linux-android"
GNU = "aarch64-linux-gnu"
LONG = "x" * 300


@dataclass(frozen=True)
class Case:
    id: str
    args: str  # split on spaces; {root}, {co}, {xb}, {ar}, {user} are filled in
    words: tuple[str, ...] = ()
    setup: Callable[[Path], object] | None = None
    env: dict[str, str] = field(default_factory=dict)
    status: int = 2  # bad input; 3 where this machine lacks something (errors.py)


def world(root: Path) -> None:
    """A checkout with a previous build, a user's directory, archives."""
    co = fake_checkout(root / "co")
    build = make_tree(co / "cross-build" / "build")
    (build / "python").write_text("#!/bin/sh\n")
    (build / "keep.txt").write_text("keep")
    gnu = make_tree(co / "cross-build" / GNU) / "prefix"
    (gnu / "lib" / "python3.13").mkdir(parents=True)
    (gnu / "lib" / "libpython3.13.so").write_text("ELF")
    (gnu / "bin").mkdir()
    (gnu / "bin" / "python3.13").write_text("#!/bin/sh\n")
    user = root / "user"
    (user / "photos").mkdir(parents=True)
    (user / "photos" / "cat.jpg").write_bytes(b"\xff\xd8cat")
    (user / "notes.txt").write_text("mine")
    (root / "archives").mkdir()
    (root / "empty").mkdir()


def write(rel: str, data: bytes | str) -> Callable[[Path], object]:
    def setup(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return setup


def patchlevel(version: str) -> Callable[[Path], object]:
    return write("co/Include/patchlevel.h", f'#define PY_VERSION "{version}"\n')


def pins_with(old: str, new: str) -> Callable[[Path], object]:
    return write("pins.toml", pins_mod.PINS_FILE.read_text().replace(old, new, 1))


def archive(lib: str, files: dict[str, bytes], extra_links: dict[str, str] | None = None,
            raw: bytes | None = None) -> Callable[[Path], object]:
    def setup(root: Path) -> None:
        path = root / "archives" / archive_name(lib)
        if raw is not None:
            path.write_bytes(raw)
            return
        make_tar(path, files, [link(k, v) for k, v in (extra_links or {}).items()])
    return setup


def android_prefix(root: Path) -> None:
    prefix = make_tree(root / "co" / "cross-build" / ANDROID) / "prefix"
    (prefix / "lib" / "python3.13").mkdir(parents=True)
    (prefix / "lib" / "libpython3.13.so").write_text("ELF")
    (prefix / "include" / "python3.13").mkdir(parents=True)


def both(*setups: Callable[[Path], object]) -> Callable[[Path], object]:
    def setup(root: Path) -> None:
        for one in setups:
            one(root)
    return setup


def odd_checkout(name: str) -> Callable[[Path], object]:
    def setup(root: Path) -> None:
        fake_checkout(root / name)
    return setup


DEPS = f"deps {ANDROID} --deps-dir {{ar}}"
JUNIT = '<testsuites><testsuite name="test_os" time="{0}"><testcase name="t" time="{0}"/>' \
        '</testsuite></testsuites>'
NO_NDK = {"ANDROID_HOME": ""}


# --- issue 30: paths, names, remembered values and option bounds from hostile input
PINS = f"{DEPS} --deps-pins {{root}}/pins.toml"
SETTINGS = f"co/cross-build/{GNU}/settings.json"
LOCK = "co/cross-build/deps-lock.json"
SHA = "0" * 64
DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5000


def fifo(rel: str) -> Callable[[Path], object]:
    def setup(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).unlink(missing_ok=True)
        os.mkfifo(root / rel)
    return setup


def settings(text: str) -> Callable[[Path], object]:
    return write(SETTINGS, text)


def lock(text: str) -> Callable[[Path], object]:
    return write(LOCK, text)


HOSTILE_PATHS = [
    # names from pins: never a path out of the deps work area or the cache
    Case("pins-name-dotdot", PINS, ("not a plain name",),
         pins_with("[libraries.bzip2]", '[libraries."../../../../user/evil"]')),
    Case("pins-name-slash", PINS, ("not a plain name",),
         pins_with("[libraries.bzip2]", '[libraries."a/b"]')),
    Case("pins-name-dots", PINS, ("not a plain name",),
         pins_with("[libraries.bzip2]", '[libraries.".."]')),
    Case("pins-version-dotdot", PINS, ("prebuilt.version", "not a plain name"),
         pins_with('prebuilt.version = "1.0.8-3"',
                   'prebuilt.version = "../../../../user/photos/x"')),
    Case("pins-version-shell", PINS, ("not a plain name",),
         pins_with('prebuilt.version = "1.0.8-3"', 'prebuilt.version = "1; touch PWNED"')),
    Case("pins-source-archive-slash", f"deps {GNU} --deps-from-source --deps-source "
         "{user} --deps-pins {root}/pins.toml", ("source.archive",),
         pins_with('archive = "bzip2_', 'archive = "../../bzip2_')),
    Case("pins-kinds-string", PINS, ("kinds",), pins_with(
        'kinds = ["android", "gnu"]', 'kinds = "android"')),
    Case("pins-kinds-unknown", PINS, ("'ios'",), pins_with(
        'kinds = ["android", "gnu"]', 'kinds = ["ios"]')),
    Case("pins-modules-int", PINS, ("modules",), pins_with('modules = ["_bz2"]', "modules = 5")),
    Case("pins-libraries-int", PINS, ("tables",), write("pins.toml", "libraries = 5\n")),
    Case("pins-library-int", PINS, ("not a table",),
         write("pins.toml", "[libraries]\nbzip2 = 5\n")),
    Case("pins-sha-int", PINS, ("string",), pins_with(
        'prebuilt.sha256 = { aarch64-linux-android = ""',
        "prebuilt.sha256 = { aarch64-linux-android = 5")),
    Case("pins-url-unknown-field", PINS, ("{{nope}}",),
         pins_with('url = "{base}/', 'url = "{nope}/{base}/')),
    Case("pins-url-format-spec", PINS, ("template",),
         pins_with('url = "{base}/', 'url = "{base:>999999999}/')),
    Case("pins-url-unclosed", PINS, ("template",), pins_with('url = "{base}/', 'url = "{base/')),
    Case("pins-deep", PINS, ("nested",), write("pins.toml", f"x = {DEEP}\n")),
    Case("pins-fifo", PINS, ("regular file",), fifo("pins.toml")),
    # remembered host settings: checked as if typed on the command line
    Case("settings-api-infinity", f"env {GNU}", ("Infinity",),
         settings('{"api_level": Infinity}')),
    Case("settings-api-shell", f"env {GNU}", ("api_level", "string"),
         settings('{"api_level": "24; rm -rf ~"}')),
    Case("settings-api-huge", f"env {GNU}", ("api_level",), settings('{"api_level": 1e400}')),
    Case("settings-api-digits", f"env {GNU}", ("whole number",),
         settings(f'{{"api_level": {HUGE}}}')),
    Case("settings-api-low", f"env {GNU}", ("too low",), settings('{"api_level": 5}')),
    Case("settings-ndk-list", f"env {GNU}", ("ndk_version", "a list"),
         settings('{"ndk_version": ["27"]}')),
    Case("settings-ndk-path", f"env {GNU}", ("ndk_version", "plain name"),
         settings('{"ndk_version": "../../../user"}')),
    Case("settings-args-string", f"env {GNU}", ("configure_args",),
         settings('{"configure_args": "--with-pydebug"}')),
    Case("settings-args-ints", f"env {GNU}", ("configure_args",),
         settings('{"configure_args": [1, 2]}')),
    Case("settings-list", f"env {GNU}", ("not an object",), settings("[]")),
    Case("settings-deep", f"env {GNU}", ("nested",), settings(DEEP)),
    Case("settings-fifo", f"env {GNU}", ("regular file",), fifo(SETTINGS)),
    Case("settings-not-utf8", f"env {GNU}", ("UTF-8",), write(SETTINGS, b'{"\xff": 1}')),
    # the lock file: typed entries, plain archive names
    Case("lock-entry-string", DEPS, ("not an object",),
         lock('{"archives": {"x.tar.gz": "abc"}}')),
    Case("lock-archives-list", DEPS, ("archives",), lock('{"archives": []}')),
    Case("lock-name-dotdot", DEPS, ("plain name",),
         lock(f'{{"archives": {{"../../x.tar.gz": {{"sha256": "{SHA}"}}}}}}')),
    Case("lock-sha-short", DEPS, ("64 hex",),
         lock('{"archives": {"x.tar.gz": {"sha256": "abc"}}}')),
    Case("lock-deep", DEPS, ("nested",), lock(DEEP)),
    Case("lock-fifo", DEPS, ("regular file",), fifo(LOCK)),
    # option bounds
    Case("jobs-twenty-digits", "make-build -j 99999999999999999999", ("jobs",)),
    Case("jobs-superscript", "make-build -j \u00b2", ("jobs",)),
    Case("jobs-arabic-digit", f"build {GNU} -j \u0663", ("jobs",)),
    Case("shards-twenty-digits", "test build --shards 99999999999999999999", ("shards",)),
    Case("api-level-huge", f"configure-host {ANDROID} --api-level {HUGE}", ("integer",)),
    Case("api-level-too-high", f"configure-host {ANDROID} --api-level 100000", ("at most",)),
    Case("ndk-version-path", f"configure-host {ANDROID} --ndk-version ../../../user",
         ("NDK version",), None, NO_NDK),
    Case("cross-build-empty", "--cross-build-dir  clean build", ("empty",)),
    Case("cross-build-colon", "--cross-build-dir {root}/a:b configure-build", ("':'",)),
    Case("cross-build-env-colon", "configure-build", ("':'",), None,
         {"CROSS_BUILD_DIR": "/tmp/x:y"}),
    # --pull: never empty, never out of --output-dir
    Case("pull-empty", "test build --pull  -c pass", ("not a path",)),
    Case("pull-dotdot", "test build --pull ../../x --output-dir {root}/out", ("'..'",)),
    Case("pull-dotdot-inside", "test build --pull cov/../../../x", ("'..'",)),
    # a checkout too old: refused before configure runs (its configure would)
    Case("checkout-3.12", "configure-build", ("3.12.9", "3.13 or newer"),
         both(patchlevel("3.12.9"), write("co/configure", "#!/bin/sh\ntouch PWNED\n"))),
    Case("checkout-2.7", f"build {GNU}", ("2.7.18",), both(
        patchlevel("2.7.18"), write("co/configure", "#!/bin/sh\ntouch PWNED\n"))),
    Case("patchlevel-fifo", "configure-build", ("no Include/patchlevel.h",),
         fifo("co/Include/patchlevel.h")),
    Case("checkout-version-digits", "configure-build", ("not a version",),
         patchlevel(f"3.{HUGE}")),
]

CASES = [
    # --- hosts, numbers, times
    Case("unknown-host", "build mips-unknown-plan9", ("mips-unknown-plan9",)),
    Case("api-level-word", f"configure-host {ANDROID} --api-level abc", ("integer",)),
    Case("api-level-low", f"configure-host {ANDROID} --api-level 20", ("21",)),
    Case("jobs-negative", "make-build -j -1", ("-1", "jobs")),
    Case("jobs-zero", "make-build -j 0", ("jobs",)),
    Case("jobs-word", f"build {GNU} -j many", ("many",)),
    Case("timeout-inf", "test build --timeout inf", ("inf", "leave the option out")),
    Case("timeout-nan", "test build --timeout nan", ("nan",)),
    Case("timeout-negative", "test build --timeout -5", ("-5",)),
    Case("deadline-zero", "test build --deadline 0", ("'0'",)),
    Case("stall-timeout-zero", "test build --stall-timeout 0", ("'0'",)),
    Case("shards-zero", "test build --shards 0", ("shards",)),
    Case("code-and-module", "test build -c pass -m test", ("not allowed",)),
    Case("connected-and-avd", f"test {ANDROID} --connected a --avd b", ("not allowed",)),
    Case("unknown-command", "frobnicate", ("frobnicate",)),
    Case("stray-after-dashes", f"env {GNU} -- extra", ("extra",)),
    # --- the checkout
    Case("version-banana", "configure-build", ("banana",), patchlevel("banana")),
    Case("version-3x", "configure-build", ("3.x",), patchlevel("3.x")),
    Case("no-py-version", "configure-build", ("PY_VERSION",),
         write("co/Include/patchlevel.h", "/* nothing */\n")),
    Case("not-a-checkout", "--checkout {user} build aarch64-linux-gnu", ("not a CPython",)),
    Case("checkout-dollar", "--checkout {root}/a$(touch${IFS}PWNED)b configure-build",
         ("$", "configure"), odd_checkout("a$(touch${IFS}PWNED)b")),
    Case("checkout-backquote", "--checkout {root}/a`touch${IFS}PWNED`b configure-build",
         ("`",), odd_checkout("a`touch${IFS}PWNED`b")),
    Case("checkout-dollar-build", f"--checkout {{root}}/c$(x)d build {GNU}", ("$",),
         odd_checkout("c$(x)d")),
    Case("cross-build-dollar", "--cross-build-dir {root}/x$(y)z configure-build", ("$",)),
    Case("checkout-too-long", f"--checkout {{root}}/{LONG} configure-build", ("longer",)),
    Case("cross-build-too-long", f"--cross-build-dir {{root}}/{'d/' * 1900} configure-build",
         ("longer",)),
    Case("cache-dir-too-long", f"{DEPS} --cache-dir {{root}}/{LONG}", ("longer",)),
    # --- directories that are files
    Case("cross-build-is-file", "--cross-build-dir {user}/notes.txt clean",
         ("not a directory",)),
    Case("cache-dir-is-file", f"{DEPS} --cache-dir {{user}}/notes.txt", ("not a directory",)),
    Case("cross-env-is-file", f"cross-env {GNU} {{user}}/notes.txt", ("not a directory",)),
    Case("outdir-is-file", f"build-wheel {GNU} {{root}}/proj -o {{user}}/notes.txt",
         ("not a directory",), write("proj/setup.py", "")),
    Case("env-is-file", f"build-wheel {GNU} {{root}}/proj --env {{user}}/notes.txt",
         ("not a directory",), write("proj/setup.py", "")),
    Case("deps-dir-missing", f"deps {ANDROID} --deps-dir {{root}}/nowhere", ("nowhere",)),
    Case("deps-source-missing", f"deps {GNU} --deps-from-source --deps-source {{root}}/no",
         ("not a directory",)),
    # --- outputs checked before any work
    Case("junit-parent-is-file", "test build --junit-xml {user}/notes.txt/out.xml",
         ("not a directory",)),
    Case("junit-is-dir", "test build --junit-xml {user}/photos", ("is a directory",)),
    Case("results-junit-is-dir", "results {user}/notes.txt --junit-xml {user}",
         ("is a directory",)),
    Case("results-junit-parent-file", "results {user}/notes.txt --junit-xml "
         "{user}/notes.txt/x.xml", ("not a directory",)),
    # --- files the user gives
    Case("durations-not-junit", "test build --durations {root}/d.xml", ("<testsuites>",),
         write("d.xml", "<foo/>")),
    Case("durations-time-abc", "test build --durations {root}/d.xml", ("abc",),
         write("d.xml", JUNIT.format("abc"))),
    Case("durations-not-xml", "test build --durations {user}/notes.txt", ("JUnit",)),
    Case("durations-missing", "test build --durations {root}/none.xml", ("not a file",)),
    Case("regrtest-xml-time-zz", "results {root}/log.txt --regrtest-xml {root}/r.xml",
         ("zz",), both(write("log.txt", "0:00:00 Run 1 test sequentially\n"),
                       write("r.xml", JUNIT.format("zz")))),
    Case("regrtest-xml-missing", "results {user}/notes.txt --regrtest-xml {root}/none",
         ("not a file",)),
    Case("results-log-missing", "results {root}/none.log", ("none.log",)),
    Case("pyproject-build-system-5", f"build-wheel {GNU} {{root}}/proj -o {{root}}/dist",
         ("build-system",), write("proj/pyproject.toml", "build-system = 5\n")),
    Case("pyproject-not-utf8", f"build-wheel {GNU} {{root}}/proj -o {{root}}/dist",
         ("UTF-8",), write("proj/pyproject.toml", b"[build-system]\nx = '\xff\xfe'\n")),
    Case("pyproject-not-toml", f"build-wheel {GNU} {{root}}/proj -o {{root}}/dist",
         ("TOML",), write("proj/pyproject.toml", "[build-system\n")),
    Case("pyproject-no-backend", f"build-wheel {GNU} {{root}}/proj -o {{root}}/dist",
         ("build backend",), write("proj/pyproject.toml", "[project]\nname='x'\n")),
    Case("project-missing", f"build-wheel {GNU} {{root}}/none -o {{root}}/dist",
         ("not a directory",)),
    # --- pins and mirrors
    Case("pins-sha-abc", f"{DEPS} --deps-pins {{root}}/pins.toml", ("'abc'", "sha256"),
         pins_with('prebuilt.sha256 = { aarch64-linux-android = ""',
                   'prebuilt.sha256 = { aarch64-linux-android = "abc"')),
    Case("pins-source-sha-short", f"{DEPS} --deps-pins {{root}}/pins.toml", ("sha256",),
         pins_with('source.sha256 = "', 'source.sha256 = "12')),
    Case("pins-not-utf8", f"{DEPS} --deps-pins {{root}}/pins.toml", ("UTF-8",),
         write("pins.toml", b"[libraries]\n# \xff\xfe\n")),
    Case("pins-not-toml", f"{DEPS} --deps-pins {{root}}/pins.toml", ("TOML",),
         write("pins.toml", "[libraries\n")),
    Case("pins-empty", f"{DEPS} --deps-pins {{root}}/pins.toml", ("no [libraries]",),
         write("pins.toml", "")),
    Case("pins-missing", f"{DEPS} --deps-pins {{root}}/none.toml", ("none.toml",)),
    Case("mirror-not-url", f"deps {ANDROID} --deps-mirror not-a-url", ("not-a-url", "URL")),
    Case("mirror-ftp", f"deps {ANDROID} --deps-mirror ftp://example", ("ftp://",)),
    Case("unknown-library", f"deps {ANDROID} nosuchlib --deps-dir {{ar}}", ("nosuchlib",)),
    Case("gnu-prebuilt", f"deps {GNU}", ("--deps-from-source",)),
    Case("archive-missing", f"deps {ANDROID} bzip2 --deps-dir {{ar}}", ("bzip2", "--deps-dir")),
    # --- archives
    Case("archive-corrupt", f"deps {ANDROID} bzip2 --deps-dir {{ar}}", ("damaged",),
         archive("bzip2", {}, raw=b"\x1f\x8b this is not gzip")),
    Case("archive-truncated", f"deps {ANDROID} xz --deps-dir {{ar}}", ("damaged",),
         archive("xz", {}, raw=b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03")),
    Case("archive-absolute", f"deps {ANDROID} bzip2 --deps-dir {{ar}}", ("absolute",),
         archive("bzip2", {"/tmp/abs.txt": b"x"})),
    Case("archive-dotdot", f"deps {ANDROID} bzip2 --deps-dir {{ar}}", ("'..'",),
         archive("bzip2", {"lib/../../up.txt": b"x"})),
    Case("archive-link-out", f"deps {ANDROID} bzip2 --deps-dir {{ar}}", ("outside",),
         archive("bzip2", {}, {"lib/out": "../../../../etc"})),
    Case("archive-file-over-dir", f"deps {ANDROID} xz --deps-dir {{ar}}", ("directory 'lib'",),
         both(android_prefix, archive("xz", {"lib": b"not a dir"}))),
    Case("archive-link-over-dir", f"deps {ANDROID} xz --deps-dir {{ar}}", ("directory 'include'",),
         both(android_prefix, archive("xz", {"other/x.h": b"x"}, {"include": "other"}))),
    Case("archive-over-libpython", f"deps {ANDROID} xz --deps-dir {{ar}}", ("libpython3.13.so",),
         both(android_prefix, archive("xz", {"lib/libpython3.13.so": b"evil"}))),
    # --- what clean and --clean may delete
    Case("clean-user-dir", "--cross-build-dir {user} clean", ("photos", "did not create")),
    Case("clean-user-host-dir", f"--cross-build-dir {{user}} clean {GNU}",
         ("did not create",), write(f"user/{GNU}/mine.txt", "mine")),
    Case("clean-link", "--cross-build-dir {root}/xb clean", ("did not create",),
         lambda root: ((root / "xb").mkdir(), (root / "xb" / "build").symlink_to(
             root / "user"))),
    Case("configure-build-clean-user-dir", "--cross-build-dir {user} configure-build --clean",
         ("did not create",), write("user/build/mine.txt", "mine")),
    Case("configure-host-clean-no-ndk", f"configure-host {ANDROID} --clean",
         ("ANDROID_HOME",), android_prefix, NO_NDK, status=3),
    Case("build-clean-no-ndk", f"build {ANDROID} --clean", ("ANDROID_HOME",), None, NO_NDK,
         status=3),
    Case("configure-host-clean-no-source", f"configure-host {GNU} --clean --deps-from-source "
         "--deps-source {root}/unrelated", ("--deps-source DIR",),
         write("unrelated/README", "not a source archive\n")),
    Case("deps-source-empty-dir", f"configure-host {GNU} --deps-from-source "
         "--deps-source {root}/empty", ("is empty",)),
    # --- symbolize: a file that is not there, a host that is not one
    Case("symbolize-missing-file", f"symbolize {GNU} {{user}}/no-such-tombstone.txt",
         ("cannot read", "no-such-tombstone.txt")),
    Case("symbolize-unknown-host", "symbolize mips-unknown-plan9 {user}/notes.txt",
         ("mips-unknown-plan9",)),
    Case("cross-env-foreign-venv", f"cross-env {GNU} {{user}}/venv", ("did not create",),
         write("user/venv/pyvenv.cfg", "home = /usr/bin\n")),
    *HOSTILE_PATHS,
]


# --- issue 30, parsing: numbers read from text, times, sockets, URL templates.
# Every number comes through textutil.read_int/read_float; every adb request
# times out; {silent} and {http} are loopback ports that accept and never
# answer, or answer as a web server.
HUGE = "9" * 5000
RESULTS = "results {root}/log.txt --regrtest-xml {root}/r.xml --junit-xml {root}/out.xml"
LOG = write("log.txt", "0:00:00 Run 1 test sequentially\n")
CASE_TIME = '<testsuites><testsuite name="test_os" time="1"><testcase ' \
    'name="test.test_os.T.t" time="{0}"/></testsuite></testsuites>'


def xml_time(template: str, time: str) -> Callable[[Path], object]:
    return both(LOG, write("r.xml", template.format(time)))


def url_template(url: str) -> Callable[[Path], object]:
    return pins_with('url = "{base}/{name}-{version}/{name}-{version}-{host}.tar.gz"',
                     f"url = {url!r}")


def port(value: str, *words: str) -> Case:
    return Case(f"adb-port-{value[:12]}", "devices", ("ANDROID_ADB_SERVER_PORT", *words),
                env={"ANDROID_ADB_SERVER_PORT": value})


PARSING_CASES = [
    Case("version-minor-5000-digits", "configure-build", ("PY_VERSION", "5,002 characters"),
         patchlevel(f"3.{HUGE}")),
    Case("version-major-5000-digits", "configure-build", ("PY_VERSION",), patchlevel(HUGE)),
    Case("version-superscript", "configure-build", ("PY_VERSION", "3.¹³"), patchlevel("3.¹³")),
    Case("version-arabic-indic", "configure-build", ("PY_VERSION",), patchlevel("٣.١٣.٥")),
    Case("version-minor-too-big", "configure-build", ("PY_VERSION", "1000"),
         patchlevel("3.1000.0")),
    Case("version-negative", "configure-build", ("PY_VERSION",), patchlevel("-3.13.5")),
    Case("version-no-minor", "configure-build", ("PY_VERSION",), patchlevel("3.")),
    port("²", "'²'"), port("0", "out of range"), port("65536", "out of range"),
    port(HUGE, "5,000 characters"), port("-1"), port("١٢"), port("5037 "), port("0x13ad"),
    # Something else listens on the port: infrastructure, status 4.
    Case("adb-port-silent", "devices", ("nothing answered", "{silent}"),
         env={"ANDROID_ADB_SERVER_PORT": "{silent}"}, status=4),
    Case("adb-port-http", "devices", ("does not answer as an adb server", "{http}"),
         env={"ANDROID_ADB_SERVER_PORT": "{http}"}, status=4),
    Case("adb-port-silent-test", "test --connected emulator-5554", ("nothing answered",),
         env={"ANDROID_ADB_SERVER_PORT": "{silent}"}, status=4),
    Case("adb-port-http-test", f"test {ANDROID} --connected emulator-5554",
         ("does not answer as an adb server",), env={"ANDROID_ADB_SERVER_PORT": "{http}"},
         status=4),
    # A device of another adb server (tcp:HOST:PORT/SERIAL, issue 28): malformed
    # is bad input; a server that is not there or is not adb, infrastructure.
    Case("address-no-serial", f"test {ANDROID} --connected tcp:host/",
         ("'tcp:host/'", "names no device", "tcp:HOST:PORT/SERIAL")),
    Case("address-port-not-a-number", f"test {ANDROID} --connected tcp:host:notaport/X",
         ("'notaport'", "1 to 65535")),
    Case("address-no-port", "test --connected emulator-5554,tcp:host/X", ("names no port",)),
    Case("address-no-host", f"pythoninfo {ANDROID} --connected tcp::5037/X", ("names no host",)),
    Case("address-huge-port", f"devices --connected tcp:h:{HUGE}/X", ("5,000 characters",)),
    Case("address-slash-no-tcp", f"test {ANDROID} --connected host:5037/X",
         ("tcp:HOST:PORT/SERIAL",)),
    Case("adb-server-socket-kind", "devices", ("ADB_SERVER_SOCKET", "localabstract"),
         env={"ADB_SERVER_SOCKET": "localabstract:adb"}),
    Case("adb-server-socket-port", "devices", ("ADB_SERVER_SOCKET", "99999", "out of range"),
         env={"ADB_SERVER_SOCKET": "tcp:99999"}),
    Case("address-server-closed",
         f"test {ANDROID} --connected tcp:127.0.0.1:{{closed}}/emulator-5554",
         ("no adb server answers at tcp:127.0.0.1:{closed}", "nodaemon server"), status=4),
    Case("address-server-silent",
         "test --connected tcp:127.0.0.1:{silent}/emulator-5554",
         ("nothing answered", "tcp:127.0.0.1:{silent}", "--connected"), status=4),
    Case("address-server-http", f"test {ANDROID} --connected tcp:127.0.0.1:{{http}}/X",
         ("does not answer as an adb server", "--connected"), status=4),
    Case("regrtest-xml-case-time-nan", RESULTS, ("'nan'", "test.test_os.T.t"),
         xml_time(CASE_TIME, "nan")),
    Case("regrtest-xml-case-time-inf", RESULTS, ("'inf'",), xml_time(CASE_TIME, "inf")),
    Case("regrtest-xml-case-time-negative", RESULTS, ("'-5.0'",), xml_time(CASE_TIME, "-5.0")),
    Case("regrtest-xml-case-time-1e999", RESULTS, ("'1e999'",), xml_time(CASE_TIME, "1e999")),
    Case("regrtest-xml-case-time-5000-digits", RESULTS, ("5,000 characters",),
         xml_time(CASE_TIME, HUGE)),
    Case("regrtest-xml-case-time-Infinity", RESULTS, ("'Infinity'",),
         xml_time(CASE_TIME, "Infinity")),
    Case("regrtest-xml-case-time-arabic", RESULTS, ("time",), xml_time(CASE_TIME, "١٫٥")),
    Case("durations-time-nan", "test build --durations {root}/d.xml", ("nan",),
         write("d.xml", JUNIT.format("nan"))),
    Case("durations-time-negative", "test build --durations {root}/d.xml", ("-1",),
         write("d.xml", JUNIT.format("-1"))),
    Case("durations-time-5000-digits", "test build --durations {root}/d.xml",
         ("5,000 characters",), write("d.xml", JUNIT.format(HUGE))),
    Case("url-template-index", f"{DEPS} --deps-pins {{root}}/pins.toml", ("prebuilt.url",),
         url_template("{base}/{0}.tar.gz")),
    Case("url-template-attribute", f"{DEPS} --deps-pins {{root}}/pins.toml", ("prebuilt.url",),
         url_template("{base.__class__}/{name}.tar.gz")),
    Case("url-template-unclosed", f"{DEPS} --deps-pins {{root}}/pins.toml", ("prebuilt.url",),
         url_template("{base}/{name")),
    Case("url-template-conversion", f"{DEPS} --deps-pins {{root}}/pins.toml",
         ("prebuilt.url",), url_template("{base}/{name!r}.tar.gz")),
    Case("url-template-huge-width", f"{DEPS} --deps-pins {{root}}/pins.toml",
         ("prebuilt.url",), url_template("{base}/{version:>999999999}.tar.gz")),
    Case("url-template-empty-field", f"{DEPS} --deps-pins {{root}}/pins.toml",
         ("prebuilt.url",), url_template("{base}/{}.tar.gz")),
]
CASES += PARSING_CASES


@pytest.fixture(scope="module")
def ports() -> Iterator[dict[str, str]]:
    """Three loopback ports that are not adb: one accepts and never answers,
    one answers as a web server does, one refuses (bound, not listening)."""
    servers = {"silent": socket.create_server(("127.0.0.1", 0)),
               "http": socket.create_server(("127.0.0.1", 0))}
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(server: socket.socket, answer: bytes | None) -> None:
        held = []
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)
            if answer is not None:
                with contextlib.suppress(OSError):
                    conn.settimeout(5)
                    conn.recv(1024)
                    conn.sendall(answer)
                conn.close()
        for conn in held:
            conn.close()

    threads = [threading.Thread(target=serve, args=(servers["silent"], None), daemon=True),
               threading.Thread(target=serve, args=(
                   servers["http"], b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
                   daemon=True)]
    for thread in threads:
        thread.start()
    yield {"closed": str(closed.getsockname()[1]),
           **{name: str(server.getsockname()[1]) for name, server in servers.items()}}
    closed.close()
    stop.set()
    for thread in threads:
        thread.join()
    for server in servers.values():
        server.close()


#: The cases that wait out the adb answer timeout (devices.ANSWER_SECONDS, 10 s): run side
#: by side in one test, so the suite waits for it once.
SILENT = [c for c in CASES if "{silent}" in c.args + " ".join(c.env.values())]


def run_case(case: Case, root: Path, ports: dict[str, str]) -> None:
    """Run `case` in a fresh world under `root`; check the one line, its exit
    status and that nothing was changed."""
    world(root)
    if case.setup:
        case.setup(root)
    before = tree_state(root)
    places = {"root": root, "co": root / "co", "xb": root / "co" / "cross-build",
              "ar": root / "archives", "user": root / "user"}
    args = [part.format(**places, **ports) if "{" in part and "$" not in part else
            part.replace("{root}", str(root)) for part in case.args.split(" ")]
    if not any(a == "--checkout" for a in args):
        args = ["--checkout", str(root / "co"), *args]
    env = {key: value.format(**ports) for key, value in case.env.items()}
    result = run_cli(*args, env={"CPYTHON_ANDROID_TEST": "1", **env}, cwd=root, timeout=120)
    assert result.returncode == case.status, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("android.py: error: ") and "Traceback" not in result.stderr
    for word in case.words:
        assert word.format(**ports) in lines[0], lines[0]
    assert tree_state(root) == before
    assert not (root / "PWNED").exists()


QUICK = [c for c in CASES if c not in SILENT]


@pytest.mark.parametrize("case", QUICK, ids=[c.id for c in QUICK])
def test_bad_input(case: Case, tmp_path: Path, ports: dict[str, str]):
    run_case(case, tmp_path, ports)


def test_bad_input_on_a_silent_port(tmp_path: Path, ports: dict[str, str]):
    """The SILENT cases, each in its own world, side by side."""
    assert SILENT
    with ThreadPoolExecutor(len(SILENT)) as pool:
        for done in [pool.submit(run_case, case, tmp_path / case.id, ports) for case in SILENT]:
            done.result()


def test_the_table_covers_at_least_sixty_cases():
    assert len(CASES) >= 60 and len({c.id for c in CASES}) == len(CASES)
    assert len(PARSING_CASES) >= 30


def test_a_damaged_download_is_removed_and_named_in_one_line(tmp_path: Path):
    """From our own cache a damaged archive is removed (it would fail again);
    the user's --deps-dir file never is."""
    world(tmp_path)
    cache = tmp_path / "cache"
    (cache).mkdir()
    (cache / archive_name("bzip2")).write_bytes(b"\x1f\x8b junk")
    result = run_cli("--checkout", tmp_path / "co", "deps", ANDROID, "bzip2", "--cache-dir",
                     cache)
    # Our download went wrong, not the user's input: infrastructure, status 4.
    assert result.returncode == 4 and len(result.stderr.strip().splitlines()) == 1
    assert "damaged" in result.stderr and "run again" in result.stderr
    assert not (cache / archive_name("bzip2")).exists()
    assert not (tmp_path / "co" / "cross-build" / ANDROID).exists()
    shutil.rmtree(cache)
