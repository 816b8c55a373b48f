"""What Gradle and the SDK tools need before they run: a JDK they support, accepted licences.

Gradle 8.11.1 (testbed/gradle/wrapper/gradle-wrapper.properties) with AGP 8.10
runs on JDK 17 to 23: AGP needs 17, and Gradle 8.11 cannot read the class files
of JDK 24 and 25 ("Unsupported class file major version 68/69").  Gradle takes
the JDK from JAVA_HOME, else `java` on PATH; we pick a supported one from
JAVA_HOME, Android Studio's bundled JBR or PATH and hand it over as JAVA_HOME.

AGP installs missing SDK packages (platforms, build-tools, CMake) itself, and
the testbed's CreateManagedEmulator task runs `sdkmanager system-images;...`
with no input: both fail on an SDK whose licences were never accepted, so
`sdkmanager --licenses` is answered first, as upstream's android.py does.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from .errors import CommandFailed, InfrastructureFailed, SetupError
from .process import run_captured

GRADLE_VERSION = "8.11.1"
JDK_MIN, JDK_MAX = 17, 23
#: The licence files `sdkmanager --licenses` writes under $ANDROID_HOME/licenses.
LICENCES = ("android-sdk-license", "android-sdk-arm-dbt-license")
JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


def java_major(java: Path, env: Mapping[str, str]) -> int | None:
    """The major version `java -version` reports (8 for "1.8.0_402"), or None."""
    try:
        result = run_captured([java, "-version"], env=env, timeout=60)
    except (CommandFailed, TimeoutError):  # cannot start, or hangs: not a usable JDK
        return None
    match = JAVA_VERSION.search(result.stderr + result.stdout)
    if result.returncode != 0 or match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def studio_jbr_dirs(env: Mapping[str, str], platform: str = sys.platform) -> list[Path]:
    """Where Android Studio keeps its bundled JDK (JBR) on each system."""
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        bundle = Path("Android Studio.app/Contents/jbr/Contents/Home")
        return [Path("/Applications") / bundle, home / "Applications" / bundle]
    if platform == "win32":
        roots = [env.get("ProgramFiles"), env.get("LOCALAPPDATA") and
                 str(Path(env["LOCALAPPDATA"], "Programs"))]
        return [Path(root, "Android", "Android Studio", "jbr") for root in roots if root]
    return [Path("/opt/android-studio/jbr"), home / "android-studio" / "jbr",
            Path("/snap/android-studio/current/jbr"),
            home / ".local/share/JetBrains/Toolbox/apps/android-studio/jbr"]


def jdk_candidates(env: Mapping[str, str], platform: str = sys.platform) -> list[Path]:
    """JDK homes to try, in order: JAVA_HOME, Android Studio's JBR, `java` on PATH."""
    homes = [Path(env["JAVA_HOME"])] if env.get("JAVA_HOME") else []
    homes += studio_jbr_dirs(env, platform)
    if found := shutil.which("java", path=env.get("PATH", "")):
        homes.append(Path(os.path.realpath(found)).parent.parent)
    unique: list[Path] = []
    for home in homes:
        if home not in unique:
            unique.append(home)
    return unique


def choose_java_home(env: Mapping[str, str], platform: str = sys.platform) -> Path:
    """The first JDK home Gradle can run on, or a UserError naming what was found."""
    seen = []
    exe = "java.exe" if platform == "win32" else "java"
    for home in jdk_candidates(env, platform):
        java = home / "bin" / exe
        if not java.is_file():
            continue
        major = java_major(java, env)
        if major is not None and JDK_MIN <= major <= JDK_MAX:
            return home
        seen.append(f"{home} is {'JDK ' + str(major) if major else 'not a working JDK'}")
    found = "; ".join(seen) or "no JAVA_HOME, Android Studio or java on PATH"
    raise SetupError(f"Gradle {GRADLE_VERSION} needs a JDK {JDK_MIN} to {JDK_MAX} and none "
                     f"was found ({found}): install one (Android Studio bundles one) and set "
                     "JAVA_HOME to it")


def accept_sdk_licences(sdk_home: Path, env: Mapping[str, str] | None = None) -> None:
    """`sdkmanager --licenses`, answering yes, unless the licence files are already there."""
    if all((sdk_home / "licenses" / name).is_file() for name in LICENCES):
        return
    sdkmanager = sdk_home / "cmdline-tools" / "latest" / "bin" / (
        "sdkmanager.bat" if os.name == "nt" else "sdkmanager")
    if not sdkmanager.is_file():
        raise SetupError(f"the Android SDK licences in {sdk_home / 'licenses'} are not accepted "
                         f"and there is no sdkmanager at {sdkmanager} to accept them: install "
                         "the SDK command-line tools")
    command = [str(sdkmanager), "--licenses"]
    result = run_captured(command, input_text="y\n" * 100, env=env)
    if result.returncode != 0:
        raise InfrastructureFailed(command, result.returncode, tail=result.output[-2000:])
