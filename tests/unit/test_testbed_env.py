"""What Gradle and the SDK tools find before they run: a JDK, SDK licences, AVDs.

There is no JDK choice, Android SDK or Gradle here to speak of, so `java`,
`sdkmanager`, `avdmanager` and `gradlew` are small shell scripts that behave
as the real ones do at the points we depend on (`java -version` on stderr,
sdkmanager refusing a package whose licence is not accepted, avdmanager
honouring XDG_CONFIG_HOME) and record their arguments and environment.  Our
own code runs unmodified.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cpython_android import emulators, testbed
from cpython_android.console import Console
from cpython_android.errors import SetupError
from cpython_android.gradle_env import LICENCES, choose_java_home, studio_jbr_dirs
from cpython_android.hosts import parse_host
from cpython_android.layout import Layout
from cpython_android.runners import Invocation
from cpython_android.runners.android import plan_launch
from support.cli import run_cli
from support.testbed_files import TESTBED
from support.trees import script

HOST = parse_host("aarch64-linux-android")
IMAGE = "system-images;android-34;default;arm64-v8a"


def fake_jdk(home: Path, version: str, record: Path) -> Path:
    """A JDK home whose java says what `java -version` says, on stderr."""
    script(home / "bin" / "java", f'echo "$0 $*" >> "{record}"\n'
           f'echo \'openjdk version "{version}" 2025-04-15\' >&2\n'
           'echo "OpenJDK Runtime Environment" >&2\n')
    return home


def fake_sdkmanager(sdk: Path, record: Path) -> Path:
    """Writes a licence file for each "y"; refuses packages while a licence is pending."""
    names = " ".join(LICENCES)
    return script(sdk / "cmdline-tools" / "latest" / "bin" / "sdkmanager", f"""
sdk=$(cd "$(dirname "$0")/../../.." && pwd)
echo "sdkmanager $* JAVA_HOME=$JAVA_HOME" >> "{record}"
if [ "$1" = --licenses ]; then
    for name in {names}; do
        echo "Accept? (y/N): "
        read answer
        if [ "$answer" = y ]; then
            mkdir -p "$sdk/licenses"
            echo 24333f8a > "$sdk/licenses/$name"
        fi
    done
    exit 0
fi
for name in {names}; do
    if [ ! -f "$sdk/licenses/$name" ]; then
        echo "Failed to install the following SDK components: $1" >&2
        echo "The license for $name has not been accepted" >&2
        exit 1
    fi
done
mkdir -p "$sdk/$(echo "$1" | tr ';' '/')"
""")


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "record"


def lines(record: Path) -> list[str]:
    return record.read_text().splitlines() if record.exists() else []


# --- 4: a JDK Gradle 8.11.1 runs on --------------------------------------------------------

def test_unsupported_java_home_is_passed_over_for_android_studios_jbr(tmp_path, record):
    jdk25 = fake_jdk(tmp_path / "jdk-25", "25.0.1", record)
    jbr = fake_jdk(tmp_path / "home" / "android-studio" / "jbr", "21.0.6", record)
    jdk17 = fake_jdk(tmp_path / "jdk-17", "17.0.15", record)
    env = {"JAVA_HOME": str(jdk25), "HOME": str(tmp_path / "home"),
           "PATH": str(jdk17 / "bin")}
    assert choose_java_home(env, "linux") == jbr
    assert lines(record) == [f"{jdk25}/bin/java -version", f"{jbr}/bin/java -version"]
    # Without Android Studio: java on PATH.  A JDK 8 ("1.8.0_402") is too old.
    (jbr / "bin" / "java").unlink()
    assert choose_java_home(env, "linux") == jdk17
    fake_jdk(jdk17, "1.8.0_402", record)
    with pytest.raises(SetupError) as error:
        choose_java_home(env, "linux")
    assert str(error.value) == (
        f"Gradle 8.11.1 needs a JDK 17 to 23 and none was found ({jdk25} is JDK 25; {jdk17} "
        "is JDK 8): install one (Android Studio bundles one) and set JAVA_HOME to it")


def test_android_studio_jbr_locations() -> None:
    env = {"HOME": "/home/u", "ProgramFiles": r"C:\Program Files",
           "LOCALAPPDATA": r"C:\Users\u\AppData\Local"}
    assert Path("/Applications/Android Studio.app/Contents/jbr/Contents/Home") in \
        studio_jbr_dirs(env, "darwin")
    assert Path(r"C:\Program Files", "Android", "Android Studio", "jbr") in \
        studio_jbr_dirs(env, "win32")
    assert Path("/opt/android-studio/jbr") in studio_jbr_dirs(env, "linux")


def test_build_testbed_without_a_supported_jdk_is_one_line(cpython_source, tmp_path, record):
    jdk25 = fake_jdk(tmp_path / "jdk-25", "25", record)
    (tmp_path / "xb" / "aarch64-linux-android" / "prefix" / "lib").mkdir(parents=True)
    (tmp_path / "sdk").mkdir()
    result = run_cli("--checkout", cpython_source, "--cross-build-dir", tmp_path / "xb",
                     "build-testbed", "aarch64-linux-android",
                     env={"ANDROID_HOME": str(tmp_path / "sdk"), "JAVA_HOME": str(jdk25),
                          "HOME": str(tmp_path), "PATH": str(jdk25 / "bin")})
    assert result.returncode == 3  # no usable JDK: missing setup
    assert result.stderr.strip().splitlines() == [
        f"android.py: error: Gradle 8.11.1 needs a JDK 17 to 23 and none was found ({jdk25} "
        "is JDK 25): install one (Android Studio bundles one) and set JAVA_HOME to it"]
    assert lines(record) == [f"{jdk25}/bin/java -version"]


# --- 4, 5, 9: a Gradle build gets the JDK, after the licences, and records its inputs --------

def test_gradle_runs_with_a_supported_jdk_after_the_licences(tmp_path, record, monkeypatch):
    sdk = tmp_path / "sdk"
    fake_sdkmanager(sdk, record)
    jdk = fake_jdk(tmp_path / "jdk-21", "21.0.6", record)
    project = tmp_path / "project"
    for name in testbed.WRAPPER_FILES:  # the wrapper is "there": nothing is downloaded
        script(project / name, "")
    bed = testbed.Testbed(HOST, Layout(tmp_path / "xb"), project)
    script(project / "gradlew", f"""
echo "gradlew $* JAVA_HOME=$JAVA_HOME" >> "{record}"
mkdir -p "$(dirname "{bed.app_apk}")" "$(dirname "{bed.test_apk}")"
echo PK > "{bed.app_apk}"; echo PK > "{bed.test_apk}"
""")
    (bed.layout.prefix(HOST) / "lib").mkdir(parents=True)
    for name, value in {"ANDROID_HOME": sdk, "JAVA_HOME": jdk, "HOME": tmp_path,
                        "PATH": "/usr/bin:/bin"}.items():
        monkeypatch.setenv(name, str(value))
    options = testbed.GradleOptions("3.13", "27.3.13750724")
    testbed.build_apks(bed, options, Console())
    calls = [line.split()[0] + " " + line.split()[1] for line in lines(record)]
    assert calls == [f"{jdk}/bin/java -version", "sdkmanager --licenses",
                     "gradlew --console"]
    assert lines(record)[1].endswith(f"JAVA_HOME={jdk}")  # sdkmanager is Java too
    assert lines(record)[2].endswith(f"JAVA_HOME={jdk}")
    assert all((sdk / "licenses" / name).is_file() for name in LICENCES)
    assert bed.apks_current(options)  # the inputs were recorded
    # Licences accepted once are not asked for again.
    testbed.build_apks(bed, options, Console())
    assert [line for line in lines(record) if "--licenses" in line] == [
        f"sdkmanager --licenses JAVA_HOME={jdk}"]


# --- 5 and 8: AVDs: licences before sdkmanager installs, XDG_CONFIG_HOME honoured ------------

def fake_avdmanager(sdk: Path, record: Path) -> Path:
    """Creates NAME.avd where avdmanager does: ANDROID_USER_HOME, else XDG_CONFIG_HOME or
    HOME + /.android."""
    return script(sdk / "cmdline-tools" / "latest" / "bin" / "avdmanager", f"""
read answer  # "Do you wish to create a custom hardware profile? [no]"
echo "avdmanager $* XDG_CONFIG_HOME=$XDG_CONFIG_HOME" >> "{record}"
home=${{ANDROID_USER_HOME:-${{XDG_CONFIG_HOME:-$HOME}}/.android}}
mkdir -p "$home/avd/$4.avd"
echo "path=$home/avd/$4.avd" > "$home/avd/$4.ini"
printf 'hw.ramSize=2048\\n' > "$home/avd/$4.avd/config.ini"
""")


@pytest.fixture
def sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record: Path) -> emulators.Sdk:
    home = tmp_path / "sdk"
    fake_sdkmanager(home, record)
    fake_avdmanager(home, record)
    for name in ("ANDROID_AVD_HOME", "ANDROID_USER_HOME", "ANDROID_SDK_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANDROID_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return emulators.Sdk(home)


def test_avd_creation_accepts_licences_first(sdk, tmp_path, record) -> None:
    avd = emulators.ensure_avd(sdk, "py", HOST, Console())
    assert [line.split()[:2] for line in lines(record)] == [
        ["sdkmanager", "--licenses"], ["sdkmanager", IMAGE], ["avdmanager", "create"]]
    assert avd == tmp_path / "xdg" / ".android" / "avd" / "py.avd"
    assert "hw.ramSize = 4096" in (avd / "config.ini").read_text().splitlines()


def test_existing_avd_under_xdg_config_home_is_found(sdk, tmp_path, record) -> None:
    avd_home = tmp_path / "xdg" / ".android" / "avd"
    (avd_home / "py.avd").mkdir(parents=True)
    (avd_home / "py.ini").write_text(f"path={avd_home / 'py.avd'}\n")
    assert emulators.ensure_avd(sdk, "py", HOST, Console()) == avd_home / "py.avd"
    assert lines(record) == []  # neither sdkmanager nor avdmanager was needed
    os.environ.pop("XDG_CONFIG_HOME")
    assert emulators.avd_home() == tmp_path / "home" / ".android" / "avd"


# --- the --managed launch: no empty instrumentation extras ----------------------------------

def test_managed_launch_has_no_empty_extras(tmp_path: Path) -> None:
    from cpython_android.runners.android import GradleLauncher
    bed = testbed.Testbed(HOST, Layout(tmp_path))
    launcher = GradleLauncher(bed, "maxVersion", "3.13", "27.3.13750724", 0, {})
    invocation = Invocation(["-c", "print(1)"])
    launch = plan_launch(invocation, "managed-maxVersion")
    assert launch.extras == {"pythonMode": "-c", "pythonModule": "print(1)"}
    command = launcher.command(launch, invocation)
    extras = [a for a in command if a.startswith("-Pandroid.testInstrumentationRunnerArguments")]
    assert extras == ["-Pandroid.testInstrumentationRunnerArguments.pythonMode=-c",
                      "-Pandroid.testInstrumentationRunnerArguments.pythonModule=print(1)"]
    assert not [a for a in command if a.endswith("=")]
    # Arguments, when there are some, still go through.
    assert plan_launch(Invocation(["-m", "test", "-v"]), "x").extras["pythonArgs"] == "-v"
    assert testbed.instrumentation_properties({"pythonEnv": ""}) == []


# --- APK staleness: a fingerprint of every input ---------------------------------------------

def test_apks_are_rebuilt_when_any_input_changes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(TESTBED, project, ignore=shutil.ignore_patterns(".gradle", "build"))
    layout = Layout(tmp_path / "xb")
    bed = testbed.Testbed(HOST, layout, project)
    prefix = layout.prefix(bed.host)
    (prefix / "lib" / "python3.13" / "json").mkdir(parents=True)
    (prefix / "lib" / "libpython3.13.so").write_bytes(b"\x7fELF")
    (prefix / "lib" / "python3.13" / "json" / "__init__.py").write_text("# json\n")
    (prefix / "include" / "python3.13").mkdir(parents=True)
    (prefix / "include" / "python3.13" / "pyconfig.h").write_text("#define X 1\n")
    site, cwd = tmp_path / "site", tmp_path / "cwd"
    site.mkdir()
    cwd.mkdir()
    (site / "mod.py").write_text("X = 1\n")
    (cwd / "data.txt").write_text("1")
    options = testbed.GradleOptions("3.13", "27.3.13750724", site_packages=site, cwd=cwd)
    for apk in (bed.app_apk, bed.test_apk):
        apk.parent.mkdir(parents=True, exist_ok=True)
        apk.write_bytes(b"PK")
    assert not bed.apks_current(options)  # never built through us: no record of inputs
    bed.record_inputs(options)
    assert bed.apks_current(options)
    # Gradle's own files in the project tree are not inputs.
    (project / ".gradle").mkdir(exist_ok=True)
    (project / ".gradle" / "cache").write_text("x")
    (project / "app" / ".cxx").mkdir(exist_ok=True)
    assert bed.apks_current(options)
    edits = [project / "app/src/main/python/android_testbed_main.py",
             project / "app/src/main/c/main_activity.c", project / "app/build.gradle.kts",
             prefix / "lib" / "libpython3.13.so", prefix / "lib/python3.13/json/__init__.py",
             prefix / "include/python3.13/pyconfig.h", site / "mod.py", cwd / "data.txt"]
    for path in edits:
        path.write_bytes(path.read_bytes() + b"\n")
        assert not bed.apks_current(options), path
        bed.record_inputs(options)
    (site / "new.py").write_text("")  # a file added
    assert not bed.apks_current(options)
    bed.record_inputs(options)
    other_ndk = testbed.GradleOptions("3.13", "28.0.0", site_packages=site, cwd=cwd)
    assert not bed.apks_current(other_ndk)  # a Gradle property changed
    bed.app_apk.unlink()
    assert not bed.apks_current(options)
