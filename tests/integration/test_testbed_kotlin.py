"""build.gradle.kts and MainActivity.kt compiled with a real Kotlin compiler against Gradle's API.

Gradle's API comes from Debian's libgradle-core-java (Gradle 4.4: Project, Task,
Sync and CopySpec had these members long before 8.x, and RegExpNameMapper, which
`rename` uses, is unchanged) and Kotlin from Debian's kotlin (1.3: its resolution
of implicit receivers is unchanged since).  The Kotlin text is taken from the
testbed's own files, through tree-sitter.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from support.kotlin_compiler import kotlinc
from support.testbed_files import BUILD_KTS, MAIN_ACTIVITY, Kotlin, lambda_call


@pytest.fixture(scope="module")
def build_kts() -> Kotlin:
    return Kotlin(BUILD_KTS)


# --- build.gradle.kts's helpers bind to the script, not to a Gradle receiver ---------------

#: Gradle types whose members are in scope in build.gradle.kts: the script's
#: Project and the receivers of its task-configuration lambdas.
GRADLE_TYPES = ("org.gradle.api.Project", "org.gradle.api.Task", "org.gradle.api.DefaultTask",
                "org.gradle.api.tasks.Sync", "org.gradle.api.file.CopySpec")
#: Calls whose trailing lambda has a Gradle receiver, and its type.
LAMBDA_RECEIVERS = {"generateTask": "org.gradle.api.tasks.Sync",
                    "tasks.register<GenerateTask>": "org.gradle.api.tasks.Sync",
                    "tasks.register<CreateManagedEmulator>": "org.gradle.api.DefaultTask",
                    "tasks.named": "org.gradle.api.Task",
                    "afterEvaluate": "org.gradle.api.Project",
                    "into": "org.gradle.api.file.CopySpec",
                    "from": "org.gradle.api.file.CopySpec"}


def gradle_members(classpath: str) -> set[str]:
    out = subprocess.run(["javap", "-public", "-cp", classpath, *GRADLE_TYPES],
                         capture_output=True, text=True, check=True).stdout
    names = set()
    for name in re.findall(r" (\w+)\(", out):
        names.add(name)
        if getter := re.fullmatch(r"(?:get|is)([A-Z]\w*)", name):  # Kotlin sees getX() as x
            names.add(getter.group(1)[0].lower() + getter.group(1)[1:])
    return names


def script_helpers(kts: Kotlin) -> dict[str, str]:
    """The build script's own functions: name -> declaration."""
    helpers = {}
    for node in kts.tree.root_node.children:
        if node.type == "function_declaration":
            [name] = [c for c in node.children if c.type == "identifier"]
            helpers[kts.text(name)] = kts.text(node)
    return helpers


def gradle_receivers(kts: Kotlin, node) -> list[str]:
    """Receiver types of the lambdas around `node`, outermost first."""
    receivers = []
    while (parent := node.parent) is not None:
        if node.type == "annotated_lambda" and parent.type == "call_expression":
            call = lambda_call(kts, parent) or parent  # `f(x) { ... }` or `f { ... }`
            if kts.callee(call) in LAMBDA_RECEIVERS:
                receivers.insert(0, LAMBDA_RECEIVERS[kts.callee(call)])
        node = parent
    return receivers


def test_no_script_helper_shares_a_gradle_member_name(build_kts: Kotlin,
                                                      gradle_classpath: str) -> None:
    members = gradle_members(gradle_classpath)
    assert {"property", "findProperty", "file", "into"} <= members  # javap read the API
    helpers = set(script_helpers(build_kts))
    assert not helpers & members
    assert {"requiredProperty", "generateTask"} <= helpers  # the parse found them


def test_helper_calls_under_task_receivers_bind_to_the_script(
        build_kts: Kotlin, gradle_classpath: str, tmp_path: Path) -> None:
    """Every call of a helper inside a Gradle-receiver lambda, compiled with the
    same receivers around it: the bytecode shows which function it calls."""
    helpers = script_helpers(build_kts)
    sites = []
    for call in build_kts.nodes(kind="call_expression"):
        name = build_kts.text(call.children[0])
        if name in helpers and (receivers := gradle_receivers(build_kts, call)):
            sites.append((name, receivers, build_kts.text(call)))
    assert sites  # the asset task reads Gradle properties
    used = {name for name, _, _ in sites}
    used |= {h for h in helpers for u in list(used) if re.search(rf"\b{h}\(", helpers[u])}

    def stand_in(cls: str) -> str:
        lines = [f"class {cls}(private val project: org.gradle.api.Project) {{",
                 "    fun findProperty(name: String): Any? = project.findProperty(name)",
                 *(helpers[h] for h in sorted(used))]
        for i, (_, receivers, text) in enumerate(sites):
            body = text
            for j in reversed(range(len(receivers))):
                body = f"with(r{j}) {{ {body} }}"
            params = ", ".join(f"r{j}: {t}" for j, t in enumerate(receivers))
            lines.append(f"    fun site{i}({params}): Any? = {body}")
        return "\n".join(lines) + "\n}\n"

    # As it is, and with the helper named `property` as it was (the defect).
    old = re.sub(r"\boptionalProperty\b", "property", stand_in("OldScript"))
    source = ("class GradleException(message: String) : RuntimeException(message)\n"
              + stand_in("Script") + old)
    kotlinc(source, tmp_path / "stand-in.jar", gradle_classpath)

    def bound(cls: str) -> set[str]:
        code = subprocess.run(["javap", "-c", "-p", "-cp", str(tmp_path / "stand-in.jar"),
                               cls], capture_output=True, text=True, check=True).stdout
        # "// Method OWNER.NAME:(...)", or "// Method NAME:(...)" in the class itself.
        return {owner or cls for method in re.split(r"\n  \S.* site\d+\(", code)[1:]
                for owner, name in re.findall(r"// \w+ (?:([\w/$]+)\.)?(\w+):", method)
                if name in used | {"property"}}

    assert bound("Script") == {"Script"}
    assert bound("OldScript") == {"org/gradle/api/tasks/Sync"}  # Task.property: throws


# --- asset names: Gradle's rename, then the app's undo -------------------------------------

OLD_UNDO = 'fun oldAssetFileName(name: String) = if (name.endsWith("-")) name.dropLast(1) else name'


def test_asset_names_survive_the_rename_round_trip(build_kts: Kotlin, cpython_source: Path,
                                                   gradle_classpath: str,
                                                   tmp_path: Path) -> None:
    """Gradle's own RegExpNameMapper with the arguments build.gradle.kts gives `rename`,
    then MainActivity.kt's assetFileName, over every file name in CPython's Lib/."""
    [rename] = build_kts.calls("rename")
    args = [build_kts.text(a) for a in build_kts.nodes(rename, "value_argument")]
    activity = Kotlin(MAIN_ACTIVITY)
    [undo] = [activity.text(f) for f in activity.nodes(kind="function_declaration")
              if activity.text(f).startswith("fun assetFileName(")]
    source = f"""
import org.gradle.api.internal.file.copy.RegExpNameMapper
{undo}
{OLD_UNDO}
fun main(args: Array<String>) {{
    val gradle = RegExpNameMapper({", ".join(args)})
    var renamed = 0
    for (name in java.io.File(args[0]).readLines()) {{
        val packed = gradle.transform(name)
        if (packed != name) renamed++
        if (assetFileName(packed) != name) println("NEW\\t" + name + "\\t" + packed)
        if (oldAssetFileName(packed) != name) println("OLD\\t" + name + "\\t" + packed)
    }}
    println("RENAMED\\t" + renamed)
}}
"""
    jar = tmp_path / "rename.jar"
    kotlinc(source, jar, gradle_classpath)
    names = sorted({p.name for p in (cpython_source / "Lib").rglob("*") if p.is_file()})
    (tmp_path / "names").write_text("\n".join(names) + "\n")
    out = subprocess.run(["java", "-cp", f"{jar}{os.pathsep}{gradle_classpath}", "MainKt",
                          str(tmp_path / "names")], capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert [r for r in rows if r[0] == "NEW"] == []  # the round trip is the identity
    [[_, renamed]] = [r for r in rows if r[0] == "RENAMED"]
    assert int(renamed) > 100  # names with "-" or ".gz": the rename is exercised
    old = {r[1]: r[2] for r in rows if r[0] == "OLD"}
    wheel = next(n for n in names if n.startswith("pip-") and n.endswith(".whl"))
    assert old[wheel] == wheel.replace("-none-", "-none--")  # the old undo mangled these
