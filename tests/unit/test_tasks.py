"""tasks.py (invoke): one task per subcommand, through the command line's own
entry point, so a task and `android.py` give the same output and status."""

import subprocess
import sys
from pathlib import Path

from support.cli import REPO


def invoke(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_tasks_mirror_the_subcommands():
    listed = invoke("--list").stdout.split()
    for name in ("configure-build", "make-build", "configure-host", "make-host", "build",
                 "env", "clean", "deps", "test", "results", "check", "package", "cross-env",
                 "build-wheel", "build-testbed", "devices"):
        assert name in listed


def test_env_task_prints_the_toolchain(cpython_source, tmp_path):
    result = invoke("env", "--host", "aarch64-linux-gnu", "--checkout", str(cpython_source),
                    "--cross-build-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "export CC=" in result.stdout and "aarch64-linux-gnu-gcc" in result.stdout


def test_bad_host_is_one_line_and_status_2(cpython_source, tmp_path):
    result = invoke("build", "--host", "nonsense", "--checkout", str(cpython_source),
                    "--cross-build-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "unknown host 'nonsense'" in result.stderr
    assert not any(tmp_path.iterdir())


def test_results_task_converts_a_log_like_the_command(tmp_path):
    """The same saved crash log through invoke and android.py: same JUnit, same status."""
    from support.cli import run_cli

    log = REPO / "tests" / "data" / "regrtest" / "seq-crash-v.log"
    by_task = invoke("results", "--args", f"{log} --junit-xml {tmp_path / 'task.xml'}")
    by_cli = run_cli("results", log, "--junit-xml", tmp_path / "cli.xml")
    assert by_task.returncode == by_cli.returncode == 1
    assert junit_content(tmp_path / "task.xml") == junit_content(tmp_path / "cli.xml")
    assert "crash" in (tmp_path / "task.xml").read_text().lower()


def junit_content(path: Path) -> list[tuple]:
    """Suites and cases with their outcomes; not the write timestamp."""
    import junitparser

    return [(suite.name, case.classname, case.name,
             [(type(r).__name__, r.message) for r in case.result])
            for suite in junitparser.JUnitXml.fromfile(str(path)) for case in suite]


def test_every_task_has_a_docstring():
    lines = invoke("--list").stdout.splitlines()[2:]
    tasks = [line.split(None, 1) for line in lines if line.startswith("  ") and
             not line.startswith("   ")]
    assert len(tasks) >= 16
    assert all(len(parts) == 2 and parts[1].strip() for parts in tasks), tasks


def test_dash_h_is_help_not_host():
    result = invoke("test", "-h")
    assert result.returncode == 0, result.stderr
    assert "Run the test suite" in result.stdout and "--host" in result.stdout
