"""The real clients' command lines, replayed verbatim in the layout each sees,
under the python3 each runs (a bare one: a fresh venv without our packages).

Fake trees here (a 3.13 checkout with our files and buildmaster's symlink
step, a main-style checkout, a release package staged from a fake prefix, a
fake NDK): each line runs as far as such a tree allows and must end there
with one line saying what is missing, never a traceback or a usage error.
tests/integration/test_clients_real.py replays them on real builds.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

from cpython_android.toolchains.ndk import DEFAULT_NDK_VERSION
from support import bare_python
from support.cli import REPO
from support.ndk_layout import make_ndk
from support.release_package import ANDROID, cibuildwheel_env, exports, staged
from support.trees import fake_checkout

# --- the clients' command lines, as their files write them --------------------------
# python/buildmaster-config master/custom/factories.py, AndroidBuild.setup (the
# "aarch64 Android" and "AMD64 Android" builders); HOST is `{arch}-linux-android`
# from ./config.guess; the worker's plain python3 runs `python3 Platforms/Android`.
BUILDMASTER = (("configure-build",), ("make-build",), ("pythoninfo-build",),
               ("configure-host", "{host}"), ("make-host", "{host}"),
               ("test", "--managed", "maxVersion", "-v", "--slow-ci"))
# Same file, before `Platforms/Android` exists (3.13/3.14): this compatibility step.
BUILDMASTER_SYMLINKS = ("if [ ! -e Platforms/Android ]; then mkdir -p Platforms && "
                        "ln -s ../Android Platforms/Android && "
                        "ln -s android.py Platforms/Android/__main__.py; fi")
# python/cpython Platforms/Android/__main__.py, ci(): the tests, in the unpacked package.
UPSTREAM_CI_TEST = ("./android.py", "test", "--managed", "maxVersion", "-v", "--fast-ci")
# python/release-tools .github/workflows/build-release.yml (macos-15 and ubuntu-24.04 jobs).
RELEASE_TOOLS = ("ci", "--fast-ci", "{triplet}")
# Craun718/MaaAgentCoreAndroid scripts/build_agent_core.py: options after the command.
THIRD_PARTY = (("configure-build", "--clean", "--cross-build-dir", "{dir}"),
               ("make-host", "{host}", "--cross-build-dir", "{dir}"))
# python/buildmaster-config master/custom/factories.py, older revisions (3.13's builders).
OLDER_BUILDBOT = (("clean",), ("build-testbed",))


def filled(line: Sequence[str], **values: str) -> list[str]:
    return [word.format(**values) for word in line]


def one_line_stop(result: subprocess.CompletedProcess[str]) -> str:
    """The error line of a run that stopped where this machine cannot go on."""
    assert result.returncode not in (0, 1), result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "arguments are required" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("android.py: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> bare_python.BarePython:
    return bare_python.make(tmp_path_factory.mktemp("bare"))


def checkout_313(root: Path) -> Path:
    """A 3.13 checkout with our files copied in, then buildmaster's step, verbatim."""
    checkout = fake_checkout(root)
    (checkout / "Android").mkdir()
    shutil.copy2(REPO / "Android" / "android.py", checkout / "Android")
    shutil.copytree(REPO / "Tools" / "cpython_android", checkout / "Tools" / "cpython_android")
    subprocess.run(["sh", "-c", BUILDMASTER_SYMLINKS], cwd=checkout, check=True)
    return checkout


def checkout_main(root: Path) -> Path:
    checkout = fake_checkout(root)
    (checkout / "Include" / "patchlevel.h").write_text('#define PY_VERSION "3.15.0a1+"\n')
    shutil.copytree(REPO / "Platforms", checkout / "Platforms")
    shutil.copytree(REPO / "Tools" / "cpython_android", checkout / "Tools" / "cpython_android")
    return checkout


@pytest.mark.parametrize("make", [checkout_313, checkout_main], ids=["3.13", "main"])
def test_buildmaster_lines_in_its_checkout(bare, tmp_path: Path, make):
    checkout = make(tmp_path / "cpython")
    configure = bare.run("Platforms/Android", *BUILDMASTER[0], cwd=checkout)
    assert configure.returncode == 0, configure.stderr
    assert (checkout / "cross-build" / "build").is_dir()
    # The fake checkout's configure configures nothing: make-build stops there.
    make_build = bare.run("Platforms/Android", *BUILDMASTER[1], cwd=checkout)
    assert "configure-build" in one_line_stop(make_build)
    # test, no HOST: this machine's architecture, as the managed emulator's image; not built.
    test = bare.run("Platforms/Android", *BUILDMASTER[-1], cwd=checkout)
    assert "no build for" in one_line_stop(test)


def test_release_tools_ci_line_in_a_main_checkout(bare, tmp_path: Path):
    checkout = checkout_main(tmp_path / "cpython")
    result = bare.run("Platforms/Android", *filled(RELEASE_TOOLS, triplet=ANDROID),
                      cwd=checkout, GITHUB_ACTIONS="true")
    # Accepted as written (no usage error), grouped for GitHub Actions, and stopped
    # where this checkout (no SDK, a configure that configures nothing) cannot go on.
    assert result.stdout.startswith("::group::Configure build Python\n"), result.stdout[-2000:]
    assert "::group::Make build Python" in result.stdout
    assert "configure-build" in one_line_stop(result)


def test_third_party_and_older_buildbot_lines(bare, tmp_path: Path):
    checkout = checkout_313(tmp_path / "cpython")
    elsewhere = tmp_path / "elsewhere"
    configure = bare.run("Android/android.py", *filled(THIRD_PARTY[0], dir=str(elsewhere)),
                         cwd=checkout)
    assert configure.returncode == 0, configure.stderr
    assert (elsewhere / "build").is_dir() and not (checkout / "cross-build").exists()
    make_host = bare.run("Android/android.py",
                         *filled(THIRD_PARTY[1], dir=str(elsewhere), host=ANDROID), cwd=checkout)
    assert ANDROID in one_line_stop(make_host)
    clean = bare.run("Android/android.py", *OLDER_BUILDBOT[0], cwd=checkout)
    assert clean.returncode == 0, clean.stderr
    testbed = bare.run("Android/android.py", *OLDER_BUILDBOT[1], cwd=checkout)
    assert one_line_stop(testbed)


@pytest.fixture
def android_package(tmp_path: Path) -> tuple[Path, Path]:
    """A staged x86_64-linux-android package whose sysconfigdata has what
    cibuildwheel reads from it, and a fake SDK with the NDK."""
    root = staged(tmp_path, ANDROID)
    [data] = root.glob("prefix/lib/python3.13/_sysconfigdata_*.py")
    values = {"prefix": "/build/prefix", "OPT": "-DNDEBUG -g -O3 -Wall", "CFLAGS": "-O3",
              "LDFLAGS": "-L/build/prefix/lib", "LDSHARED": "cc -shared -L/build/prefix/lib",
              "ANDROID_API_LEVEL": 24, "MULTIARCH": ANDROID, "VERSION": "3.13", "ABIFLAGS": ""}
    data.write_text(f"build_time_vars = {values!r}\n")
    make_ndk(tmp_path / "sdk", DEFAULT_NDK_VERSION)
    return root, tmp_path / "sdk"


def test_upstream_ci_test_line_in_the_unpacked_package(bare, android_package):
    root, sdk = android_package
    result = subprocess.run(UPSTREAM_CI_TEST, cwd=root, capture_output=True, text=True,
                            env=bare.env(ANDROID_HOME=str(sdk)), stdin=subprocess.DEVNULL)
    assert "SDK" in one_line_stop(result)
    assert f"HOST {ANDROID} (the release package's host)" in result.stdout


def test_cibuildwheel_setup_android_env_reads_our_env(bare, android_package, tmp_path):
    from cibuildwheel.platforms import android as cibw

    root, sdk = android_package
    config = cibw.PythonConfiguration(version="3.13", identifier="cp313-android_x86_64",
                                      url="", sha256="")
    build_env = cibuildwheel_env(bare, sdk, tmp_path / "tools")
    android_env = cibw.setup_android_env(config, root, build_env)  # its parser, our output
    assert android_env["CC"].endswith(f"/{ANDROID}24-clang"), android_env["CC"]
    assert android_env["CFLAGS"].endswith(" -DNDEBUG -O3 -Wall")  # its OPT, minus -g
    assert f"-I{(root / 'prefix' / 'include').resolve()}" in android_env["CFLAGS"]
    ours = subprocess.run([root / "android.py", "env"], capture_output=True, text=True,
                          env={**build_env, "ANDROID_API_LEVEL": "30"}, check=True)
    assert exports(ours.stdout)["CC"].endswith(f"/{ANDROID}30-clang")


@pytest.mark.parametrize("runtime", [[], ["--connected", "emulator-5554"]],
                         ids=["managed", "connected"])
def test_cibuildwheel_test_wheel_line(bare, android_package, tmp_path, monkeypatch, runtime,
                                      double):
    """cibuildwheel's test_wheel builds the command line and runs it: up to the
    first thing this machine lacks (the SDK's tools, or a device's testbed APKs)."""
    from cibuildwheel.platforms import android as cibw

    root, sdk = android_package
    if runtime:
        double.add_device("emulator-5554", tmp_path / "device",
                          props={"ro.product.cpu.abilist": "x86_64"})
    run: list[subprocess.CompletedProcess[str]] = []

    def call(*args, env=None, **kwargs):  # its `call`, keeping what the line it ran said
        result = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True)
        run.append(result)
        result.check_returncode()

    monkeypatch.setattr(cibw, "call", call)
    monkeypatch.setattr(cibw, "pip_install_android", lambda *args, **kwargs: None)
    build = tmp_path / "build"
    build.mkdir()
    options = SimpleNamespace(
        test_command="python -m pytest tests", test_selector=lambda identifier: True,
        before_test=None, test_extras="", test_requires=[], test_sources=[],
        test_runtime=SimpleNamespace(args=runtime), build_verbosity=1)
    state = SimpleNamespace(
        options=options, build_path=build, python_dir=root,
        config=SimpleNamespace(identifier="cp313-android_x86_64", arch="x86_64"),
        build_env={**cibuildwheel_env(bare, sdk, tmp_path / "tools"), **double.env})
    if sys.platform != "linux" or cibw.platform.machine() != "x86_64":
        pytest.skip("cibuildwheel tests Android wheels only for the build machine's arch")
    with pytest.raises(subprocess.CalledProcessError) as failed:
        cibw.test_wheel(state, tmp_path / "pkg-1.0-cp313-cp313-android_24_x86_64.whl")
    [result] = run
    assert result.args[:2] == [str(root / "android.py"), "test"]
    assert result.args[-4:] == ["--", "-m", "pytest", "tests"]
    assert failed.value.returncode == result.returncode
    assert one_line_stop(result)


# --- README's "Coming from upstream" table -------------------------------------------
# Upstream's command surface: its parser (python/cpython Platforms/Android/__main__.py,
# parse_args; Android/android.py on 3.13 for build-testbed) and its release package.
UPSTREAM_SURFACE = (
    "Platforms/Android", "Android/android.py", "python3", "configure-build", "make-build",
    "configure-host", "make-host", "build", "pythoninfo-build", "clean", "test", "package",
    "ci", "env", "build-testbed", "--clean", "--cache-dir", "CACHE_DIR", "--cross-build-dir",
    "CROSS_BUILD_DIR", "-v", "--connected", "--managed", "--site-packages", "--cwd",
    "--fast-ci", "--slow-ci", "-g", "--pull", "ANDROID_API_LEVEL", "android-env.sh", "HOST",
    "ARGS",
)


def readme_table() -> list[tuple[str, str, str]]:
    """(upstream, here, test) for each row of README's list-table."""
    text = (REPO / "README.rst").read_text()
    section = text[text.index("Coming from upstream\n"):]
    section = section[:section.index("\n\n\n")]
    cells = [" ".join(cell.split()) for cell in
             re.split(r"\n   \* - |\n     - ", section.split(":widths:")[1])[1:]]
    return [tuple(cells[i:i + 3]) for i in range(3, len(cells), 3)]  # type: ignore[misc]


def test_readme_table_has_every_upstream_word_and_each_row_a_test():
    rows = readme_table()
    upstream = " ".join(row[0] for row in rows)
    words = set(re.findall(r"[\w./-]+", upstream.replace("``", " ")))
    assert [word for word in UPSTREAM_SURFACE if word not in words] == []
    for up, here, test in rows:
        path, name = test.strip("`").split("::")
        assert re.search(rf"^def {name}\(", (REPO / path).read_text(), re.M), test
        assert here, up
