"""tasks.py's `test` task on the session's GNU build: regrtest runs on the host
through the command line's own entry point, as `android.py test` runs it."""

import subprocess
import sys
from pathlib import Path

from support.cli import REPO


def invoke(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_test_task_runs_regrtest_on_the_host(gnu_build):
    result = invoke("test", "--host", gnu_build.host, "--checkout", str(gnu_build.checkout),
                    "--cross-build-dir", str(gnu_build.cross_build), "--args", "-- test_bool")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Result: SUCCESS" in result.stdout
