"""ruff and mypy, as configured in pyproject.toml, pass on the whole tree: a
merge that brings back a long line or a type error turns CI red, not the next
reader's editor."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from support.cli import REPO


def _tool(module: str) -> list[str]:
    if shutil.which(module) is None and subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True).returncode:
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")
    return [sys.executable, "-m", module]


@pytest.mark.parametrize("command", [["ruff", "check", "."], ["mypy"]], ids=["ruff", "mypy"])
def test_the_tree_is_clean(command: list[str]) -> None:
    result = subprocess.run([*_tool(command[0]), *command[1:]], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
