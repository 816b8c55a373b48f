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


def fake_installed_python(prefix: Path, triplet: str, abiflags: str = "") -> Path:
    """What `make install` leaves that names the interpreter: patchlevel.h,
    the sysconfig data (VERSION, ABIFLAGS, ...) and bin/python3.13[t] (empty).
    Returns the stdlib directory."""
    name = f"python3.13{abiflags}"
    (prefix / "include" / name).mkdir(parents=True, exist_ok=True)
    (prefix / "include" / name / "patchlevel.h").write_text('#define PY_VERSION "3.13.5"\n')
    stdlib = prefix / "lib" / name
    stdlib.mkdir(parents=True, exist_ok=True)
    machdep = "android" if "android" in triplet else "linux"
    values = {"VERSION": "3.13", "ABIFLAGS": abiflags, "LDVERSION": f"3.13{abiflags}",
              "Py_GIL_DISABLED": int("t" in abiflags), "MULTIARCH": triplet,
              "SOABI": f"cpython-313{abiflags}-{triplet}"}
    (stdlib / f"_sysconfigdata_{abiflags}_{machdep}_{triplet}.py").write_text(
        f"build_time_vars = {values!r}\n")
    (prefix / "bin").mkdir(exist_ok=True)
    (prefix / "bin" / name).write_text("")
    return stdlib


def gcc_so(compiler: str, out: Path, source: str, *args: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.with_name(out.name + ".c")
    src.write_text(source)
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(out), str(src), *args], check=True)
    src.unlink()
    return out


def script(path: Path, body: str) -> Path:
    """An executable /bin/sh script (a stand-in for java, sdkmanager, avdmanager ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path
