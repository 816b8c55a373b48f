"""`build` knows what is up to date.  A checkout whose configure script and
Makefile count their runs shows, through the real command line, which steps
ran: configure re-runs only when its arguments, environment or script change;
make only when a source file is newer than the last make."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from support.cli import run_cli
from support.trees import fake_checkout

CONFIGURE = """#!/bin/sh
echo "configure $*" >> "{calls}"
cat > Makefile <<'MAKEFILE'
all:
\techo make >> "{calls}"
\ttouch python
install:
\techo install >> "{calls}"
MAKEFILE
"""


@pytest.fixture
def tree(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    calls = tmp_path / "calls"
    calls.touch()
    (checkout / "configure").write_text(CONFIGURE.format(calls=calls))
    (checkout / "configure").chmod(0o755)
    (checkout / "Lib").mkdir()
    (checkout / "Lib" / "os.py").write_text("# os\n")
    old = time.time() - 3600  # sources older than any build
    for path in (checkout / "Lib" / "os.py", checkout / "configure"):
        os.utime(path, (old, old))

    def build_python(*args: str, env: dict[str, str] | None = None) -> list[str]:
        """Run configure-build + make-build; return what actually ran."""
        before = calls.read_text().splitlines()
        for step in (["configure-build", *args], ["make-build"]):
            result = run_cli("--checkout", checkout, *step, env=env)
            assert result.returncode == 0, result.stderr
        return calls.read_text().splitlines()[len(before):]

    return checkout, build_python


def test_second_run_does_nothing(tree):
    checkout, build_python = tree
    assert build_python() == ["configure ", "make"]
    assert build_python() == []


def test_configure_reruns_when_arguments_change(tree):
    checkout, build_python = tree
    build_python()
    assert build_python("--", "--with-pydebug") == ["configure --with-pydebug", "make"]
    assert build_python("--", "--with-pydebug") == []


def test_configure_reruns_when_environment_changes(tree):
    checkout, build_python = tree
    build_python()
    assert build_python(env={"CFLAGS": "-O0"}) == ["configure ", "make"]
    assert build_python(env={"CFLAGS": "-O0"}) == []


def test_configure_reruns_when_the_script_changes(tree):
    checkout, build_python = tree
    build_python()
    with open(checkout / "configure", "a") as f:
        f.write("# regenerated\n")
    assert build_python() == ["configure ", "make"]


def test_make_reruns_when_a_source_changes(tree):
    checkout, build_python = tree
    build_python()
    (checkout / "Lib" / "os.py").write_text("# changed\n")
    assert build_python() == ["make"]


def test_clean_forces_both(tree):
    checkout, build_python = tree
    build_python()
    assert build_python("--clean") == ["configure ", "make"]


def test_up_to_date_steps_say_so(tree):
    checkout, build_python = tree
    build_python()
    result = run_cli("--checkout", checkout, "configure-build")
    assert "configure-build: up to date" in result.stdout
