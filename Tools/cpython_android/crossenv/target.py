"""What a cross environment targets: the host python's installed prefix and
sysconfig data, and the toolchain's variables."""

from __future__ import annotations

import runpy
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..abi import PythonABI
from ..errors import SetupError
from ..hosts import Host


@dataclass(frozen=True)
class CrossTarget:
    host: Host
    python: PythonABI  # version and ABI flags, read from the prefix's sysconfig data
    prefix: Path  # the host python's installed prefix (absolute)
    sysconfigdata: Path  # prefix/lib/pythonX.Y[t]/_sysconfigdata_*.py
    toolchain_env: dict[str, str] = field(default_factory=dict)
    ndk_dir: Path | None = None  # Android hosts

    @property
    def sysconfigdata_name(self) -> str:
        return self.sysconfigdata.stem

    @property
    def short_version(self) -> str:
        return self.python.short_version

    @property
    def include_dir(self) -> Path:
        return self.prefix / self.python.include_dir

    @property
    def libpython(self) -> Path:
        return self.prefix / "lib" / self.python.libpython_name

    @property
    def sysconfig_platform(self) -> str:
        """What `sysconfig.get_platform()` answers on the host (and so
        `_PYTHON_HOST_PLATFORM`): `android-24-arm64_v8a`, `linux-aarch64`."""
        if self.host.is_android:
            return f"android-{self.host.api_level}-{self.host.android.wheel_arch}"
        return f"linux-{self.host.machine}"

    @property
    def platform_tag(self) -> str:
        """The wheel platform tag, derived from the sysconfig platform exactly as
        setuptools, meson-python and packaging derive it."""
        return self.sysconfig_platform.replace("-", "_").replace(".", "_").lower()

    @cached_property
    def build_time_vars(self) -> dict[str, Any]:
        """The host's sysconfig values, read once (the cross files and the
        hook all need them)."""
        return load_build_time_vars(self.sysconfigdata)

    @property
    def soabi(self) -> str:
        return str(self.build_time_vars["SOABI"])


def load_build_time_vars(path: Path) -> dict[str, Any]:
    """A sysconfigdata module is plain data: run it here to read it."""
    values = runpy.run_path(str(path)).get("build_time_vars")
    if not isinstance(values, dict):
        raise SetupError(f"{path} has no build_time_vars: is the host python installed "
                         "completely? Run `android.py build HOST` again")
    return values


def relocated_build_time_vars(target: CrossTarget) -> dict[str, Any]:
    """The host's sysconfig values with the configured prefix (e.g. /usr/local,
    as `make install prefix=...` does not change them) replaced by where the
    prefix really is, so INCLUDEPY, LIBDIR and friends point at real files."""
    values = target.build_time_vars
    old = str(values.get("prefix") or "")
    new = str(target.prefix)
    if not old or old == new:
        return values

    def relocate(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value == old:
            return new
        return value.replace(old + "/", new + "/")

    return {key: relocate(value) for key, value in values.items()}
