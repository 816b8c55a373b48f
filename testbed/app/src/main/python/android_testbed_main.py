"""The testbed app's main module: runs `-c CODE`, `-m MODULE` or nothing, with args.

PythonTestRunner (MainActivity.kt) starts the interpreter in-process through
JNI and passes the instrumentation arguments as environment variables:
PYTHON_MODE ("-c" or "-m"), PYTHON_MODULE (code or module name), PYTHON_ARGS
(split with shlex into sys.argv[1:]), and optionally PYTHON_CWD (working
directory), PYTHON_SITE_PACKAGES (an extra site directory pushed with adb) and
PYTHON_ENV (shlex-joined NAME=VALUE items for os.environ; the interpreter has
started by then, so they reach the program and its tests, not startup).
PYTHON_FILES_DIR is the app's internal storage (Context.getFilesDir): a cwd or
site-packages that adb pushed to external storage is copied there first,
because external storage is mounted noexec (and outside the app's linker
namespace), so compiled extension modules cannot load from it, and it has no
chmod, symlinks or hard links.
This module lives beside the standard library, not in site-packages, so that
`-S` still finds it.
Standard output and error already go to logcat: CPython 3.13+ does that itself
on Android (tags python.stdout / python.stderr).
"""

import os
import runpy
import shlex
import shutil
import signal
import site
import sys

# An Android app starts with SIGUSR1 blocked: ART's Signal Catcher thread
# waits for it with sigwait().  That thread only matters for debugging the
# JVM, and tests that send SIGUSR1 to the process would hang or fail, so
# unblock it for this (the main) thread, as CPython's own testbed does.
# Tests that raise several signals at once may still see SIGUSR1 land on the
# Signal Catcher ("reacting to signal" in logcat).
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR1])

mode = os.environ["PYTHON_MODE"]
module = os.environ["PYTHON_MODULE"]
sys.argv[1:] = shlex.split(os.environ.get("PYTHON_ARGS", ""))

for item in shlex.split(os.environ.get("PYTHON_ENV", "")):
    name, _, value = item.partition("=")
    os.environ[name] = value


def internal_copy(path: str, name: str) -> str:
    """`path`, or a fresh copy of it in internal storage if it lies outside it."""
    files_dir = os.environ.get("PYTHON_FILES_DIR")
    if not files_dir or os.path.realpath(path).startswith(os.path.realpath(files_dir) + "/"):
        return path
    copy = os.path.join(files_dir, "pushed", name)
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(path, copy, symlinks=True)
    return copy


if extra_site := os.environ.get("PYTHON_SITE_PACKAGES"):
    site.addsitedir(internal_copy(extra_site, "site-packages"))

cwd = os.environ.get("PYTHON_CWD") or f"{sys.prefix}/cwd"
if os.path.isdir(cwd):
    cwd = internal_copy(cwd, "cwd")
# Empty directories do not survive packing into the APK's assets.
os.makedirs(cwd, exist_ok=True)
os.chdir(cwd)

# sys.path[0] is where the app started, for our own `-m` (none with -P or
# -I): make it what `python -c`/`-m` would put there, in the cwd it runs in.
safe_path = sys.flags.safe_path
if not safe_path and sys.path:
    del sys.path[0]
if mode == "-c":
    # As for `python -c`: sys.path[0] is "", the current directory at each import.
    sys.argv[0] = "-c"
    if not safe_path:
        sys.path.insert(0, "")
    exec(module, {"__name__": "__main__"})
elif mode == "-m":
    if not safe_path:
        sys.path.insert(0, os.getcwd())
    runpy.run_module(module, run_name="__main__", alter_sys=True)
else:
    raise ValueError(f"unknown PYTHON_MODE {mode!r}: expected -c or -m")
