"""The codebase keeps the shape docs/internals.rst describes: one process layer,
small modules and functions, no import circle, no function-local import without
a reason, test modules that do not import each other, and a Layout table that
names every module."""

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


# --- imports: no circle, and a reason for every function-local one --------------

def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def type_checking_nodes(tree: ast.AST) -> set[int]:
    """Nodes under `if TYPE_CHECKING:`: annotations only, never executed."""
    return {id(inner) for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for stmt in node.body for inner in ast.walk(stmt)}


def imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
                     modules: set[str]) -> set[str]:
    """The package's modules an import statement runs: `from X import y` runs
    X.y when y is a submodule (X, its package, is already being imported),
    else X itself."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & modules
    base = node.module or ""
    if node.level:
        here = module.split(".") if is_package else module.split(".")[:-1]
        here = here[:len(here) - node.level + 1]
        base = ".".join([*here, *([node.module] if node.module else [])])
    found = set()
    for alias in node.names:
        found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return found & modules


def import_graph(paths: list[Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports when it runs (module level or
    inside functions; `if TYPE_CHECKING:` blocks excluded)."""
    modules = {module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skip = type_checking_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skip:
                targets = imported_modules(node, name, path.name == "__init__.py",
                                           set(modules))
                graph[name] |= targets - {name}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                circles.append(sorted([node, *group]))

    for node in graph:
        if node not in index:
            visit(node)
    return circles


def test_no_import_circle_inside_the_package():
    assert import_circles(import_graph(library_modules())) == []
    # The check itself finds a circle through a function-local import.
    assert import_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def local_imports(path: Path) -> list[tuple[int, bool]]:
    """Each import inside a function of `path`: (line, whether a comment says why,
    on its line or on the line above its group of imports)."""
    lines = path.read_text().splitlines()
    found = []
    for func in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                head = node.lineno - 1
                while head > 0 and re.match(r"\s*(from \S+ )?import ", lines[head - 1]):
                    head -= 1
                said = "#" in lines[node.lineno - 1] or (
                    head > 0 and lines[head - 1].strip().startswith("#"))
                found.append((node.lineno, said))
    return found


def test_function_local_imports_say_why():
    found = {rel(path): local_imports(path) for path in library_modules()}
    unexplained = [f"{name}:{line}" for name, imports in found.items()
                   for line, said in imports if not said]
    assert unexplained == [], "a function-local import needs a comment saying why"
    # Today's count (third-party packages the bare-python3 shim must not need,
    # the target's own modules in the hooks, bootstrap's before its packages): a new
    # one is a choice, not a habit.
    assert sum(len(imports) for imports in found.values()) <= 28
