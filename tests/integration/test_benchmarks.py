"""Every benchmark still runs: each script in benchmarks/ in its smallest
setting (the smallest input, one round), so a benchmark broken by a change in
the library turns CI red.  Timing targets are not judged here (a missed one
exits 1 and prints MISSED/OVER); a traceback or any other status is a failure.
The figures themselves are measured side by side by `nox -s benchmarks`."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import REPO, BuiltHost, ccache_env
from support.lab_fixtures import LabBuild
from support.trees import fake_checkout

BENCHMARKS = REPO / "benchmarks"
#: A CPython stand-in whose configure and make cost nothing: build.py's three
#: builds (cold, no-op, ccache-warm) run through the real command line.
INSTANT_CONFIGURE = """#!/bin/sh
cat > Makefile <<'MAKEFILE'
all:
\ttouch python
install:
\tmkdir -p $(DESTDIR)/prefix
MAKEFILE
"""


def run_benchmark(script: str, *args: str | Path, timeout: float = 1800
                  ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), *map(str, args)],
                            capture_output=True, text=True, timeout=timeout,
                            env=dict(os.environ, **ccache_env()),
                            stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-4000:]
    assert result.returncode in (0, 1), output[-4000:]
    return result


def test_every_benchmark_has_a_smoke_test():
    here = Path(__file__).read_text()
    missing = [p.name for p in BENCHMARKS.glob("*.py") if f'run_benchmark("{p.name}"' not in here]
    assert missing == []


def test_benchmarks_drive_the_product_from_outside():
    """A benchmark runs `android.py` as a user does: it imports nothing of the library."""
    inside = {path.name: [node.lineno for node in ast.walk(ast.parse(path.read_text()))
                          if isinstance(node, ast.Import | ast.ImportFrom) and any(
                              name.split(".")[0] == "cpython_android" for name in (
                                  [node.module or ""] if isinstance(node, ast.ImportFrom)
                                  else [alias.name for alias in node.names]))]
              for path in BENCHMARKS.glob("*.py")}
    assert {name: lines for name, lines in inside.items() if lines} == {}


def test_results_benchmark(tmp_path: Path):
    result = run_benchmark("results.py", "--smoke")
    assert "parse + write: best" in result.stdout
    assert "the code before re-run classification" in result.stdout


def test_report_benchmark():
    result = run_benchmark("report.py", "--smoke")
    assert "write the report (android.py results JUNIT --html, start-up included): best" \
        in result.stdout
    assert "report from the JUnit:" in result.stdout
    # Without chromium the render is skipped, saying so; with it, it is measured.
    assert "render in headless chromium: best" in result.stdout or \
        "render: skipped (no chromium" in result.stdout


def test_hostile_benchmark():
    result = run_benchmark("hostile.py", "--mib", "1", "--rounds", "1")
    assert "(a) pump 1 MiB" in result.stdout


def test_build_benchmark(tmp_path: Path):
    checkout = fake_checkout(tmp_path / "cpython")
    (checkout / "configure").write_text(INSTANT_CONFIGURE)
    result = run_benchmark("build.py", "--checkout", checkout)
    for kind in ("cold", "no-op", "ccache-warm"):
        assert kind in result.stdout


def test_deps_benchmark(cpython_source: Path):
    result = run_benchmark("deps.py", "--checkout", cpython_source, "--libraries", "bzip2")
    assert "prebuilt: download + extract" in result.stdout
    assert "from source: bzip2" in result.stdout


def test_harness_benchmark(gnu_build: BuiltHost):
    result = run_benchmark("harness.py", "--checkout", gnu_build.checkout, "--cross-build-dir",
                           gnu_build.cross_build, "--rounds", "1", "test_bool")
    assert "harness" in result.stdout


def test_crash_benchmark(gnu_build: BuiltHost):
    result = run_benchmark("crash.py", "--checkout", gnu_build.checkout, "--cross-build-dir",
                           gnu_build.cross_build, "--rounds", "1", "test_bool")
    assert "rounds" in result.stdout


def test_free_threaded_benchmark(gnu_build: BuiltHost, ft_build: BuiltHost):
    result = run_benchmark("free_threaded.py", "--checkout", ft_build.checkout,
                           "--cross-build-dir", ft_build.cross_build, "--rounds", "1",
                           "--threads", "2", "--per-chunk", "1000")
    assert "threads" in result.stdout


@pytest.mark.lab
def test_lab_suite_benchmark(lab_x86_64: LabBuild):
    result = run_benchmark("lab_suite.py", "--checkout", lab_x86_64.checkout,
                           "--cross-build-dir", lab_x86_64.cross_build, "--lab",
                           lab_x86_64.lab.root, "--selection", "test_bool")
    assert "wall time ratio" in result.stdout


@pytest.mark.lab
def test_device_pool_benchmark(lab_x86_64: LabBuild):
    result = run_benchmark("device_pool.py", "--checkout", lab_x86_64.checkout,
                           "--cross-build-dir", lab_x86_64.cross_build, "--lab",
                           lab_x86_64.lab.root, "--selection", "test_bool,test_int")
    assert "pool / regrtest -j2" in result.stdout
    assert "lost / undisturbed" in result.stdout
