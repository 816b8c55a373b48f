"""A non-editable `pip install .` into a fresh virtual environment is a working
copy: it finds the testbed it carries as package data, and its command line
runs.  (Installs from the package registry: build isolation needs setuptools.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support import bare_python
from support.cli import REPO

PROBE = """
from cpython_android import testbed
project = testbed.PROJECT_DIR
print(project)
assert testbed.is_ours(project), project
for name in testbed.PROJECT_SOURCES:
    assert (project / name).exists(), name
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A fresh venv whose pip is linked in (bare_python.make), not copied by ensurepip.
    python = bare_python.make(tmp_path_factory.mktemp("install")).python
    result = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                             str(REPO)], capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        pytest.fail(f"pip install . failed:\n{result.stdout}{result.stderr}")
    return python


def test_an_installed_copy_finds_its_testbed(installed: Path):
    site = subprocess.run([installed, "-c", "import cpython_android, sys; "
                           "print(cpython_android.__file__)"], capture_output=True, text=True)
    assert str(REPO) not in site.stdout, "not an installed copy: " + site.stdout
    result = subprocess.run([installed, "-c", PROBE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).parent == Path(site.stdout.strip()).parent
    assert Path(result.stdout.strip()).name == "testbed_project"


def test_an_installed_copy_runs_its_command_line(installed: Path):
    script = installed.parent / "cpython-android"
    result = subprocess.run([script, "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test" in result.stdout and "build" in result.stdout
