"""cibuildwheel's own `test_wheel`, against a real x86_64-linux-android release
package of the session's android-lab build, on a device: the ADB double, whose
app runs the package's python on bionic.  The line runs unchanged, from the
package, under cibuildwheel's python (a bare venv, through our bootstrap), and
goes all the way: the wheel's site-packages and the test sources pushed, the
test command run on Android, its output streamed back and its exit status
returned.  Only the testbed's APKs are stand-ins (no Gradle or SDK here): made
where `test` looks for them, recorded as current, as tests/support/devices.py
does for a checkout.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from cpython_android.testbed import GradleOptions, Testbed
from cpython_android.toolchains.ndk import DEFAULT_NDK_VERSION
from support import bare_python
from support.lab_fixtures import X86_64, LabBuild
from support.release_package import cibuildwheel_env
from support.trees import script

pytestmark = [pytest.mark.lab, pytest.mark.integration]

SERIAL = "emulator-5554"
# What the wheel's tests check, run by `python -m unittest` in the pushed cwd.
PROBE = '''import sys, unittest
import probe_wheel

class OnAndroid(unittest.TestCase):
    def test_platform(self):
        self.assertEqual(sys.platform, "android")

    def test_the_wheel_is_importable(self):
        self.assertEqual(probe_wheel.ANSWER, 42)
'''


@pytest.fixture(scope="module")
def package_root(lab_x86_64: LabBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`android.py package x86_64-linux-android`, unpacked where cibuildwheel would."""
    result = lab_x86_64.lab_cli("package", X86_64, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    [tarball] = (lab_x86_64.cross_build / X86_64 / "dist").glob(f"python-*-{X86_64}.tar.gz")
    root = tmp_path_factory.mktemp("cibw") / "python"
    with tarfile.open(tarball) as tar:
        tar.extractall(root, filter="data")
    return root


def stand_in_apks(root: Path) -> None:
    """The package's testbed APKs where its `test` looks, recorded as built from
    the package's own inputs, so that it installs them instead of building."""
    layout = Layout(root / "cross-build", package_prefix=root / "prefix")
    bed = Testbed(parse_host(X86_64), layout, root / "testbed")
    for apk in (bed.app_apk, bed.test_apk):
        apk.parent.mkdir(parents=True, exist_ok=True)
        apk.write_bytes(b"PK\x03\x04 not a real APK")
    bed.record_inputs(GradleOptions("3.13", DEFAULT_NDK_VERSION))


def test_cibuildwheel_test_wheel_runs_on_the_device(lab_x86_64: LabBuild, package_root: Path,
                                                    double, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch):
    from cibuildwheel.platforms import android as cibw

    if sys.platform != "linux" or cibw.platform.machine() != "x86_64":
        pytest.skip("cibuildwheel tests Android wheels only for the build machine's arch")
    prefix = package_root / "prefix"
    # The device's "app": the package's own python on bionic (LD_LIBRARY_PATH as
    # the testbed's loader namespace gives it its libpython).
    app = script(tmp_path / "app-python",
                 f'LD_LIBRARY_PATH="{prefix}/lib" PYTHONHOME="{prefix}" '
                 f'exec "{prefix}/bin/python3.13" "$@"\n')
    double.add_device(SERIAL, tmp_path / "device", python=[str(app)],
                      props={"ro.product.cpu.abilist": "x86_64,x86"})
    stand_in_apks(package_root)

    sources = tmp_path / "project"
    sources.mkdir()
    (sources / "test_probe.py").write_text(PROBE)
    monkeypatch.chdir(sources)  # cibuildwheel copies test-sources from its cwd

    def pip_install_android(state, site_packages: Path, *requirements: str) -> None:
        # Instead of pip installing the wheel for Android: the module it would bring.
        (site_packages / "probe_wheel.py").write_text("ANSWER = 42\n")

    ran: list[subprocess.CompletedProcess[str]] = []

    def call(*args, env=None, **kwargs):  # cibuildwheel's `call`, keeping what it said
        result = subprocess.run([str(a) for a in args], env=env, capture_output=True,
                                text=True, stdin=subprocess.DEVNULL, timeout=900)
        ran.append(result)
        result.check_returncode()

    monkeypatch.setattr(cibw, "call", call)
    monkeypatch.setattr(cibw, "pip_install_android", pip_install_android)
    build = tmp_path / "build"
    build.mkdir()
    bare = bare_python.make(tmp_path / "bare")
    options = SimpleNamespace(
        test_command="python -m unittest -v test_probe", test_selector=lambda identifier: True,
        before_test=None, test_extras="", test_requires=[], test_sources=["test_probe.py"],
        test_runtime=SimpleNamespace(args=["--connected", SERIAL]), build_verbosity=1)
    state = SimpleNamespace(
        options=options, build_path=build, python_dir=package_root,
        config=SimpleNamespace(identifier="cp313-android_x86_64", arch="x86_64"),
        build_env={**cibuildwheel_env(bare, lab_x86_64.lab.android_home, tmp_path / "tools"),
                   **double.env})
    try:
        cibw.test_wheel(state, tmp_path / "probe_wheel-1.0-cp313-cp313-android_24_x86_64.whl")
    finally:
        [result] = ran
        shown = result.stdout[-3000:] + result.stderr[-3000:]
    assert result.args[:2] == [str(package_root / "android.py"), "test"], result.args
    assert result.args[-5:] == ["--", "-m", "unittest", "-v", "test_probe"]
    assert f"HOST {X86_64}" in result.stdout, shown
    output = result.stdout + result.stderr
    assert re.search(r"test_platform .* ok", output), shown
    assert re.search(r"test_the_wheel_is_importable .* ok", output), shown
    assert re.search(r"^Ran 2 tests", output, re.MULTILINE), shown
