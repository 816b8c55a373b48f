"""Prebuilt-library archives made by the tests, and a cross-build tree that
installs them with `deps HOST --deps-dir DIR` (no network)."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from cpython_android.deps import pins as pins_mod
from cpython_android.hosts import parse_host
from cpython_android.layout import make_tree
from support.cli import run_cli
from support.trees import fake_checkout

ANDROID_HOST = "aarch64-linux-android"


def link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


def make_tar(path: Path, files: dict[str, bytes],
             extra: list[tarfile.TarInfo] | None = None) -> Path:
    """A .tar.gz with regular files (and any hand-made members, after them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info)
    return path


def archive_name(library: str, host: str = ANDROID_HOST) -> str:
    """The pinned prebuilt archive's file name for `library`."""
    pins = pins_mod.load()
    return pins.prebuilt(pins.libraries[library], parse_host(host)).archive


def tree_state(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every entry under `root` (relative path -> content, link target or "dir"),
    without following links; `skip`: relative paths left out with what is under them."""
    state: dict[str, str] = {}
    if not os.path.lexists(root):
        return state
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        dirnames[:] = [d for d in dirnames if (rel_dir / d).as_posix() not in skip]
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            rel = (rel_dir / name).as_posix()
            if rel in skip:
                continue
            if path.is_symlink():
                state[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                state[rel] = "dir"
            elif not path.is_file():  # a FIFO or device: never opened
                state[rel] = "special"
            else:
                state[rel] = path.read_bytes().decode("latin-1")
    return state


@dataclass
class DepsTree:
    """A fake checkout, a cross-build directory and a directory of archives."""

    root: Path

    def __post_init__(self) -> None:
        fake_checkout(self.checkout)
        self.archives.mkdir(parents=True, exist_ok=True)

    @property
    def checkout(self) -> Path:
        return self.root / "cpython"

    @property
    def cross_build(self) -> Path:
        return self.root / "work" / "xb"

    @property
    def archives(self) -> Path:
        return self.root / "archives"

    @property
    def prefix(self) -> Path:
        return self.cross_build / ANDROID_HOST / "prefix"

    def archive(self, library: str, files: dict[str, bytes],
                extra: list[tarfile.TarInfo] | None = None) -> Path:
        return make_tar(self.archives / archive_name(library), files, extra)

    def deps(self, *libs: str, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        return run_cli("--checkout", self.checkout, "--cross-build-dir", self.cross_build,
                       "deps", ANDROID_HOST, *libs, "--deps-dir", self.archives,
                       "--cache-dir", self.root / "cache", *args)

    def seed_prefix(self) -> dict[str, str]:
        """What `build` put there: the prefix's state afterwards."""
        make_tree(self.prefix.parent)
        for rel, text in {"lib/libpython3.13.so": "ELF", "lib/python3.13/os.py": "# os",
                          "include/python3.13/Python.h": "/* Python.h */",
                          "bin/python3.13": "#!python"}.items():
            (self.prefix / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.prefix / rel).write_text(text)
        return tree_state(self.prefix)
