"""Zero setup: the entry scripts under a python3 with none of our packages
provide them once (hash-checked, offline from a wheel directory) or stop
before any work with one line; never a traceback, never after the work."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from cpython_android import bootstrap
from support import bare_python
from support.cli import REPO, run_cli

ENTRY_SCRIPTS = (REPO / "Android" / "android.py", REPO / "Platforms" / "Android" / "__main__.py")
# A real regrtest output (tests/data/regrtest/README.txt says how it was made).
SAVED_LOG = REPO / "tests" / "data" / "regrtest" / "seq.log"


def dependencies() -> list[str]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]


def test_needed_packages_are_pyprojects_and_the_pep723_blocks():
    assert [f"{name}>={minimum}" for name, minimum in bootstrap.NEEDED.items()] == dependencies()
    for script in ENTRY_SCRIPTS:
        block = re.search(r"^# /// script\n((?:#.*\n)*?)# ///$", script.read_text(), re.M)
        assert block, script
        metadata = tomllib.loads("".join(line[2:] + "\n"
                                         for line in block[1].splitlines()))
        assert metadata["dependencies"] == dependencies()
        assert metadata["requires-python"] == ">=3.11"
        assert "if sys.version_info < (3, 11):  # noqa: UP036" in script.read_text()


def test_the_entry_scripts_are_one_file():
    first, second = (script.read_bytes() for script in ENTRY_SCRIPTS)
    assert first == second


def test_requirements_pin_every_needed_package_with_hashes():
    text = bootstrap.REQUIREMENTS.read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M))
    for name, minimum in bootstrap.NEEDED.items():
        assert bootstrap.version_tuple(pins[name]) >= bootstrap.version_tuple(minimum)
    assert text.count("==") == len(pins) and "--hash=sha256:" in text
    assert not re.search(r"https?://", text)


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> bare_python.BarePython:
    return bare_python.make(tmp_path_factory.mktemp("bare"))


@pytest.mark.parametrize("entry", ["Android/android.py", "Platforms/Android"])
def test_bare_python_installs_once_then_runs(bare, tmp_path: Path, entry: str):
    assert bare.run("-c", "import junitparser").returncode == 1  # truly bare
    # The test environment's python, with our packages: the same output files, so
    # the same lines ("JUnit XML: ...", "HTML report: ...").
    out = tmp_path / "out.xml"
    ours_written = run_cli("results", SAVED_LOG, "--junit-xml", out)
    out.unlink()
    out.with_suffix(".html").unlink()
    first = bare.run(REPO / entry, "results", SAVED_LOG, "--junit-xml", out)
    assert (first.returncode, first.stdout) == (ours_written.returncode, ours_written.stdout), \
        first.stderr
    assert "Traceback" not in first.stderr and out.is_file() and out.with_suffix(".html").is_file()
    ours = run_cli("results", SAVED_LOG)
    again = bare.run(REPO / entry, "results", SAVED_LOG)
    assert (again.returncode, again.stdout, again.stderr) == (ours.returncode, ours.stdout, "")
    [made] = [p for p in bare.cache.iterdir() if p.is_dir()]  # made once, reused
    assert (made / bootstrap.COMPLETE).is_file()


def test_bare_python_that_may_not_install_stops_before_any_work(tmp_path: Path):
    bare = bare_python.make(tmp_path)
    out = tmp_path / "out.xml"
    result = bare.run(REPO / "Android" / "android.py", "results", SAVED_LOG,
                      "--junit-xml", out, **{bootstrap.SWITCH_ENV: "0"})
    assert result.returncode == bootstrap.SETUP_EXIT_STATUS
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "needs adbutils, junitparser, packaging, pyelftools" in result.stderr
    assert "pip install -r" in result.stderr and "uv run" in result.stderr
    assert not out.exists() and result.stdout == ""


def test_without_pip_or_wheels_it_is_one_line_naming_the_log(tmp_path: Path):
    no_pip = bare_python.make(tmp_path / "a", with_pip=False)
    result = no_pip.run(REPO / "Android" / "android.py", "devices")
    assert result.returncode == bootstrap.SETUP_EXIT_STATUS, result.stderr
    assert result.stderr.count("\n") == 1 and "has no pip" in result.stderr

    empty = tmp_path / "no-wheels"
    empty.mkdir()
    offline = bare_python.make(tmp_path / "b")
    result = offline.run(REPO / "Android" / "android.py", "devices",
                         **{bootstrap.WHEELS_ENV: str(empty)})
    assert result.returncode == bootstrap.SETUP_EXIT_STATUS
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if "error:" in line]
    assert "could not install" in error and f"from {empty}" in error
    log = Path(re.search(r"log (\S+)\)", error)[1])
    assert "--require-hashes" in log.read_text()
    assert not [p for p in offline.cache.iterdir() if p.is_dir()]  # nothing half-made kept
