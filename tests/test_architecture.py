"""The house rules, read from the source with `ast`: imports point down the layers, no import
cycle, no import hidden inside a function, and `experiments` never imports `naslib_compat`.

Deferred imports are declared at module level and count as imports here: a
`lazy_module("eo_naslib.x")` call, and the module names in a `LAZY` (PEP 562 `__getattr__`) or
`COMMANDS` (the CLI's command registry) table."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "eo_naslib"
#: layer of each top-level part; a module may import only from its own layer or lower ones
LAYERS = {
    "errors": 0, "io": 0, "paths": 0, "arguments": 0, "processes": 0, "schema": 0, "lazy": 0,
    "space": 1,
    "benchmarks": 2, "training": 2, "testing": 2,
    "search": 3, "landscape": 3, "creation": 3,
    "experiments": 4, "naslib_compat": 4, "reproduce": 4,
    "api": 5, "cli": 5, "__init__": 5, "__main__": 5,
}
#: same-layer imports that would still point the wrong way
FORBIDDEN = {("experiments", "naslib_compat"), ("reproduce", "naslib_compat"), ("benchmarks", "training"), ("search", "creation"), ("landscape", "creation")}
#: module-level tables whose strings name modules imported on first use
DEFERRED_TABLES = {"LAZY", "COMMANDS"}
#: optional accelerators imported where they are used, each with a pure-Python fallback
OPTIONAL_IMPORTS = {"google_crc32c", "crc32c"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if node.level:
        base = base[: len(base) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))
    return node.module or ""


def imports_of(name: str) -> tuple[set[str], list[str]]:
    """(eo_naslib modules imported at module level, imports found inside functions)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    hidden: list[str] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found = [a.name for a in child.names] if isinstance(child, ast.Import) else [resolve(name, is_package, child)]
                if inside:
                    hidden.extend(f for f in found if f.split(".")[0] not in OPTIONAL_IMPORTS)
                    continue
                for module in found:
                    if not module.startswith("eo_naslib"):
                        continue
                    names = [a.name for a in child.names] if isinstance(child, ast.ImportFrom) else []
                    submodules = {f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES}
                    targets.update(submodules)
                    if len(submodules) < len(names) or not names:  # names from the module itself
                        targets.add(module)
            visit(child, inside)

    visit(tree, False)
    targets.update(deferred_imports(tree))
    return {t for t in targets if t in MODULES and t != name}, hidden


def deferred_imports(tree: ast.Module) -> set[str]:
    """Modules named at module level in `lazy_module(...)` calls or in a LAZY/COMMANDS table."""
    found: set[str] = set()
    for statement in tree.body:
        roots: list[ast.AST] = [
            n for n in ast.walk(statement)
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "lazy_module"
        ]  # fmt: skip
        if isinstance(statement, ast.Assign) and any(getattr(t, "id", None) in DEFERRED_TABLES for t in statement.targets):
            roots.append(statement.value)
        for root in roots:
            found.update(n.value for n in ast.walk(root) if isinstance(n, ast.Constant) and n.value in MODULES)
    return found


def test_deferred_imports_are_seen():
    assert "eo_naslib.benchmarks.install" in GRAPH["eo_naslib.benchmarks"][0]
    assert "eo_naslib.training.job" in GRAPH["eo_naslib.training.cli"][0]
    assert "eo_naslib.api" in GRAPH["eo_naslib"][0]


GRAPH = {name: imports_of(name) for name in MODULES}


def part(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_hidden_in_a_function(name):
    assert GRAPH[name][1] == [], f"{name} imports {GRAPH[name][1]} inside a function; import at module level"


def test_imports_point_down_the_layers():
    wrong = [
        (a, b)
        for a, (targets, _) in GRAPH.items()
        for b in targets
        if part(a) != part(b) and (LAYERS[part(b)] > LAYERS[part(a)] or (part(a), part(b)) in FORBIDDEN)
    ]
    assert wrong == []


def test_no_import_cycle():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(GRAPH[name][0]):
            if state.get(target) == 1:
                raise AssertionError(f"import cycle: {' -> '.join(stack[stack.index(target):] + [target])}")
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(MODULES):
        if name not in state:
            visit(name)


def test_every_part_has_a_layer():
    assert {part(n) for n in MODULES} <= set(LAYERS)
