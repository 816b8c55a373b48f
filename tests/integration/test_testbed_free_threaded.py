"""The testbed finds a free-threaded prefix: build.gradle.kts's own code, compiled and run.

The declarations that name Python's files (`KNOWN_ABIS`, `pythonVersionOf`,
`hostDirSuffix`, the PYTHON_PREFIX_DIR argument, the sysconfigdata pattern)
are taken from the script through tree-sitter and run by a real Kotlin
compiler over prefixes laid out as `make install` lays out a default and a
free-threaded build.  The JNI libraries' include pattern is Gradle's glob.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from pathlib import Path

import pytest

from support.kotlin_compiler import kotlinc
from support.testbed_files import BUILD_KTS, Kotlin
from support.trees import fake_installed_python

TRIPLETS = ("aarch64-linux-android", "x86_64-linux-android")
# Debian's Kotlin is 1.3 (AGP uses 1.9+): it lacks this (1.5), and trailing
# commas (1.4) are removed from what is compiled.
KOTLIN_13_SHIMS = """
inline fun <T, R : Any> Array<out T>.firstNotNullOfOrNull(transform: (T) -> R?): R? {
    for (element in this) { val result = transform(element); if (result != null) return result }
    return null
}
"""


def declaration(kts: Kotlin, name: str) -> str:
    """The whole `val NAME = ...` or `fun NAME(...)` declaration."""
    for kind in ("property_declaration", "function_declaration"):
        for node in kts.nodes(kind=kind):
            text = kts.text(node)
            if text.startswith((f"val {name} ", f"fun {name}(")):
                return text
    raise AssertionError(f"no declaration of {name} in {BUILD_KTS}")


def prefix_dir_argument(kts: Kotlin) -> str:
    [arg] = [kts.text(a) for a in kts.nodes(kind="value_argument")
             if kts.text(a).startswith('"-DPYTHON_PREFIX_DIR="')]
    return arg


def sysconfigdata_pattern(kts: Kotlin) -> str:
    [pattern] = [kts.text(s).strip('"') for s in kts.nodes(kind="multiline_string_literal")
                 if "_sysconfigdata_" in kts.text(s)]
    return pattern


def install_prefixes(root: Path, abiflags: str) -> list[Path]:
    prefixes = []
    for triplet in TRIPLETS:
        prefix = root / f"{triplet}{'-t' if abiflags else ''}" / "prefix"
        fake_installed_python(prefix, triplet, abiflags)
        (prefix / "lib" / f"libpython3.13{abiflags}.so").write_bytes(b"")
        (prefix / "lib" / "libssl.so").write_bytes(b"")
        prefixes.append(prefix)
    return prefixes


@pytest.mark.parametrize("abiflags", ["", "t"])
def test_gradle_names_follow_the_prefix(abiflags: str, gradle_classpath: str,
                                        tmp_path: Path) -> None:
    kts = Kotlin(BUILD_KTS)
    known_abis = declaration(kts, "KNOWN_ABIS").replace(",\n)", "\n)")
    source = f"""
import java.io.File
class GradleException(message: String) : RuntimeException(message)
fun file(path: Any) = File(path.toString())
{KOTLIN_13_SHIMS}
{known_abis}
{declaration(kts, "pythonVersionOf")}
fun main(args: Array<String>) {{
    val prefixes = args.map {{ File(it) }}
    {declaration(kts, "hostDirSuffix")}
    println(pythonVersionOf(prefixes[0]))
    println({prefix_dir_argument(kts)})
    for (prefix in prefixes) {{
        val version = pythonVersionOf(prefix)
        println(file("$prefix/lib/python$version").list()!!.firstNotNullOfOrNull {{
            \"\"\"{sysconfigdata_pattern(kts)}\"\"\".toRegex().matchEntire(it)?.groupValues?.get(1)
        }})
    }}
}}
"""
    jar = tmp_path / "names.jar"
    kotlinc(source, jar, gradle_classpath)
    prefixes = install_prefixes(tmp_path / "cross-build", abiflags)
    out = subprocess.run(["java", "-cp", f"{jar}{os.pathsep}{gradle_classpath}", "MainKt",
                          *map(str, prefixes)], capture_output=True, text=True, check=True)
    version, prefix_arg, *triplets = out.stdout.splitlines()

    assert version == f"3.13{abiflags}"  # -DPYTHON_VERSION: include/python3.13t, -lpython3.13t
    assert triplets == list(TRIPLETS)
    # CMakeLists.txt replaces {{triplet}} per ABI: each must be that ABI's real prefix.
    template = prefix_arg.removeprefix("-DPYTHON_PREFIX_DIR=")
    assert [Path(template.replace("{{triplet}}", t)) for t in TRIPLETS] == prefixes
    for prefix in prefixes:
        assert (prefix / "include" / f"python{version}").is_dir()
        assert (prefix / "lib" / f"python{version}").is_dir()
        [jni_include] = [kts.string_args(c)[0] for c in kts.calls("include")
                         if "libpython" in kts.text(c)]
        jni = [p.name for p in (prefix / "lib").iterdir() if fnmatch.fnmatch(p.name, jni_include)]
        assert jni == [f"libpython{version}.so"]
