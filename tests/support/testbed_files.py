"""The testbed's files, and a few helpers over tree-sitter's Kotlin syntax tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.cli import REPO

TESTBED = REPO / "testbed"
APP = TESTBED / "app"
BUILD_KTS = APP / "build.gradle.kts"
MAIN_ACTIVITY = APP / "src/main/java/org/python/testbed/MainActivity.kt"
PYTHON_SUITE = APP / "src/androidTest/java/org/python/testbed/PythonSuite.kt"
MAIN_PY = APP / "src/main/python/android_testbed_main.py"


# --- a few helpers over tree-sitter's Kotlin syntax tree ----------------------------

class Kotlin:
    def __init__(self, path: Path) -> None:
        ts = pytest.importorskip("tree_sitter")
        kotlin = pytest.importorskip("tree_sitter_kotlin")
        self.source = path.read_bytes()
        self.tree = ts.Parser(ts.Language(kotlin.language())).parse(self.source)

    def text(self, node) -> str:
        return self.source[node.start_byte:node.end_byte].decode()

    def nodes(self, node=None, kind: str | None = None) -> Iterator:
        node = node or self.tree.root_node
        if kind is None or node.type == kind:
            yield node
        for child in node.children:
            yield from self.nodes(child, kind)

    def callee(self, call) -> str:
        """`tasks.register<T>` in `tasks.register<T>("x") { ... }`."""
        parts = []
        for child in call.children:
            if child.type in ("value_arguments", "annotated_lambda"):
                break
            parts.append(self.text(child))
        return "".join(parts)

    def calls(self, name: str, within=None) -> list:
        """Calls of `name` (plain or dotted), with their trailing lambda if any."""
        found = []
        for call in self.nodes(within, "call_expression"):
            if call.children[0].type == "call_expression":
                continue  # `f(x) { ... }` wraps the call `f(x)`: found through it
            callee = self.callee(call)
            if callee == name or callee.endswith("." + name):
                parent = call.parent
                wrapped = parent is not None and parent.type == "call_expression" and \
                    parent.children[0] == call
                found.append(parent if wrapped else call)
        return found

    def string_args(self, call) -> list[str]:
        return [self.text(s).strip('"') for s in self.nodes(call, "string_literal")
                if s.parent.type in ("value_argument",)]

    def first_string_arg(self, call) -> str:
        for arg in self.nodes(call, "value_argument"):
            return self.text(arg).strip('"')
        raise AssertionError(f"no argument in {self.text(call)[:60]}")

    def assignments(self, within) -> dict[str, str]:
        result = {}
        for node in self.nodes(within, "assignment"):
            lhs, rhs = node.children[0], node.children[-1]
            result[self.text(lhs)] = self.text(rhs)
        return result

    def vals(self) -> dict[str, str]:
        result = {}
        for node in self.nodes(kind="property_declaration"):
            names = [self.text(c) for c in node.children if c.type == "variable_declaration"]
            if names:
                result[names[0]] = self.text(node.children[-1])
        return result


def lambda_call(kts: Kotlin, node):
    """`f(x)` if node is `f(x) { ... }` (the grammar wraps the call), else None."""
    if node.type == "call_expression" and node.children[0].type == "call_expression" and \
            any(c.type == "annotated_lambda" for c in node.children):
        return node.children[0]
    return None


def asset_dir_of(kts: Kotlin, source: Path) -> str:
    """Where Gradle copies `from("$projectDir/SOURCE")`, relative to the assets' python/
    (the app's PYTHONHOME): the `into(...)` calls around it, outermost first."""
    wanted = f'from("$projectDir/{source.relative_to(APP)}")'
    [node] = [c for c in kts.nodes(kind="call_expression") if kts.text(c) == wanted]
    dirs = []
    while node is not None:
        if (call := lambda_call(kts, node)) is not None and kts.callee(call) == "into":
            dirs.insert(0, kts.first_string_arg(call))
        node = node.parent
    assert dirs[0] == "python", dirs
    return "/".join(dirs[1:])
