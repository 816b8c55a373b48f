"""Upstream's options in upstream's places (issue 26, item 3).

Upstream's script (python/cpython `Platforms/Android/__main__.py`, `parse_args`:
its `add_parser` gives every subcommand `--cross-build-dir` and `-v`;
`build_targets` runs `pythoninfo_build_python` after `make_build_python` for
the targets `all` and `build`) and 3.13's `Android/android.py` (`build-testbed`
with no HOST).  Third-party scripts call e.g. `android.py configure-build
--clean --cross-build-dir D` (Craun718/MaaAgentCoreAndroid
`scripts/build_agent_core.py`).  Each test runs our android.py as a user does.
"""

from __future__ import annotations

from pathlib import Path

from support.cli import run_cli
from support.trees import fake_checkout, fake_installed_python, script

#: What the stand-in configure prints: shown with -v, kept in the log without.
CONFIGURE_LINE = "checking for a stand-in compiler... yes"


def talking_checkout(root: Path) -> Path:
    """A source tree whose configure talks and whose make makes a `python`
    that answers `-m test.pythoninfo` as the real one begins to."""
    checkout = fake_checkout(root)
    script(checkout / "configure", f"""echo "{CONFIGURE_LINE}"
cat > stand-in <<'END'
#!/bin/sh
echo Python debug information
echo "sys.argv: $*"
END
printf 'all:\\n\\tcp stand-in python\\n\\tchmod +x python\\n' > Makefile
""")
    return checkout


def test_cross_build_dir_and_verbose_after_the_subcommand(tmp_path: Path) -> None:
    checkout = talking_checkout(tmp_path / "cpython")
    after = run_cli("--checkout", checkout, "configure-build", "--clean",
                    "--cross-build-dir", tmp_path / "after", "-v")
    assert after.returncode == 0, after.stderr
    assert CONFIGURE_LINE in after.stdout  # -v after the command: configure's output shown
    assert (tmp_path / "after" / "build" / "Makefile").is_file()
    assert not (checkout / "cross-build").exists()
    # The global forms before the command keep working, and quiet stays quiet.
    before = run_cli("--checkout", checkout, "--cross-build-dir", tmp_path / "before",
                     "configure-build")
    assert before.returncode == 0, before.stderr
    assert CONFIGURE_LINE not in before.stdout
    assert (tmp_path / "before" / "build" / "Makefile").is_file()
    # One after the other: the one after the command wins, as argparse's last value does.
    both = run_cli("--checkout", checkout, "--cross-build-dir", tmp_path / "unused",
                   "make-build", "--cross-build-dir", tmp_path / "after")
    assert both.returncode == 0, both.stderr
    assert (tmp_path / "after" / "build" / "python").is_file()
    assert not (tmp_path / "unused").exists()


def test_build_build_ends_with_pythoninfo_build(tmp_path: Path) -> None:
    checkout = talking_checkout(tmp_path / "cpython")
    result = run_cli("--checkout", checkout, "build", "build", "--cross-build-dir",
                     tmp_path / "xb")
    assert result.returncode == 0, result.stderr
    assert "==> pythoninfo-build" in result.stdout
    assert "Python debug information" in result.stdout
    assert "sys.argv: -m test.pythoninfo" in result.stdout
    log = tmp_path / "xb" / "logs" / "pythoninfo-build.log"
    assert "Python debug information" in log.read_text()


def test_build_testbed_without_host_needs_a_built_android_host(tmp_path: Path) -> None:
    checkout = fake_checkout(tmp_path / "cpython")
    cross = tmp_path / "xb"
    fake_installed_python(cross / "aarch64-linux-gnu" / "prefix", "aarch64-linux-gnu")
    result = run_cli("--checkout", checkout, "build-testbed", "--cross-build-dir", cross)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"android.py: error: build-testbed: no Android host is built in {cross}: build one "
        "(`android.py build aarch64-linux-android`) or name HOST"]


def test_build_testbed_without_host_builds_every_android_host(tmp_path: Path) -> None:
    """Gradle, the JDK and the SDK are stand-ins (none here); the rest is ours."""
    checkout = fake_checkout(tmp_path / "cpython")
    cross = tmp_path / "xb"
    for host in ("aarch64-linux-android", "x86_64-linux-android", "aarch64-linux-gnu"):
        fake_installed_python(cross / host / "prefix", host)
    record = tmp_path / "gradle-calls"
    project = stand_in_testbed(checkout / "Android" / "testbed", record)
    env = stand_in_sdk(tmp_path)
    result = run_cli("--checkout", checkout, "build-testbed", "-v", "--cross-build-dir", cross,
                     env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    built = [line.split("python.buildDir=")[1].split()[0]
             for line in record.read_text().splitlines()]
    assert built == [str(cross / "aarch64-linux-android" / "testbed"),
                     str(cross / "x86_64-linux-android" / "testbed")]
    for host in ("aarch64-linux-android", "x86_64-linux-android"):
        assert (cross / host / "testbed" / "outputs" / "apk" / "debug" /
                "app-debug.apk").is_file()
    assert project.is_dir()


def stand_in_testbed(project: Path, record: Path) -> Path:
    """A copy of our testbed's marker file at upstream's place, with a gradlew
    that writes the two APKs where -Ppython.buildDir says."""
    (project / "app").mkdir(parents=True)
    (project / "app" / "build.gradle.kts").write_text('// python.buildDir\n')
    for name in ("gradlew.bat", "gradle/wrapper/gradle-wrapper.jar"):
        script(project / name, "")
    script(project / "gradlew", f"""echo "$*" >> "{record}"
for arg; do case $arg in -Ppython.buildDir=*) out=${{arg#-Ppython.buildDir=}};; esac; done
mkdir -p "$out/outputs/apk/debug" "$out/outputs/apk/androidTest/debug"
echo PK > "$out/outputs/apk/debug/app-debug.apk"
echo PK > "$out/outputs/apk/androidTest/debug/app-debug-androidTest.apk"
""")
    return project


def stand_in_sdk(tmp_path: Path) -> dict[str, str]:
    """An SDK whose licences are accepted and a JDK 21 (java -version only)."""
    sdk = tmp_path / "sdk"
    for name in ("android-sdk-license", "android-sdk-arm-dbt-license"):
        (sdk / "licenses").mkdir(parents=True, exist_ok=True)
        (sdk / "licenses" / name).write_text("24333f8a\n")
    jdk = tmp_path / "jdk"
    script(jdk / "bin" / "java", "echo 'openjdk version \"21.0.6\" 2025-01-21' >&2\n")
    return {"ANDROID_HOME": str(sdk), "JAVA_HOME": str(jdk), "HOME": str(tmp_path)}
