"""A release package staged by package.stage from a fake installed prefix (no
build), and how its clients read `android.py env`."""

from __future__ import annotations

import shlex
from pathlib import Path

from cpython_android import package
from cpython_android.hosts import parse_host
from support.cli import REPO
from support.trees import fake_installed_python

ANDROID = "x86_64-linux-android"


def staged(root: Path, host: str) -> Path:
    """root/pkg: the package's files, as `package` lays them out."""
    prefix = root / "built" / "prefix"
    fake_installed_python(prefix, host)
    (prefix / "lib" / "pkgconfig").mkdir()
    (prefix / "lib" / "pkgconfig" / "python3.pc").write_text("")
    request = package.PackageRequest(host=parse_host(host), prefix=prefix, dist_dir=root,
                                     tool_root=REPO, testbed=REPO / "testbed", strip=None)
    package.stage(request, "3.13.5", root / "pkg")
    return root / "pkg"


def exports(output: str) -> dict[str, str]:
    """cibuildwheel's reading: shlex tokens alternating `export` and `K=V`."""
    tokens = shlex.split(output)
    assert tokens[::2] == ["export"] * (len(tokens) // 2), output
    return dict(token.split("=", 1) for token in tokens[1::2])
