"""Package and wheel for Android, for real, on the android-lab: `package
x86_64-linux-android` (which runs `check` first) extracted elsewhere runs its
own tests on bionic; `build-wheel x86_64-linux-android` of a setuptools C
extension gives an Android wheel that `pip install --target` installs and
the Android python imports.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from junitparser import JUnitXml

from support.cli import LAB_ENTRY
from support.lab_fixtures import X86_64, LabBuild
from support.projects import setuptools_project

pytestmark = [pytest.mark.lab, pytest.mark.integration]


@pytest.fixture(scope="module")
def extracted(lab_x86_64: LabBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release package, extracted away from the checkout and cross-build."""
    result = lab_x86_64.lab_cli("package", X86_64, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert re.search(r"^check: \d+ ELF files ok$", result.stdout, re.MULTILINE), result.stdout
    [tarball] = (lab_x86_64.cross_build / X86_64 / "dist").glob(f"python-*-{X86_64}.tar.gz")
    root = tmp_path_factory.mktemp("extracted")
    with tarfile.open(tarball) as tar:
        tar.extractall(root, filter="data")
    return root


def package_cli(root: Path, *args: str | Path, timeout: float = 900):
    """The extracted package's own android.py, run from outside any checkout
    (through lab_entry.py, which registers `--lab DIR`, when the run uses it)."""
    env = {k: v for k, v in os.environ.items() if k != "CPYTHON_CHECKOUT"}
    entry = [str(LAB_ENTRY)] if "--lab" in args else []
    return subprocess.run([sys.executable, *entry, str(root / "android.py"),
                           *map(str, args)], cwd=root.parent, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_extracted_package_runs_its_tests_on_bionic(extracted: Path, lab_x86_64: LabBuild,
                                                    tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    result = package_cli(extracted, "test", X86_64, "--lab", lab_x86_64.lab.root,
                         "--junit-xml", junit, "--", "test_json", "test_zlib")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    xml = JUnitXml.fromfile(str(junit))
    assert {suite.name for suite in xml} == {"test_json", "test_zlib"}
    assert sum(len(list(suite)) for suite in xml) > 100
    # The package's own prefix ran, not the cross-build's.
    where = package_cli(extracted, "test", X86_64, "--lab", lab_x86_64.lab.root, "-c",
                        "import sys, zlib; print(sys.platform, sys.prefix)")
    assert where.returncode == 0, where.stderr
    assert f"android {extracted / 'prefix'}" in where.stdout.splitlines()


def test_android_wheel_installs_and_imports(lab_x86_64: LabBuild, tmp_path: Path) -> None:
    project = setuptools_project(tmp_path / "project")
    dist = tmp_path / "dist"
    result = lab_x86_64.lab_cli("build-wheel", X86_64, project, "-o", dist, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    [wheel] = dist.glob("*.whl")
    assert wheel.name == "triple-1.0-cp313-cp313-android_24_x86_64.whl"
    site = tmp_path / "site"
    # pip of the cross environment: it takes android_24_x86_64 as its platform.
    pip = lab_x86_64.cross_build / X86_64 / "cross-env" / "bin" / "python"
    subprocess.run([str(pip), "-m", "pip", "install", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    [module] = site.glob("triple.*.so")
    assert module.name == f"triple.cpython-313-{X86_64}.so"
    with open(module, "rb") as f:
        assert ELFFile(f)["e_machine"] == "EM_X86_64"
    n = random.randint(10, 1000)
    run = lab_x86_64.lab_cli("test", X86_64, "--lab", lab_x86_64.lab.root, "--site-packages",
                             site, "-c", f"import sysconfig, triple; "
                             f"print(sysconfig.get_platform(), triple.compute({n}))",
                             timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.split()[-2:] == ["android-24-x86_64", str(3 * n)]
