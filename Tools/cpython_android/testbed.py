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
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
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

#: The application ID of the app as upstream's testbed has it (slot 0).
APP_ID = "org.python.testbed"
#: The most copies of the app one build holds (`build-testbed --per-device N`):
#: each is a whole APK (the standard library included) installed on every device.
MAX_APPS = 16
#: Beside the APKs: how many copies of the app they hold (none: one).
APPS_STAMP = "apps"

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
class TestbedApp:
    """One copy of the testbed app on a device: its application ID and the
    device paths derived from it.  Slot 0 is the app as upstream's testbed has
    it; slot i is the same app as `org.python.testbed.s<i>` (build.gradle.kts's
    flavors), so it runs as its own process with its own data directories."""

    __test__ = False  # not a pytest class, whatever its name says

    app_id: str = APP_ID

    @classmethod
    def slot(cls, index: int) -> TestbedApp:
        return cls(APP_ID if index == 0 else f"{APP_ID}.s{index}")

    @property
    def test_app_id(self) -> str:
        return self.app_id + ".test"  # AGP's default testApplicationId

    @property
    def instrumentation(self) -> str:
        return f"{self.test_app_id}/androidx.test.runner.AndroidJUnitRunner"

    @property
    def external_files(self) -> PurePosixPath:
        """Where the app's files are readable and writable by adb without root
        (Context.getExternalFilesDir; MainActivity.kt creates it)."""
        return PurePosixPath(f"/sdcard/Android/data/{self.app_id}/files")

    @property
    def cwd_copy(self) -> PurePosixPath:
        """Where the app's python runs when `test --cwd DIR` pushed DIR: the testbed
        (android_testbed_main.py) copies it into internal storage, which adb's shell
        user cannot read; `run-as` can, the testbed being a debuggable build."""
        return PurePosixPath(f"/data/user/0/{self.app_id}/files/pushed/cwd")


DEFAULT_APP = TestbedApp()


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

    def apks(self, apps: int = 1) -> list[tuple[Path, Path]]:
        """(app APK, test APK) of each copy of the app a build for `apps` copies
        makes: Gradle's paths for the flavors slot0, slot1, ... (none for one)."""
        if apps == 1:
            return [(self.app_apk, self.test_apk)]
        out = self.build_dir / "outputs" / "apk"
        return [(out / f"slot{i}" / "debug" / f"app-slot{i}-debug.apk",
                 out / "androidTest" / f"slot{i}" / "debug" / f"app-slot{i}-debug-androidTest.apk")
                for i in range(apps)]

    def built_apps(self) -> int:
        """How many copies of the app the last build holds (1 before there were more)."""
        try:
            return int((self.build_dir / APPS_STAMP).read_text().strip())
        except (OSError, ValueError):
            return 1

    @property
    def gradlew(self) -> Path:
        return self.project / ("gradlew.bat" if os.name == "nt" else "gradlew")

    @property
    def stamp(self) -> Path:
        return self.build_dir / INPUTS_STAMP

    def apks_current(self, options: GradleOptions) -> bool:
        """The APKs of every copy of the app the last build holds exist and were
        built from exactly the inputs there are now (how many copies is not one)."""
        apks = [apk for pair in self.apks(self.built_apps()) for apk in pair]
        if not (all(apk.is_file() for apk in apks) and self.stamp.is_file()):
            return False
        return self.stamp.read_text().strip() == input_fingerprint(self, options)

    def record_inputs(self, options: GradleOptions) -> None:
        """After a successful build: what it was built from, and how many apps it holds."""
        self.stamp.parent.mkdir(parents=True, exist_ok=True)
        for name, text in ((APPS_STAMP, str(options.apps)),
                           (INPUTS_STAMP, input_fingerprint(self, options))):
            partial = self.build_dir / (name + ".partial")
            partial.write_text(text + "\n")
            partial.replace(self.build_dir / name)


@dataclass(frozen=True)
class GradleOptions:
    """Build-time inputs of the testbed (Gradle -P properties)."""

    python_version: str
    ndk_version: str
    site_packages: Path | None = None
    cwd: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)
    apps: int = 1  # copies of the app, each its own application ID (python.apps)


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
    # How many apps is recorded apart (Testbed.built_apps): a build of more serves fewer.
    digest = hashlib.sha256(json.dumps(gradle_properties(testbed, replace(options, apps=1)))
                            .encode())
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
    if options.apps > 1:  # one app: the build as upstream's, with no flavors
        props["python.apps"] = str(options.apps)
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
    """`gradlew packageDebug packageDebugAndroidTest`: the app and its test APK
    (of each flavor slotI for several apps)."""
    require_prefix(testbed)
    env = gradle_env()
    setup_wrapper(testbed.project)
    variants = ["Debug"] if options.apps == 1 else [f"Slot{i}Debug" for i in range(options.apps)]
    tasks = [f"package{v}{test}" for v in variants for test in ("", "AndroidTest")]
    command = gradle_command(testbed, tasks, gradle_properties(testbed, options),
                             console.verbose)
    log = testbed.layout.log_path("build-testbed", testbed.host)
    with console.step(f"build-testbed {testbed.host}", log) as step:
        try:
            run_logged(command, step=step, log_path=log, cwd=testbed.project, env=env)
        except CommandFailed as e:  # Gradle's own failure: infrastructure, exit status 4
            raise InfrastructureFailed.of(e) from None
    apks = [apk for pair in testbed.apks(options.apps) for apk in pair]
    for apk in apks:
        if not apk.is_file():
            raise InfrastructureError(f"Gradle succeeded but {apk} is missing: see {log}")
    testbed.record_inputs(options)
    console.write("APKs: " + "\n      ".join(str(apk) for apk in apks))


def build_testbed(ctx: BuildContext, apps: int = 1) -> Testbed:
    """`android.py build-testbed HOST [--per-device N]`: the APKs that `test`
    installs on each device (N copies of the app, for N test processes each)."""
    testbed = Testbed(ctx.require_host(), ctx.layout, find_project(ctx.checkout))
    options = GradleOptions(ctx.checkout.short_version,
                            ctx.toolchain_options.ndk_version or DEFAULT_NDK_VERSION,
                            apps=apps)
    build_apks(testbed, options, ctx.console)
    return testbed
