"""The codebase keeps the shape docs/internals.rst describes: one process layer,
small modules and functions, test modules that do not import each other, and a
Layout table that names every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from support.cli import REPO

PACKAGE = REPO / "Tools" / "cpython_android"
PROCESS_LAYER = PACKAGE / "process"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def library_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def direct_process_calls(path: Path) -> list[str]:
    """`subprocess`, `asyncio.create_subprocess_*`, `asyncio.subprocess` and
    `os.kill`/`os.killpg` used in `path`, as "line: what"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] == "subprocess"]
        elif isinstance(node, ast.ImportFrom):
            names = {a.name for a in node.names}
            if node.module == "subprocess" or (
                    node.module in ("asyncio", "os") and names & {
                        "subprocess", "create_subprocess_exec", "create_subprocess_shell",
                        "kill", "killpg"}):
                found.append(f"{node.lineno}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in {
                    ("asyncio", "create_subprocess_exec"), ("asyncio", "create_subprocess_shell"),
                    ("asyncio", "subprocess"), ("os", "kill"), ("os", "killpg")}:
                found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_only_the_process_layer_starts_or_signals_processes():
    offenders = {rel(path): calls for path in library_modules()
                 if PROCESS_LAYER not in path.parents
                 and (calls := direct_process_calls(path))}
    assert offenders == {}
    # The check itself sees such calls where they are allowed.
    assert direct_process_calls(PROCESS_LAYER / "sync.py")
    assert direct_process_calls(PROCESS_LAYER / "aio.py")


def test_modules_and_functions_stay_small():
    too_long = []
    for path in library_modules():
        text = path.read_text()
        if (lines := len(text.splitlines())) > MAX_MODULE_LINES:
            too_long.append(f"{rel(path)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{rel(path)}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []


def test_test_modules_import_no_other_test_module():
    tests = REPO / "tests"
    modules = sorted({*tests.glob("*.py"), *tests.glob("unit/*.py"),
                      *tests.glob("integration/*.py")})
    own = {p.stem for p in modules}
    offenders = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                if top in own and (top.startswith("test_") or top == "conftest"):
                    offenders.append(f"{path.name}:{node.lineno} imports {name}")
    assert offenders == []


def layout_table() -> dict[str, str]:
    """The rows of docs/internals.rst's Layout table: first column -> description."""
    text = (REPO / "docs" / "internals.rst").read_text()
    section = text.split("\nLayout\n------\n", 1)[1]
    # The table sits between its first and last `====` rules.
    table = section.split("\n=====", 2)[1]
    rows = {}
    for line in table.splitlines()[1:]:
        if m := re.match(r"``([\w/]+)``\s+(.*)", line):
            rows[m[1]] = m[2]
    return rows


def top_level_names() -> set[str]:
    """Every module and package of the library, packages with a trailing /."""
    return {p.stem if p.is_file() else f"{p.name}/" for p in PACKAGE.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__")
            or (p.is_dir() and (p / "__init__.py").exists())}


def test_readme_layout_table_names_every_module():
    rows = layout_table()
    assert rows, "docs/internals.rst has no Layout table"
    missing = top_level_names() - set(rows)
    assert missing == set(), f"modules missing from docs/internals.rst's Layout: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(layout_table()))
def test_readme_layout_rows_name_real_modules(name: str):
    path = PACKAGE / name.rstrip("/")
    if name.endswith("/"):
        assert (path / "__init__.py").is_file(), f"{name} is not a package"
    else:
        assert path.with_suffix(".py").is_file(), f"{name} is not a module"
