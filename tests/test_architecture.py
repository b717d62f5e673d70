"""The layout rules of docs/architecture.md, checked on the source (pure logic, no imports).

- only the CLI package (and ``__main__``) imports :mod:`interviewer.cli`;
- the package has no import cycle, counting imports inside functions too;
- nothing loads the bank or builds default settings behind its caller's back: the application
  context (:mod:`interviewer.context`) is where that happens;
- no module grows far past ~500 lines, so each stays readable on its own.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "interviewer"
MAX_LINES = 520


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every interviewer module ``name`` imports, at any depth, except under TYPE_CHECKING."""
    is_package = path.name == "__init__.py"

    def walk(nodes: list[ast.stmt] | list[ast.AST]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                yield from walk(list(node.orelse))
                continue
            if isinstance(node, ast.Import):
                yield from (a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name.split(".") if is_package else name.split(".")[:-1]
                    pkg = pkg[: len(pkg) - (node.level - 1)]
                    base = ".".join([*pkg, base] if base else pkg)
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
                # "from pkg import submodule" depends on the submodule, not on pkg's __init__
                if len(subs) < len(node.names):
                    yield base
                yield from subs
            yield from walk(list(ast.iter_child_nodes(node)))

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for target in walk(list(tree.body)):
        if target in MODULES and target != name:
            yield target


GRAPH = {name: set(_imports(name, path)) for name, path in MODULES.items()}


def test_only_the_cli_package_imports_the_cli() -> None:
    offenders = sorted(
        name
        for name, deps in GRAPH.items()
        if any(d == "interviewer.cli" or d.startswith("interviewer.cli.") for d in deps)
        and not (name == "interviewer.__main__" or name.startswith("interviewer.cli"))
    )
    assert offenders == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_package_has_no_import_cycle() -> None:
    assert _cycles(GRAPH) == []


def test_the_bank_and_default_settings_are_built_only_by_the_context() -> None:
    callers = sorted(
        str(path.relative_to(PACKAGE.parent))
        for name, path in MODULES.items()
        if name != "interviewer.context"
        and re.search(r"\bload_bank\(\)|\bSettings\(\)", path.read_text(encoding="utf-8"))
    )
    # config.load_settings is where Settings() starts from: the defaults, before file and flags
    assert callers == ["interviewer/config.py"]


def test_no_module_grows_far_past_five_hundred_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
