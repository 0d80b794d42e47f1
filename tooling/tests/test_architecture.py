"""The import graph, read from the source with ``ast``: the rules the layout promises, checked on every run.

- no cycles between modules (imports inside functions count: they are imports too, only later);
- the foundation (errors, fields, problems, models) imports nothing above it;
- the CLI parses and prints: it never reaches git, GitHub, round-trip edits or the probe state itself;
- the package root stays small: capabilities live in packages.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "watchbill"
FOUNDATION = ("watchbill.errors", "watchbill.fields", "watchbill.problems", "watchbill.models")
CLI_MAY_NOT_IMPORT = ("watchbill.forge", "watchbill.files.yamledit", "watchbill.files.yamledit", "watchbill.state")
MAX_ROOT_MODULES = 10


def module_name(path: Path) -> str:
    parts = ["watchbill", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every watchbill module ``path`` imports, resolved to a module (``from .x import name`` -> ``x.name`` when
    that is a module, else ``x``)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("watchbill"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("watchbill"):
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except what sits under ``if TYPE_CHECKING:``, which never runs."""
    nodes: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                todo.extend(child.orelse)
                continue
            todo.append(child)
    return nodes


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports(path) for name, path in MODULES.items()}


def test_there_is_no_import_cycle() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue  # a package and its own modules: how a package re-exports, not a cycle
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


def test_the_foundation_imports_nothing_above_it() -> None:
    for name, targets in GRAPH.items():
        if name.startswith(FOUNDATION):
            upward = {t for t in targets if not t.startswith(FOUNDATION)}
            assert not upward, f"{name} imports {sorted(upward)}"


def test_the_cli_never_reaches_git_github_edits_or_probe_state_itself() -> None:
    for name, targets in GRAPH.items():
        if name.startswith("watchbill.cli"):
            reached = {t for t in targets if t.startswith(CLI_MAY_NOT_IMPORT)}
            assert not reached, f"{name} imports {sorted(reached)}"


def test_nothing_below_the_cli_imports_it() -> None:
    for name, targets in GRAPH.items():
        if not name.startswith("watchbill.cli") and name != "watchbill.__main__":  # python -m watchbill: above it
            assert not {t for t in targets if t.startswith("watchbill.cli")}, name


def test_the_package_root_holds_few_loose_modules() -> None:
    loose = sorted(p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= MAX_ROOT_MODULES, loose
