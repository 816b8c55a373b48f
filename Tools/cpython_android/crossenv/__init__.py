"""`android.py cross-env HOST DIR`: an environment that builds wheels for the host.

DIR is a venv of the build python (the same CPython version as the host's)
whose startup hook (`site_hook.py`) makes it answer as the host python:
sysconfig data of the host, `_PYTHON_HOST_PLATFORM`, the toolchain's
compiler and flags, `sys.cross_compiling`, and `platform.android_ver()` /
`sys.getandroidapilevel()` on Android hosts.  So `pip wheel` and `python -m
build` run in DIR produce wheels for the host.  Beside it, DIR holds a CMake
toolchain file, a Meson cross file and a py-build-cmake cross TOML.

Why not crossenv 1.6: it knows nothing of Android (no `android_ver`, no
`getandroidapilevel`, so setuptools would not link extension modules to
libpython, which Android requires), and it must be installed into, and run
by, an installed build python with pip, which `make-build` does not produce.
The mechanism here is the one CPython's own build uses for its extension
modules, in one small hook file.
"""

from __future__ import annotations

import json
import pprint
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..abi import find_sysconfigdata
from ..context import BuildContext
from ..errors import SetupError, UserError
from ..process import run_logged
from . import files
from .target import CrossTarget, relocated_build_time_vars

HOOK_MODULE = "_cpython_android_cross"
DESCRIPTION = "cross-env.json"
#: Written into DIR before anything else: cross-env refreshes only its own environments.
MARKER = ".cpython-android-cross-env"
MARKER_TEXT = "Made by android.py cross-env: it may rewrite this environment.\n"
OPT_OUT_ENV = "CPYTHON_ANDROID_CROSS"  # =0: the build machine's python (site_hook.OPT_OUT)
# Toolchain variables a build backend should see; CPU_COUNT and the like are
# only for CPython's own build.
_TOOL_VARS = ("CC", "CXX", "AR", "AS", "LD", "NM", "RANLIB", "READELF", "STRIP", "CFLAGS",
              "CXXFLAGS", "LDFLAGS", "PKG_CONFIG", "PKG_CONFIG_LIBDIR")


@dataclass(frozen=True)
class CrossEnv:
    directory: Path
    target: CrossTarget

    @property
    def python(self) -> Path:
        return self.directory / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        # A venv of the build python, which has the host's ABI flags too:
        # lib/python3.13t/ for a free-threaded one.
        return self.directory / self.target.python.stdlib_dir / "site-packages"

    @property
    def cmake_toolchain(self) -> Path:
        return self.directory / files.CMAKE_FILE

    @property
    def meson_cross_file(self) -> Path:
        return self.directory / files.MESON_FILE

    @property
    def py_build_cmake_cross(self) -> Path:
        return self.directory / files.PBC_FILE


def target_of(ctx: BuildContext) -> CrossTarget:
    """The host python and toolchain of ctx; UserError if the host python is
    not built yet."""
    host = ctx.require_host()
    ctx.layout.require_host_python(host)
    prefix = ctx.layout.prefix(host).resolve()
    toolchain = ctx.toolchain()
    env = toolchain.environment()
    return CrossTarget(
        host=host, python=ctx.layout.installed_abi(host), prefix=prefix,
        sysconfigdata=find_sysconfigdata(prefix),
        toolchain_env={k: env[k] for k in _TOOL_VARS if env.get(k)},
        ndk_dir=getattr(toolchain, "ndk_dir", None))


def backend_environ(target: CrossTarget, env_dir: Path) -> dict[str, str]:
    """What the hook puts in os.environ: for the python itself and for every
    compiler, meson and cmake the build backend starts."""
    environ = {
        "_PYTHON_HOST_PLATFORM": target.sysconfig_platform,
        "_PYTHON_SYSCONFIGDATA_NAME": target.sysconfigdata_name,
        # CMake >= 3.21 reads this, so scikit-build-core projects need no flag.
        "CMAKE_TOOLCHAIN_FILE": str(env_dir / files.CMAKE_FILE),
        **target.toolchain_env,
    }
    if "CC" in environ:
        # setuptools links with LDSHARED (+ LDFLAGS); the host's sysconfig
        # value names the compiler the host python was built with.
        environ["LDSHARED"] = f"{environ['CC']} -shared"
    if "CXX" in environ:
        environ["LDCXXSHARED"] = f"{environ['CXX']} -shared"
    return environ


def hook_config(target: CrossTarget, env_dir: Path) -> dict[str, object]:
    values = target.build_time_vars
    return {
        "host": str(target.host),
        "environ": backend_environ(target, env_dir),
        "multiarch": values.get("MULTIARCH") or str(target.host),
        "include": str(target.include_dir),
        "system": "Linux",  # os.uname().sysname on Android too
        "machine": target.host.machine,
        "android_api_level": target.host.api_level if target.host.is_android else None,
        "platform_tag": target.platform_tag,
    }


def write_files(env: CrossEnv) -> None:
    """Everything but the venv itself: hook, sysconfig data, cross files."""
    target = env.target
    site = env.site_packages
    shutil.copyfile(Path(__file__).with_name("site_hook.py"), site / f"{HOOK_MODULE}.py")
    (site / f"{HOOK_MODULE}.json").write_text(
        json.dumps(hook_config(target, env.directory), indent=2) + "\n")
    (site / f"{target.sysconfigdata_name}.py").write_text(
        "# The host python's sysconfig data, relocated to its prefix by android.py.\n"
        f"build_time_vars = {pprint.pformat(relocated_build_time_vars(target))}\n")
    # Last: a .pth line only runs once everything it imports is in place.
    (site / f"{HOOK_MODULE}.pth").write_text(f"import {HOOK_MODULE}; {HOOK_MODULE}.activate()\n")
    env.cmake_toolchain.write_text(files.cmake_toolchain(target))
    env.meson_cross_file.write_text(files.meson_cross_file(target, env.python))
    env.py_build_cmake_cross.write_text(
        files.py_build_cmake_cross(target, env.cmake_toolchain))
    (env.directory / DESCRIPTION).write_text(json.dumps({
        "host": str(target.host), "python": target.python.ldversion,
        "prefix": str(target.prefix), "platform_tag": target.platform_tag,
        "cmake_toolchain": str(env.cmake_toolchain), "meson_cross_file":
        str(env.meson_cross_file), "py_build_cmake_cross": str(env.py_build_cmake_cross),
    }, indent=2) + "\n")


def create(ctx: BuildContext, directory: Path) -> CrossEnv:
    """Create (or refresh) the cross environment in `directory`."""
    directory = directory.expanduser().resolve()
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory} exists and is not a directory: choose a new directory")
    if directory.is_dir() and any(directory.iterdir()) and not is_cross_env(directory):
        raise UserError(f"{directory} exists and android.py did not create it (no {MARKER}): "
                        "choose an empty or new directory")
    target = target_of(ctx)
    # Resolved: a build-tree python finds its sources relative to its real place.
    build_python = ctx.layout.require_build_python().resolve()
    env = CrossEnv(directory, target)
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / MARKER).exists():  # before the venv: an interrupted run's is ours
        (directory / MARKER).write_text(MARKER_TEXT)
    if not env.python.exists():
        log = ctx.layout.log_path("cross-env", target.host)
        with ctx.console.step(f"cross-env {target.host}", log) as step:
            # A venv of the build python: the same CPython version as the
            # host's, runnable here, with pip from ensurepip (no download).
            run_logged([build_python, "-m", "venv", directory], step=step, log_path=log)
    if not env.site_packages.is_dir():
        raise SetupError(f"{env.site_packages} is missing: the build python ({build_python}) "
                         "is not the host's version; run `android.py build HOST` again")
    write_files(env)
    ctx.console.write(f"Cross environment for {target.host} in {directory}: run "
                      f"{env.python} -m pip wheel ... (tag {target.platform_tag}); "
                      f"cross files: {env.cmake_toolchain.name}, {env.meson_cross_file.name}, "
                      f"{env.py_build_cmake_cross.name}")
    return env


def is_cross_env(directory: Path) -> bool:
    """Ours (its marker, written before the venv), whether finished or not.  A
    description without a marker is one an older android.py finished."""
    return (directory / MARKER).is_file() or (directory / DESCRIPTION).is_file()


def load(ctx: BuildContext, directory: Path) -> CrossEnv | None:
    """The cross environment in `directory` for ctx's host, or None if there is none."""
    description = directory / DESCRIPTION
    if not description.is_file():
        return None
    try:
        host = json.loads(description.read_text(encoding="utf-8"))["host"]
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(f"{description} is not a cross environment description: delete "
                        f"{directory} and run `android.py cross-env` again") from None
    if host != str(ctx.require_host()):
        raise UserError(f"{directory} is a cross environment for {host}, not "
                        f"{ctx.require_host()}: pass another --env DIR")
    return CrossEnv(directory.resolve(), target_of(ctx))
