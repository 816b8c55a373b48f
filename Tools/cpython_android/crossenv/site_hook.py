# mypy: ignore-errors
# (it patches attributes typeshed does not know: sys._home, platform.AndroidVer, ...)
"""Make this python answer as the host python does (copied into a cross environment).

`android.py cross-env` installs this file as `_cpython_android_cross.py` in the
environment's site-packages, with a `.pth` file that calls `activate()` at
startup and a JSON file beside it that says what the host is.  It is the
mechanism CPython's own cross build uses for its extension modules
(`_PYTHON_HOST_PLATFORM`, `_PYTHON_SYSCONFIGDATA_NAME`), plus the answers
build backends ask of `sys`, `os` and `platform`.

Set CPYTHON_ANDROID_CROSS=0 to get the build machine's python back (to pip
install build tools, for instance).  This file must run on the build python
alone: standard library only.
"""

import json
import os
import sys

OPT_OUT = "CPYTHON_ANDROID_CROSS"
FLAG_VARIABLES = ("CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS")
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_cpython_android_cross.json")


def activate():
    if os.environ.get(OPT_OUT) == "0":
        return
    with open(CONFIG, encoding="utf-8") as f:
        config = json.load(f)
    _set_environ(config["environ"])
    sys.cross_compiling = "cpython-android"  # as crossenv's sys.cross_compiling
    # A venv of a build-tree python points sys._home at that tree, which would
    # make sysconfig and distutils use the build machine's pyconfig.h.
    sys._home = None
    sys.implementation._multiarch = config["multiarch"]
    _patch_sysconfig(config["include"])
    _patch_uname(config["system"], config["machine"])
    if config.get("android_api_level"):
        _patch_android(int(config["android_api_level"]))
        # What the host python answers (3.13+), and what backends branch on:
        # setuptools links extension modules to libpython, packaging computes
        # android_<api>_<abi> tags, platform.system() says "Android".
        sys.platform = "android"


def _set_environ(values):
    """Export the host's variables, inherited by compilers, meson, cmake and
    any python the backend starts (which then finds them already set).  The
    user's own CFLAGS, CXXFLAGS and LDFLAGS come after ours, so they win."""
    marker = "_CPYTHON_ANDROID_CROSS_ENV"
    if os.environ.get(marker) == CONFIG:
        return
    for key, value in values.items():
        mine = os.environ.get(key, "")
        if key in FLAG_VARIABLES and mine:
            value = f"{value} {mine}"
        os.environ[key] = value
    os.environ[marker] = CONFIG


def _patch_sysconfig(include):
    # site hook: only when the patch applies, so each start stays light
    import sysconfig

    original = sysconfig.get_paths

    def get_paths(*args, **kwargs):
        paths = dict(original(*args, **kwargs))
        paths["include"] = paths["platinclude"] = include
        return paths

    sysconfig.get_paths = get_paths


def _patch_uname(system, machine):
    real = os.uname()
    result = type(real)((system, real.nodename, real.release, real.version, machine))
    os.uname = lambda: result


def _patch_android(api_level):
    # site hook: only when the patch applies, so each start stays light
    import platform

    sys.getandroidapilevel = lambda: api_level
    android_ver_result = platform.AndroidVer  # 3.13+, as the host

    def android_ver(release="", api_level=api_level, manufacturer="", model="", device="",
                    is_emulator=False):
        return android_ver_result(release, api_level, manufacturer, model, device, is_emulator)

    platform.android_ver = android_ver
