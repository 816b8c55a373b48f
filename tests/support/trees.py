"""Small fake trees for tests that need no real build."""

from __future__ import annotations

import subprocess
from pathlib import Path


def fake_checkout(root: Path) -> Path:
    """The files that make a directory look like a CPython source tree."""
    (root / "Include").mkdir(parents=True)
    (root / "Include" / "patchlevel.h").write_text('#define PY_VERSION "3.13.5"\n')
    (root / "configure").write_text("#!/bin/sh\nexit 0\n")
    (root / "configure").chmod(0o755)
    (root / "pyconfig.h.in").write_text("")
    (root / "config.guess").write_text("#!/bin/sh\necho x86_64-pc-linux-gnu\n")
    return root


def gcc_so(compiler: str, out: Path, source: str, *args: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.with_name(out.name + ".c")
    src.write_text(source)
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(out), str(src), *args], check=True)
    src.unlink()
    return out
