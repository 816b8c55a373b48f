"""nox sessions: `nox -s tests`, `nox -s lint`, `nox -s typecheck`, `nox -s build -- HOST`,
`nox -s integration`, `nox -s benchmarks`.

Each session installs this project into its own virtualenv and calls the
library (through its `cpython-android` console script or pytest).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

SOURCES = ["Tools", "tests", "Android", "benchmarks", "noxfile.py", "tasks.py"]


@nox.session
def tests(session: nox.Session) -> None:
    """The unit tests, tests/unit (no CPython build; pytest options after --)."""
    session.install("-e", ".[dev]")
    session.run("pytest", "-ra", "-n", "auto", "tests/unit", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """The tests that build CPython for real (tests/integration): qemu, the ADB
    double, the android-lab."""
    session.install("-e", ".[dev]")
    session.run("pytest", "-ra", "tests/integration", *session.posargs)


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Every benchmark (ratios measured side by side; several minutes each).

    benchmarks/harness.py and benchmarks/crash.py need a built host: `nox -s benchmarks
    -- --checkout DIR --cross-build-dir DIR` passes those to them; without them they are
    left out."""
    session.install("-e", ".[dev]")
    for script in ("build.py", "deps.py", "results.py", "hostile.py", "report.py"):
        session.run("python", f"benchmarks/{script}")
    for script in ("harness.py", "crash.py"):
        if session.posargs:
            session.run("python", f"benchmarks/{script}", *session.posargs)
        else:
            session.log(f"benchmarks/{script} skipped: give --checkout DIR --cross-build-dir DIR")


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", *SOURCES)


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]", "mypy")
    session.run("mypy")


@nox.session
def build(session: nox.Session) -> None:
    """`android.py build` with the arguments after --, parsed by the command line
    itself: `CPYTHON_CHECKOUT=~/cpython nox -s build -- aarch64-linux-gnu --ccache`."""
    session.install("-e", ".")
    session.run("cpython-android", "build", *session.posargs)
