"""The emulator's layering, read from its source with ``ast`` (nothing is imported or run):

* moto is imported by ``engine.py`` alone, and only inside methods of ``MotoEngine``;
* no other module reads moto's object attributes (buckets, keys, uploads, the backend);
* ``ibm_cos_emulator`` has no import cycle (module-level and function-level imports;
  imports under ``if TYPE_CHECKING:`` are for annotations only and do not count);
* the COS layer's handler table names only routes that exist and are supported.
"""
from __future__ import annotations

import ast
import os
from typing import Dict, Iterator, List, Optional, Set, Tuple

import pytest

from ibm_cos_emulator import cos, routes

PACKAGE = "ibm_cos_emulator"
PACKAGE_DIR = os.path.dirname(os.path.abspath(cos.__file__))
MODULES = sorted(name[:-3] for name in os.listdir(PACKAGE_DIR) if name.endswith(".py"))

# attributes of moto's objects (not of ours) that only the engine may use
MOTO_ATTRIBUTES = {"multiparts", "bucket_accounts", "tagger", "versioning_status", "checksum_value",
                   "checksum_algorithm", "checksum_parts", "_value_buffer", "key_name", "creation_date",
                   "backend", "_backend", "_bucket", "_upload"}


def _tree(module: str) -> ast.Module:
    with open(os.path.join(PACKAGE_DIR, module + ".py"), encoding="utf-8") as fh:
        return ast.parse(fh.read(), filename=module + ".py")


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(node: ast.AST, scope: Tuple[str, ...] = ()) -> Iterator[Tuple[ast.AST, Tuple[str, ...]]]:
    """Every import statement below ``node`` with the names of the classes/functions around it,
    skipping ``if TYPE_CHECKING:`` blocks."""
    for child in ast.iter_child_nodes(node):
        if _is_type_checking(child):
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, scope
        inner = scope + (child.name,) if isinstance(child, (ast.ClassDef, ast.FunctionDef)) else scope
        yield from _imports(child, inner)


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    return ".".join([PACKAGE] + ([node.module] if node.module else []))


def _imported_modules(node: ast.AST, module: str) -> List[str]:
    """The full names an import statement imports (``from . import a`` imports ``pkg.a``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    base = _absolute(module, node)
    if base == PACKAGE:
        return [f"{PACKAGE}.{alias.name}" for alias in node.names]
    return [base]


def _package_imports(module: str) -> Set[str]:
    out = set()
    for node, _ in _imports(_tree(module)):
        for name in _imported_modules(node, module):
            parts = name.split(".")
            if parts[0] == PACKAGE and len(parts) > 1 and parts[1] in MODULES and parts[1] != module:
                out.add(parts[1])
    return out


def test_the_source_walk_sees_the_package():
    assert {"engine", "cos", "motofix", "persistence", "routes", "wire"} <= set(MODULES)
    assert _package_imports("cos") >= {"engine", "motofix", "routes", "wire"}
    assert "engine" not in _package_imports("persistence")  # only under TYPE_CHECKING there


@pytest.mark.parametrize("module", MODULES)
def test_only_the_engine_imports_moto(module):
    found = []
    for node, scope in _imports(_tree(module)):
        for name in _imported_modules(node, module):
            if name == "moto" or name.startswith("moto."):
                found.append((name, scope))
    if module != "engine":
        assert found == []
    else:
        assert found != []
        assert [(name, scope) for name, scope in found if len(scope) < 2 or scope[0] != "MotoEngine"] == []


@pytest.mark.parametrize("module", [m for m in MODULES if m != "engine"])
def test_only_the_engine_reads_moto_objects(module):
    used = sorted({node.attr for node in ast.walk(_tree(module))
                   if isinstance(node, ast.Attribute) and node.attr in MOTO_ATTRIBUTES})
    assert used == []


def _cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    """One import cycle of ``graph`` (as a path that ends where it starts), or None."""
    done: Set[str] = set()

    def visit(node: str, path: List[str]) -> Optional[List[str]]:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            found = visit(target, path + [node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_in_the_package():
    graph = {module: _package_imports(module) for module in MODULES}
    assert _cycle(graph) is None


def test_the_handler_table_holds_the_methods_the_routes_name():
    every = routes.ROUTES + (routes.COPY_OBJECT, routes.UPLOAD_PART_COPY)
    named = {r.handler_key: r.handler for r in every if r.handler}
    assert {k: h.__qualname__ for k, h in cos.HANDLERS.items()} == {k: "CosLayer." + n for k, n in named.items()}
    assert [r.operation for r in every if r.handler and not r.supported] == []
    assert cos.HANDLERS[routes.COPY_OBJECT.handler_key] is cos.CosLayer.copy_object
    assert cos.HANDLERS[("PUT", routes.OBJECT, None, False)] is cos.CosLayer.put_object
    assert ("PUT", routes.OBJECT, "uploadId", False) not in cos.HANDLERS  # UploadPart: the engine answers
