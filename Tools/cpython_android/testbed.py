"""The testbed app (the Gradle project in testbed/): wrapper, APKs, Gradle runs.

The project takes everything from Gradle properties (see
testbed/app/build.gradle.kts), so one project serves every cross-build
directory; its outputs go to cross-build/HOST/testbed/.  `build-testbed`
builds the app and its test APK once; `test` installs them with adb on each
device, so N devices cost one Gradle build.  The APKs are rebuilt when any of
their inputs changed (see `input_fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .checkout import Checkout
from .console import Console
from .errors import (
    CommandFailed,
    InfrastructureError,
    InfrastructureFailed,
    SetupError,
    UserError,
)
from .gradle_env import accept_sdk_licences, choose_java_home
from .hosts import Host
from .layout import Layout
from .process import run_logged
from .toolchains.ndk import DEFAULT_NDK_VERSION, android_home

if TYPE_CHECKING:
    from .context import BuildContext



def shipped_project() -> Path:
    """Our testbed project: `testbed/` beside Tools/ (this repository, a release
    package), else the copy an installed package carries (pyproject's
    cpython_android.testbed_project)."""
    here = Path(__file__).resolve().parent
    beside_tools, packaged = here.parents[1] / "testbed", here / "testbed_project"
    return packaged if packaged.is_dir() and not beside_tools.is_dir() else beside_tools


PROJECT_DIR = shipped_project()
#: A line only our testbed's app/build.gradle.kts has (upstream's reads other
#: properties): how a copy of ours at upstream's place is told from upstream's.
OWN_MARKER = "python.buildDir"

# The Gradle wrapper is a compiled artifact, so it is not committed: fetch it
# from Gradle's repository as upstream does.  Any wrapper version can run any
# Gradle version; the one used is in gradle/wrapper/gradle-wrapper.properties.
WRAPPER_VERSION = "8.9.0"
WRAPPER_BASE_URL = "https://raw.githubusercontent.com/gradle/gradle/v{version}/"
WRAPPER_FILES = ("gradlew", "gradlew.bat", "gradle/wrapper/gradle-wrapper.jar")

#: Beside the APKs: the fingerprint of the inputs they were built from.
INPUTS_STAMP = "inputs.sha256"
#: The project's sources (not Gradle's caches or outputs in the same tree).
PROJECT_SOURCES = ("settings.gradle.kts", "build.gradle.kts", "gradle.properties",
                   "gradle/wrapper/gradle-wrapper.properties", "app/build.gradle.kts",
                   "app/src")

#: Instrumentation arguments, as MainActivity.kt reads them.
RUNTIME_ARGUMENTS = ("pythonMode", "pythonModule", "pythonArgs", "pythonCwd",
                     "pythonSitePackages", "pythonEnv", "pythonOptions")


def is_ours(project: Path) -> bool:
    script = project / "app" / "build.gradle.kts"
    try:
        return OWN_MARKER in script.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def find_project(checkout: Checkout | None) -> Path:
    """Our testbed: at upstream's place in the checkout (`Android/testbed` on
    3.13/3.14, `Platforms/Android/testbed` on main) when a copy of ours is
    there, else `testbed/` beside Tools/ (this repository, a release package)."""
    if checkout is not None and not checkout.is_package:
        candidate = checkout.upstream_testbed
        if is_ours(candidate):
            return candidate
    return PROJECT_DIR


@dataclass(frozen=True)
class Testbed:
    """The testbed project and where one host's build of it goes."""

    __test__ = False  # not a pytest class, whatever its name says

    host: Host
    layout: Layout
    project: Path = PROJECT_DIR

    @property
    def build_dir(self) -> Path:
        return self.layout.testbed_dir(self.host)

    @property
    def app_apk(self) -> Path:
        return self.build_dir / "outputs" / "apk" / "debug" / "app-debug.apk"

    @property
    def test_apk(self) -> Path:
        return self.build_dir / "outputs" / "apk" / "androidTest" / "debug" / \
            "app-debug-androidTest.apk"

    @property
    def gradlew(self) -> Path:
        return self.project / ("gradlew.bat" if os.name == "nt" else "gradlew")

    @property
    def stamp(self) -> Path:
        return self.build_dir / INPUTS_STAMP

    def apks_current(self, options: GradleOptions) -> bool:
        """Both APKs exist and were built from exactly the inputs there are now."""
        if not (self.app_apk.is_file() and self.test_apk.is_file() and self.stamp.is_file()):
            return False
        return self.stamp.read_text().strip() == input_fingerprint(self, options)

    def record_inputs(self, options: GradleOptions) -> None:
        """After a successful build: what it was built from."""
        self.stamp.parent.mkdir(parents=True, exist_ok=True)
        partial = self.stamp.with_name(INPUTS_STAMP + ".partial")
        partial.write_text(input_fingerprint(self, options) + "\n")
        partial.replace(self.stamp)


@dataclass(frozen=True)
class GradleOptions:
    """Build-time inputs of the testbed (Gradle -P properties)."""

    python_version: str
    ndk_version: str
    site_packages: Path | None = None
    cwd: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)


def input_fingerprint(testbed: Testbed, options: GradleOptions) -> str:
    """The Gradle properties, and every input file's path, size and mtime (as make sees
    them): the testbed's sources, the prefix's libpython, stdlib and headers, and the
    site-packages and cwd baked into the APK."""
    prefix = testbed.layout.prefix(testbed.host)
    trees = {"project": [testbed.project / name for name in PROJECT_SOURCES],
             "lib": [*(prefix / "lib").glob("libpython*.so"),
                     *(prefix / "lib").glob("lib*_python.so"), *(prefix / "lib").glob("python3*")],
             "include": list((prefix / "include").glob("python3*")),
             "site-packages": [options.site_packages] if options.site_packages else [],
             "cwd": [options.cwd] if options.cwd else []}
    digest = hashlib.sha256(json.dumps(gradle_properties(testbed, options)).encode())
    for label, roots in trees.items():
        for root in roots:
            for path in sorted(_files(root)):
                st = path.stat()
                digest.update(f"{label}\0{path.relative_to(root.parent)}\0{st.st_size}\0"
                              f"{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
    elif root.is_dir():
        yield from (p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def setup_wrapper(project: Path = PROJECT_DIR, base_url: str | None = None) -> None:
    """Fetch gradlew, gradlew.bat and the wrapper jar if any is missing.

    Each file is downloaded beside its target and renamed into place, so an
    interrupted or failed download leaves nothing half-written.
    """
    if all((project / name).is_file() for name in WRAPPER_FILES):
        return
    base = base_url or WRAPPER_BASE_URL.format(version=WRAPPER_VERSION)
    for name in WRAPPER_FILES:
        target = project / name
        if target.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        url = base + name
        try:
            with urllib.request.urlopen(url, timeout=60) as response, \
                    open(partial, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as e:
            partial.unlink(missing_ok=True)
            raise InfrastructureError(f"could not download the Gradle wrapper from {url}: {e}; "
                                      f"copy {', '.join(WRAPPER_FILES)} into {project} "
                                      "yourself") from None
        partial.chmod(0o755)
        partial.replace(target)


def gradle_properties(testbed: Testbed, options: GradleOptions) -> list[str]:
    props = {
        "python.prefixes": str(testbed.layout.prefix(testbed.host)),
        "python.minSdk": str(testbed.host.api_level),
        "python.ndkVersion": options.ndk_version,
        "python.buildDir": str(testbed.build_dir),
        **options.extra,
    }
    if options.site_packages:
        props["python.sitePackages"] = str(options.site_packages)
    if options.cwd:
        props["python.cwd"] = str(options.cwd)
    return [f"-P{name}={value}" for name, value in props.items()]


def instrumentation_properties(arguments: dict[str, str]) -> list[str]:
    """Run-time arguments for a Gradle test task (as `am instrument -e` gives them).

    Empty ones are left out, as upstream does: the app has defaults for them."""
    return [f"-Pandroid.testInstrumentationRunnerArguments.{k}={v}"
            for k, v in arguments.items() if v]


def gradle_command(testbed: Testbed, tasks: Sequence[str], properties: Sequence[str],
                   verbose: int = 0) -> list[str]:
    command = [str(testbed.gradlew), "--console", "plain", *tasks, *properties]
    if verbose >= 2:
        command.append("--info")
    return command


def require_prefix(testbed: Testbed) -> None:
    prefix = testbed.layout.prefix(testbed.host)
    if not testbed.host.is_android:
        raise UserError(f"the testbed app is for Android hosts, not {testbed.host}")
    if not (prefix / "lib").is_dir():
        raise SetupError(f"no Python for {testbed.host} in {prefix}: run `android.py build "
                         f"{testbed.host}` first")


def gradle_env() -> dict[str, str]:
    """Gradle's environment: the SDK, a JDK it runs on, the SDK licences accepted."""
    sdk = android_home()
    env = dict(os.environ, ANDROID_HOME=str(sdk), JAVA_HOME=str(choose_java_home(os.environ)))
    accept_sdk_licences(sdk, env)
    return env


def build_apks(testbed: Testbed, options: GradleOptions, console: Console) -> None:
    """`gradlew packageDebug packageDebugAndroidTest`: the app and its test APK."""
    require_prefix(testbed)
    env = gradle_env()
    setup_wrapper(testbed.project)
    command = gradle_command(testbed, ["packageDebug", "packageDebugAndroidTest"],
                             gradle_properties(testbed, options), console.verbose)
    log = testbed.layout.log_path("build-testbed", testbed.host)
    with console.step(f"build-testbed {testbed.host}", log) as step:
        try:
            run_logged(command, step=step, log_path=log, cwd=testbed.project, env=env)
        except CommandFailed as e:  # Gradle's own failure: infrastructure, exit status 4
            raise InfrastructureFailed.of(e) from None
    for apk in (testbed.app_apk, testbed.test_apk):
        if not apk.is_file():
            raise InfrastructureError(f"Gradle succeeded but {apk} is missing: see {log}")
    testbed.record_inputs(options)
    console.write(f"APKs: {testbed.app_apk}\n      {testbed.test_apk}")


def build_testbed(ctx: BuildContext) -> Testbed:
    """`android.py build-testbed HOST`: the APKs that `test` installs on each device."""
    testbed = Testbed(ctx.require_host(), ctx.layout, find_project(ctx.checkout))
    options = GradleOptions(ctx.checkout.short_version,
                            ctx.toolchain_options.ndk_version or DEFAULT_NDK_VERSION)
    build_apks(testbed, options, ctx.console)
    return testbed
