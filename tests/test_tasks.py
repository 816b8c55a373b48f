"""tasks.py (invoke) drives the library the same way the command line does."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def invoke(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_tasks_mirror_the_subcommands():
    listed = invoke("--list").stdout.split()
    for name in ("configure-build", "make-build", "configure-host", "make-host", "build",
                 "env", "clean"):
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
