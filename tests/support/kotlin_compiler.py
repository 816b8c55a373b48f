"""A real Kotlin compiler against Gradle's API, for the testbed's Kotlin code.

Gradle's API comes from Debian's libgradle-core-java, Kotlin from Debian's
kotlin (see test_testbed_kotlin.py for why those versions are enough).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

JAVA_LIBS = Path("/usr/share/java")


def gradle_classpath() -> str:
    """Gradle's jars and Groovy's; skips the test when they are not installed."""
    jars = sorted({p.resolve() for p in JAVA_LIBS.glob("gradle-*.jar")})
    groovy = JAVA_LIBS / "groovy-all.jar"
    if not jars or not groovy.exists() or not shutil.which("javap"):
        pytest.skip("needs a JDK and Debian's libgradle-core-java")
    return os.pathsep.join(str(p) for p in [*jars, groovy.resolve()])


def kotlinc(source: str, out: Path, classpath: str) -> None:
    if not shutil.which("kotlinc"):
        pytest.skip("needs Debian's kotlin")
    (out.parent / "Main.kt").write_text(source)
    result = subprocess.run(["kotlinc", "-cp", classpath, "-include-runtime", "-d", str(out),
                             str(out.parent / "Main.kt")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr + "\n" + source
