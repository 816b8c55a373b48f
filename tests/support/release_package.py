"""A release package staged by package.stage from a fake installed prefix (no
build), and how its clients read `android.py env`."""

from __future__ import annotations

import shlex
from pathlib import Path

from cpython_android import package as package_mod
from cpython_android.hosts import parse_host
from support.bare_python import BarePython
from support.cli import GNU_HOST, REPO, BuiltHost, run_cli
from support.trees import fake_installed_python, script

ANDROID = "x86_64-linux-android"
TARBALL = f"python-3.13.5-{GNU_HOST}.tar.gz"


def staged(root: Path, host: str) -> Path:
    """root/pkg: the package's files, as `package` lays them out."""
    prefix = root / "built" / "prefix"
    fake_installed_python(prefix, host)
    (prefix / "lib" / "pkgconfig").mkdir()
    (prefix / "lib" / "pkgconfig" / "python3.pc").write_text("")
    request = package_mod.PackageRequest(host=parse_host(host), prefix=prefix, dist_dir=root,
                                     tool_root=REPO, testbed=REPO / "testbed", strip=None)
    package_mod.stage(request, "3.13.5", root / "pkg")
    return root / "pkg"


def exports(output: str) -> dict[str, str]:
    """cibuildwheel's reading: shlex tokens alternating `export` and `K=V`."""
    tokens = shlex.split(output)
    assert tokens[::2] == ["export"] * (len(tokens) // 2), output
    return dict(token.split("=", 1) for token in tokens[1::2])


def linked_cross_build(gnu_build: BuiltHost, root: Path) -> Path:
    """A cross-build dir whose host prefix is the session build's (by symlink),
    so packages land in our own dist directory, not the shared build's."""
    (root / GNU_HOST).mkdir(parents=True)
    (root / GNU_HOST / "prefix").symlink_to(gnu_build.prefix)
    (root / "build").symlink_to(gnu_build.cross_build / "build")
    return root


def package(gnu_build: BuiltHost, cross_build: Path, *args: str) -> Path:
    """`android.py package GNU_HOST` of the session build; the tarball."""
    result = run_cli("--checkout", gnu_build.checkout, "--cross-build-dir", cross_build,
                     "package", GNU_HOST, *args, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    tarball = cross_build / GNU_HOST / "dist" / TARBALL
    assert f"Wrote {tarball}" in result.stdout
    return tarball


def cibuildwheel_env(bare: BarePython, sdk: Path, tools: Path) -> dict[str, str]:
    """cibuildwheel's build_env: its venv (ours: the bare one) first on PATH,
    ANDROID_API_LEVEL as its setup_env defaults it; pkgconf-pypi, its own tool."""
    script(tools / "pkgconf-pypi", "exec pkg-config \"$@\"\n")
    env = bare.env(ANDROID_HOME=str(sdk), ANDROID_API_LEVEL="24",
                   VIRTUAL_ENV=str(bare.python.parent.parent))
    env["PATH"] = f"{bare.python.parent}:{tools}:{env['PATH']}"
    return env
