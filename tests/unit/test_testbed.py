"""The testbed project, checked where no Android Gradle Plugin can be downloaded.

The Kotlin files are parsed with tree-sitter's Kotlin grammar: they must be
free of syntax errors, and the values our Python side relies on (managed
devices, emulator RAM, ABIs, Gradle properties, instrumentation arguments,
the exit-status protocol) are read from the syntax tree, not grepped.
"""

from __future__ import annotations

import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cpython_android import emulators, testbed
from cpython_android.errors import InfrastructureError
from cpython_android.hosts import ANDROID_ABIS, parse_host
from cpython_android.layout import Layout
from cpython_android.runners import Invocation
from cpython_android.runners.android import EXIT_MARKER, EXIT_STATUS, plan_launch
from support.cli import REPO, run_cli
from support.testbed_files import (
    BUILD_KTS,
    MAIN_ACTIVITY,
    MAIN_PY,
    PYTHON_SUITE,
    TESTBED,
    Kotlin,
)


@pytest.fixture(scope="module")
def build_kts() -> Kotlin:
    return Kotlin(BUILD_KTS)


@pytest.mark.parametrize("path", sorted(p.relative_to(TESTBED) for p in TESTBED.rglob("*.kt*")),
                         ids=str)
def test_kotlin_files_parse(path: Path) -> None:
    tree = Kotlin(TESTBED / path).tree
    assert not tree.root_node.has_error, f"syntax error in {path}"


def test_managed_devices_as_upstream(build_kts: Kotlin) -> None:
    [local] = build_kts.calls("localDevices")
    devices_by_name = {build_kts.first_string_arg(c): build_kts.assignments(c)
                       for c in build_kts.calls("create", local)}
    assert set(devices_by_name) == {"minVersion", "maxVersion"}
    minimum, maximum = devices_by_name["minVersion"], devices_by_name["maxVersion"]
    assert minimum["apiLevel"] == "max(27, defaultConfig.minSdk!!)"  # managed devices' floor
    assert maximum["apiLevel"] == "defaultConfig.targetSdk!!"
    assert maximum["systemImageSource"] == '"aosp_atd"'
    assert minimum["device"] == maximum["device"] == '"Small Phone"'


def test_emulator_ram_is_raised_to_4_gb(build_kts: Kotlin) -> None:
    assert build_kts.vals()["EMULATOR_RAM_MB"] == f'"{emulators.RAM_MB}"' == '"4096"'
    [register] = build_kts.calls("tasks.register<CreateManagedEmulator>")
    assert "ramMb.set(EMULATOR_RAM_MB)" in build_kts.text(register)
    # It runs before each managed device's Setup task, i.e. before the first boot.
    setup = [c for c in build_kts.calls("tasks.named")
             if "Setup" in build_kts.text(c) and "dependsOn(create)" in build_kts.text(c)]
    assert setup


def test_abi_filters_cover_our_hosts(build_kts: Kotlin) -> None:
    known = build_kts.vals()["KNOWN_ABIS"]
    pairs = {}
    for node in build_kts.nodes(build_kts.tree.root_node, "infix_expression"):
        parts = [build_kts.text(c).strip('"') for c in node.children]
        if len(parts) == 3 and parts[1] == "to" and build_kts.text(node) in known:
            pairs[parts[0]] = parts[2]
    assert pairs == {triplet: abi.abi for triplet, abi in ANDROID_ABIS.items()}
    [filters] = build_kts.calls("ndk.abiFilters.addAll")
    assert build_kts.text(filters) == "ndk.abiFilters.addAll(abis.values)"


def test_gradle_properties_we_pass_are_the_ones_it_reads(build_kts: Kotlin,
                                                         tmp_path: Path) -> None:
    read = {arg for name in ("optionalProperty", "requiredProperty") for c in build_kts.calls(name)
            for arg in build_kts.string_args(c)[:1]}
    bed = testbed.Testbed(parse_host("aarch64-linux-android"), Layout(tmp_path))
    passed = testbed.gradle_properties(bed, testbed.GradleOptions(
        "3.13", "27.3.13750724", site_packages=tmp_path, cwd=tmp_path, apps=2))
    assert {p[2:].split("=", 1)[0] for p in passed} == read
    # One app (the default): no python.apps, so the build is upstream's, unflavored.
    one = testbed.gradle_properties(bed, testbed.GradleOptions("3.13", "27.3.13750724"))
    assert not [p for p in one if p.startswith("-Ppython.apps")]


def test_app_copies_are_flavors_with_the_ids_and_apks_we_install(build_kts: Kotlin,
                                                                 tmp_path: Path) -> None:
    """`python.apps=N` makes the flavors slot0..slotN-1; what the Python side installs
    and instruments (TestbedApp.slot, Testbed.apks) is what they are."""
    [flavors] = build_kts.calls("productFlavors")
    [create] = build_kts.calls("create", flavors)
    assert build_kts.first_string_arg(create) == "slot$i"
    suffix = build_kts.assignments(create)["applicationIdSuffix"].strip('"')
    for i in range(1, 4):
        assert testbed.APP_ID + suffix.replace("$i", str(i)) == testbed.TestbedApp.slot(i).app_id
    assert testbed.TestbedApp.slot(0) == testbed.DEFAULT_APP  # slot0 has no suffix
    assert "if (i > 0) applicationIdSuffix" in build_kts.text(create)
    # The tasks build-testbed runs and the task names the kts configures agree.
    variants = build_kts.vals()["appVariants"]
    assert '"Slot${it}Debug"' in variants and 'listOf("Debug")' in variants
    bed = testbed.Testbed(parse_host("aarch64-linux-android"), Layout(tmp_path))
    [(app, test)] = bed.apks(1)
    assert (app, test) == (bed.app_apk, bed.test_apk)
    pairs = bed.apks(3)
    assert [p.name for p, _ in pairs] == [f"app-slot{i}-debug.apk" for i in range(3)]
    assert all(t.name == p.name.replace(".apk", "-androidTest.apk") and "androidTest" in t.parts
               for p, t in pairs)


def test_instrumentation_arguments_match(tmp_path: Path) -> None:
    activity = Kotlin(MAIN_ACTIVITY)
    read = {activity.first_string_arg(c) for c in activity.calls("arguments.getString")}
    assert read == set(testbed.RUNTIME_ARGUMENTS)
    launch = plan_launch(Invocation(["-bb", "-m", "test", "-v"], env={"A": "1"},
                                    junit_xml=tmp_path / "x.xml"), "emulator-5554")
    assert set(launch.extras) <= read
    assert {"pythonCwd", "pythonSitePackages"} <= read  # pushed with adb by the runner


def test_ids_runner_and_exit_status_protocol(build_kts: Kotlin) -> None:
    config = build_kts.assignments(build_kts.calls("defaultConfig")[0])
    assert config["applicationId"] == f'"{testbed.APP_ID}"' == '"org.python.testbed"'
    # AGP's default test application id is applicationId + ".test".
    assert testbed.DEFAULT_APP.instrumentation == (
        f"{testbed.APP_ID}.test/" + config["testInstrumentationRunner"].strip('"'))
    suite, activity = Kotlin(PYTHON_SUITE), Kotlin(MAIN_ACTIVITY)
    [status] = suite.calls("putString")
    key = suite.first_string_arg(status)
    assert EXIT_STATUS.search(f"INSTRUMENTATION_STATUS: {key}=3").group(1) == "3"
    [log] = activity.calls("Log.i")
    tag, message = activity.string_args(log)
    assert tag == "python.testbed"
    assert EXIT_MARKER.fullmatch(message.replace("$status", "-11")).group(1) == "-11"


def test_repository_hygiene() -> None:
    props = dict(line.split("=", 1) for line in (TESTBED / "gradle.properties").read_text()
                 .splitlines() if "=" in line and not line.startswith("#"))
    assert props["android.injected.androidTest.leaveApksInstalledAfterRun"] == "true"
    ignored = (TESTBED / ".gitignore").read_text().splitlines()
    for name in testbed.WRAPPER_FILES:
        assert f"/{name}" in ignored
    tracked = subprocess.run(["git", "ls-files", "testbed"], cwd=REPO, capture_output=True,
                             text=True).stdout.split()
    assert not any(t.endswith(".jar") or t.endswith("gradlew") for t in tracked)


# --- the Gradle wrapper download -------------------------------------------------------

@pytest.fixture
def wrapper_server(tmp_path: Path):
    """A loopback HTTP server standing in for raw.githubusercontent.com."""
    root = tmp_path / "served"
    (root / "gradle" / "wrapper").mkdir(parents=True)
    (root / "gradlew").write_text("#!/bin/sh\necho gradlew \"$@\"\n")
    (root / "gradlew.bat").write_text("@echo off\n")
    (root / "gradle" / "wrapper" / "gradle-wrapper.jar").write_bytes(b"PK\x03\x04jar")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_setup_wrapper_downloads_into_place(wrapper_server, tmp_path: Path) -> None:
    root, url = wrapper_server
    project = tmp_path / "project"
    project.mkdir()
    testbed.setup_wrapper(project, base_url=url)
    for name in testbed.WRAPPER_FILES:
        assert (project / name).read_bytes() == (root / name).read_bytes()
    assert os.access(project / "gradlew", os.X_OK)
    out = subprocess.run([str(project / "gradlew"), "--version"], capture_output=True,
                         text=True)
    assert out.stdout.strip() == "gradlew --version"
    # Already there: nothing is fetched again (the server is gone now).
    testbed.setup_wrapper(project, base_url="http://127.0.0.1:9/")


def test_setup_wrapper_failure_leaves_nothing_half_written(wrapper_server,
                                                           tmp_path: Path) -> None:
    root, url = wrapper_server
    (root / "gradle" / "wrapper" / "gradle-wrapper.jar").unlink()  # a 404
    project = tmp_path / "project"
    project.mkdir()
    with pytest.raises(InfrastructureError, match="could not download the Gradle wrapper from .*"
                       "gradle-wrapper.jar"):
        testbed.setup_wrapper(project, base_url=url)
    jar_dir = project / "gradle" / "wrapper"
    assert not any(jar_dir.iterdir())  # no partial jar


# --- the app's Python side -------------------------------------------------------------------

def test_main_script_unblocks_sigusr1_and_runs_like_python(tmp_path: Path) -> None:
    """An Android app starts with SIGUSR1 blocked; the script unblocks it."""
    code = ("import signal, sys, os; print(signal.SIGUSR1 in signal.pthread_sigmask("
            "signal.SIG_BLOCK, []), sys.argv, os.getcwd(), os.environ['X'])")
    env = dict(os.environ, PYTHON_MODE="-c", PYTHON_MODULE=code, PYTHON_ARGS="a 'b c'",
               PYTHON_CWD=str(tmp_path / "cwd"), PYTHON_ENV="X=from-env")
    out = subprocess.run([sys.executable, str(MAIN_PY)], env=env, capture_output=True,
                         text=True, preexec_fn=lambda: signal.pthread_sigmask(
                             signal.SIG_BLOCK, [signal.SIGUSR1]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"False ['-c', 'a', 'b c'] {tmp_path / 'cwd'} from-env"


# --- build-testbed: what it says before it would start Gradle -----------------------------

def test_build_testbed_errors(cpython_source: Path, tmp_path: Path) -> None:
    base = ["--checkout", cpython_source, "--cross-build-dir", tmp_path / "xb"]
    result = run_cli(*base, "build-testbed", "aarch64-linux-gnu")
    assert (result.returncode, result.stderr.strip()) == (
        2, "android.py: error: the testbed app is for Android hosts, not aarch64-linux-gnu")
    result = run_cli(*base, "build-testbed", "aarch64-linux-android")
    assert result.returncode == 3  # not built: missing setup
    assert "no Python for aarch64-linux-android" in result.stderr
    (tmp_path / "xb" / "aarch64-linux-android" / "prefix" / "lib").mkdir(parents=True)
    result = run_cli(*base, "build-testbed", "aarch64-linux-android",
                     env={"ANDROID_HOME": ""})
    assert result.returncode == 3  # no SDK: missing setup
    assert "ANDROID_HOME is not set" in result.stderr
