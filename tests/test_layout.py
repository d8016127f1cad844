"""The package layout shows the architecture: subpackages along the flow, imports running one way, no cycles.

Every import counts, also those inside functions (a lazy import is still a dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / "xltools"
# Lower layers never import higher ones. Peers on one layer may import each other one way only (no cycles).
LAYERS = {
    "errors": 0, "atomic": 0, "limits": 0, "textsafe": 0, "safexml": 0, "format": 0,
    "reading": 1,
    "checking": 2,
    "publish": 3, "workbook": 4, "extract": 5, "consolidate": 5,
    "portal": 6, "cli": 7, "__main__": 8, "__init__": 8,
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the xltools modules it imports (anywhere in its body)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name.split(".") if is_package else name.split(".")[:-1]
                    base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t.startswith("xltools") and t != name and t != "xltools":
                    found.add(t)
        graph[name] = found
    return graph


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_lives_in_a_known_layer() -> None:
    unknown = sorted({_part(m) for m in _imports()} - set(LAYERS))
    assert not unknown, f"add these to LAYERS (and to docs/development.md): {unknown}"


def test_imports_run_down_the_flow() -> None:
    wrong = [(m, t) for m, targets in _imports().items() for t in targets
             if LAYERS[_part(m)] < LAYERS[_part(t)]]
    assert not wrong, f"lower layers import higher ones: {wrong}"


def test_no_import_cycles() -> None:
    graph = _imports()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_adapters_never_call_verbs() -> None:
    """The ports and readers move data in and out; they never run check, export, import or consolidate."""
    adapters = ("xltools.reading.reader", "xltools.workbook.openpyxl_port", "xltools.workbook.xlwings_port",
                "xltools.workbook.writer", "xltools.publish.docx_writer", "xltools.extract.pdf_text")
    verbs = ("xltools.checking.check", "xltools.publish.export", "xltools.extract.importing",
             "xltools.consolidate.consolidation", "xltools.workbook.new", "xltools.workbook.actions")
    graph = _imports()
    wrong = [(a, v) for a in adapters for v in graph[a] if v in verbs]
    assert not wrong, wrong


def test_every_module_says_what_it_holds() -> None:
    missing = [str(p.relative_to(REPO)) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py"
               and p.stat().st_size and ast.get_docstring(ast.parse(p.read_text("utf-8"))) is None]
    assert not missing, f"modules without a docstring: {missing}"
