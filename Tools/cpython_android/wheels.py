"""Wheels for a host: the tags it accepts, building one, and checking what was built.

Tags follow `packaging.tags`: an Android host accepts `android_<api>_<abi>`
for its API level and every lower one (`packaging.tags.android_platforms`), a
GNU host `linux_<machine>`.  A built wheel is refused when its tags are not
the host's or when an ELF file inside it is for another machine: the sign of
a build backend that ignored the cross environment and compiled for the build
machine.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import crossenv
from .abi import PythonABI
from .context import BuildContext
from .elfcheck import ELF_MAGIC
from .errors import UserError
from .hosts import Host
from .process import run_logged

# Build backends that need a cross file passed as a config setting (CMake
# reads CMAKE_TOOLCHAIN_FILE from the environment; setuptools the hook's
# variables), keyed by the backend module's top-level name.
_MESON = "mesonpy"
_PY_BUILD_CMAKE = "py_build_cmake"
DEFAULT_BACKEND = "setuptools.build_meta:__legacy__"
DEFAULT_REQUIRES = ("setuptools>=40.8.0",)


def platform_tags(host: Host) -> list[str]:
    if host.is_android:
        # lazily: the shim runs on a bare python3; third-party packages load only when used
        from packaging.tags import android_platforms

        return list(android_platforms(host.api_level, host.android.wheel_arch))
    return [host.platform_tag]


def host_tags(host: Host, python: PythonABI) -> set[str]:
    """Every tag a wheel may carry to be installable on the host's python.

    The ABI is given, not asked of the running interpreter (packaging's
    default), which is not the host's: cp313t accepts neither cp313 nor abi3."""
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    from packaging.tags import compatible_tags, cpython_tags

    platforms = platform_tags(host)
    tags = [*cpython_tags(python.version, abis=[python.abi_tag], platforms=platforms),
            *compatible_tags(python.version, python.interpreter_tag, platforms)]
    return {str(tag) for tag in tags}


@dataclass(frozen=True)
class Project:
    directory: Path
    backend: str
    requires: tuple[str, ...]

    @property
    def backend_module(self) -> str:
        return self.backend.split(":")[0].split(".")[0]


def read_project(directory: Path) -> Project:
    """The project's build backend, or a UserError when it has none."""
    directory = directory.expanduser().resolve()
    if not directory.is_dir():
        raise UserError(f"project {directory} is not a directory")
    pyproject = directory / "pyproject.toml"
    build_system: dict[str, object] = {}
    if pyproject.is_file():
        try:
            build_system = tomllib.loads(pyproject.read_text(encoding="utf-8")).get(
                "build-system", {})
        except tomllib.TOMLDecodeError as e:
            raise UserError(f"{pyproject} is not valid TOML ({e}): fix it") from None
        except UnicodeDecodeError:
            raise UserError(f"{pyproject} is not UTF-8 text: fix it") from None
        if not isinstance(build_system, dict):
            raise UserError(f"{pyproject}: build-system must be a table ([build-system]), "
                            f"not {build_system!r}")
    if not build_system.get("build-backend") and not (directory / "setup.py").is_file():
        raise UserError(f"{directory} has no build backend: add a [build-system] table with "
                        "build-backend to pyproject.toml (or a setup.py)")
    requires = build_system.get("requires", DEFAULT_REQUIRES)
    if not isinstance(requires, list | tuple) or not all(isinstance(r, str) for r in requires):
        raise UserError(f"{pyproject}: build-system.requires must be a list of strings")
    return Project(directory, str(build_system.get("build-backend") or DEFAULT_BACKEND),
                   tuple(requires))


def config_settings(project: Project, env: crossenv.CrossEnv) -> list[str]:
    if project.backend_module == _MESON:
        return [f"--config-settings=setup-args=--cross-file={env.meson_cross_file}"]
    if project.backend_module == _PY_BUILD_CMAKE:
        return [f"--config-settings=--cross={env.py_build_cmake_cross}"]
    return []


def elf_machines(wheel: Path) -> dict[str, str]:
    """e_machine of every ELF member of a wheel."""
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    from elftools.elf.elffile import ELFFile

    machines = {}
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            with archive.open(member) as f:
                if f.read(len(ELF_MAGIC)) != ELF_MAGIC:
                    continue
            data = io.BytesIO(archive.read(member))
            machines[member] = ELFFile(data).header["e_machine"]
    return machines


def wheel_tags(wheel: Path) -> set[str]:
    # lazily: the shim runs on a bare python3; third-party packages load only when used
    from packaging.utils import parse_wheel_filename

    try:
        return {str(tag) for tag in parse_wheel_filename(wheel.name)[3]}
    except ValueError as e:
        raise UserError(f"{wheel.name} is not a valid wheel file name ({e})") from None


def verify_wheel(wheel: Path, host: Host, python: PythonABI) -> None:
    """Refuse a wheel the host cannot use, saying why."""
    tags = wheel_tags(wheel)
    if not tags & host_tags(host, python):
        raise UserError(f"{wheel.name} is tagged {', '.join(sorted(tags))}, which {host} "
                        f"python {python.ldversion} does not accept ({host.platform_tag}): the "
                        "build backend ignored the cross environment")
    wrong = {m: machine for m, machine in elf_machines(wheel).items()
             if machine != host.elf_machine}
    if wrong:
        member, machine = sorted(wrong.items())[0]
        raise UserError(f"{wheel.name} contains {member} built for {machine}, not "
                        f"{host.elf_machine} ({host}): the build backend ignored the cross "
                        "environment and compiled for the build machine; refused")


def opt_out_environ() -> dict[str, str]:
    """The cross env's python as the build machine's, to install build tools."""
    return {**os.environ, crossenv.OPT_OUT_ENV: "0"}


def activated_environ(env: crossenv.CrossEnv) -> dict[str, str]:
    """The environment as with the cross env activated: the build tools pip
    installed there (meson, cmake, ...) come first on PATH, where backends
    look for them (pip adds nothing to PATH without build isolation)."""
    bin_dir = str(Path(env.python).parent)
    return {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}


def install_requirements(ctx: BuildContext, env: crossenv.CrossEnv, project: Project) -> None:
    if not project.requires:
        return
    log = ctx.layout.log_path(f"build-requirements-{project.directory.name}",
                              ctx.require_host())
    with ctx.console.step("install build requirements", log) as step:
        run_logged([env.python, "-m", "pip", "install", "--disable-pip-version-check",
                    *project.requires], step=step, log_path=log, env=opt_out_environ())


def build_wheel(ctx: BuildContext, project_dir: Path, outdir: Path,
                env_dir: Path | None = None) -> Path:
    """Build PROJECT_DIR's wheel for ctx's host into outdir; return its path."""
    host = ctx.require_host()
    project = read_project(project_dir)
    env_dir = (env_dir or ctx.layout.cross_env_dir(host)).expanduser().resolve()
    env = crossenv.load(ctx, env_dir)
    if env is None:
        env = crossenv.create(ctx, env_dir)
    else:
        crossenv.write_files(env)  # cheap, and follows a rebuilt or moved prefix
    install_requirements(ctx, env, project)
    outdir = outdir.expanduser().resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    log = ctx.layout.log_path(f"build-wheel-{project.directory.name}", host)
    with tempfile.TemporaryDirectory(prefix=".build-wheel-", dir=outdir) as tmp:
        with ctx.console.step(f"build-wheel {project.directory.name} for {host}", log) as step:
            # No build isolation: an isolated environment would be populated
            # by pip for the host's tags, and its tools could not run here.
            run_logged([env.python, "-m", "pip", "wheel", "-v", "--no-build-isolation", "--no-deps",
                        "--disable-pip-version-check", "--wheel-dir", tmp,
                        *config_settings(project, env), project.directory],
                       step=step, log_path=log, env=activated_environ(env))
        built = sorted(Path(tmp).glob("*.whl"))
        if len(built) != 1:
            raise UserError(f"the build backend produced {len(built)} wheels, expected 1: "
                            f"see {log}")
        verify_wheel(built[0], host, env.target.python)
        target = outdir / built[0].name
        shutil.move(built[0], target)
    ctx.console.write(f"Wrote {target}")
    return target
