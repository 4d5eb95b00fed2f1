"""The packages' import graph has no cycle, and the transports read only their settings.

Every ``import`` counts, at module level and inside functions alike (a function-level
import that closes a cycle is still a cycle: it only moves the failure to run time);
imports under ``if TYPE_CHECKING:`` do not, they never run. ``from pkg import name``
is an edge to ``pkg.name`` when that is a module of the package, else to ``pkg``. The
implicit import of a submodule's parent packages is not an edge.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ibm_botocore", "ibm_s3transfer", "ibm_boto3", "ibm_cos_emulator")

Edges = Dict[str, Dict[str, int]]  # module -> {imported module: line of the first import}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> List[ast.stmt]:
    """Every import statement that can run (all but those under ``if TYPE_CHECKING:``)."""
    found: List[ast.stmt] = []
    pending: List[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(node: ast.stmt, module: str, is_package: bool, modules: Set[str]) -> List[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in modules]
    assert isinstance(node, ast.ImportFrom)
    source = _absolute(node, module, is_package)
    targets = []
    for alias in node.names:
        submodule = source + "." + alias.name
        if submodule in modules:
            targets.append(submodule)
        elif source in modules:
            targets.append(source)
    return targets


def import_graph(package: str, root: Path = ROOT) -> Edges:
    paths = {_module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}
    modules = set(paths)
    graph: Edges = {}
    for module, path in paths.items():
        edges: Dict[str, int] = {}
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _import_nodes(tree):
            for target in _targets(node, module, path.name == "__init__.py", modules):
                if target != module:
                    edges[target] = min(edges.get(target, node.lineno), node.lineno)
        graph[module] = edges
    return graph


def find_cycle(graph: Edges) -> Optional[List[str]]:
    """One cycle of the graph as [a, b, ..., a], or None (depth-first, iteratively)."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path: List[str] = [start]
        iterators = [iter(sorted(graph[start]))]
        state[start] = 1
        while iterators:
            following = next(iterators[-1], None)
            if following is None:
                state[path.pop()] = 2
                iterators.pop()
            elif state.get(following) == 1:
                return path[path.index(following):] + [following]
            elif not state.get(following):
                state[following] = 1
                path.append(following)
                iterators.append(iter(sorted(graph[following])))
    return None


def describe(cycle: List[str], graph: Edges) -> str:
    steps = ["%s (line %d) -> %s" % (a, graph[a][b], b) for a, b in zip(cycle, cycle[1:])]
    return "import cycle: " + "; ".join(steps)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle(package: str) -> None:
    graph = import_graph(package)
    assert len(graph) > 5
    cycle = find_cycle(graph)
    assert cycle is None, describe(cycle, graph)


# -- the checker itself, on small trees of its own --------------------------------------------
def _write(tmp: Path, files: Dict[str, str]) -> None:
    for name, text in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _graph_of(tmp: Path, files: Dict[str, str]) -> Edges:
    _write(tmp, files)
    return import_graph("pkg", tmp)


def test_a_function_level_cycle_is_found_and_named(tmp_path: Path) -> None:
    graph = _graph_of(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "import os\nfrom pkg.b import thing\n",
        "pkg/b.py": "thing = 1\n\n\ndef late():\n    from . import a\n    return a\n",
    })
    assert graph == {"pkg": {}, "pkg.a": {"pkg.b": 2}, "pkg.b": {"pkg.a": 5}}
    cycle = find_cycle(graph)
    assert cycle == ["pkg.a", "pkg.b", "pkg.a"]
    assert describe(cycle, graph) == "import cycle: pkg.a (line 2) -> pkg.b; pkg.b (line 5) -> pkg.a"


def test_type_checking_imports_and_parent_packages_are_not_edges(tmp_path: Path) -> None:
    graph = _graph_of(tmp_path, {
        "pkg/__init__.py": "from pkg.sub.c import C\n",
        "pkg/a.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg.b import B\nelse:\n    import pkg.sub\n",
        "pkg/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "from ..a import typing\n\nC = 1\n",
    })
    assert graph == {
        "pkg": {"pkg.sub.c": 1},
        "pkg.a": {"pkg.sub": 5},
        "pkg.b": {},
        "pkg.sub": {},
        "pkg.sub.c": {"pkg.a": 1},
    }
    assert find_cycle(graph) is None


def test_a_longer_cycle_through_a_package_init(tmp_path: Path) -> None:
    graph = _graph_of(tmp_path, {
        "pkg/__init__.py": "from pkg.x import X\nVERSION = '1'\n",
        "pkg/x.py": "from pkg.y import Y\nX = 1\n",
        "pkg/y.py": "import pkg\nY = pkg.VERSION\n",
    })
    cycle = find_cycle(graph)
    assert cycle == ["pkg", "pkg.x", "pkg.y", "pkg"]


# -- the transports read their settings, not the session --------------------------------------
def _reads_of(path: Path, class_name: str) -> Tuple[str, Set[str]]:
    """(annotation of __init__'s ``settings``, the attributes __init__ reads off it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == class_name)
    init = next(node for node in cls.body if isinstance(node, ast.FunctionDef) and node.name == "__init__")
    argument = next(arg for arg in init.args.args if arg.arg == "settings")
    reads = {
        node.attr
        for node in ast.walk(init)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings"
    }
    annotation = argument.annotation
    # the annotation's source text (ast.unparse is Python 3.9+)
    text = ast.get_source_segment(path.read_text(encoding="utf-8"), annotation) if annotation is not None else ""
    return text or "", reads


@pytest.mark.parametrize("module, class_name", [
    ("_directhttp", "DirectTransport"),
    ("_urllib3_transport", "Urllib3Transport"),
])
def test_transports_take_transport_settings(module: str, class_name: str) -> None:
    from ibm_botocore._transport import TransportSettings

    annotation, reads = _reads_of(ROOT / "ibm_botocore" / (module + ".py"), class_name)
    assert annotation == "TransportSettings"
    assert reads and reads <= set(TransportSettings._fields), reads


def test_session_hands_its_settings_to_both_transports() -> None:
    from ibm_botocore._directhttp import DirectTransport
    from ibm_botocore._urllib3_transport import Urllib3Transport
    from ibm_botocore.httpsession import URLLib3Session

    session = URLLib3Session(timeout=(3, 7), max_pool_connections=4, socket_options=[(6, 1, 1)])
    direct, pooled = session._get_direct(), session._get_transport()
    assert type(direct) is DirectTransport and type(pooled) is Urllib3Transport
    assert (direct._connect_timeout, direct._read_timeout, direct._max_idle, direct._socket_options) == (3, 7, 4, [(6, 1, 1)])
    assert (pooled._timeout.connect_timeout, pooled._timeout.read_timeout, pooled._max_pool_connections) == (3, 7, 4)
    assert pooled._socket_options == [(6, 1, 1)]
    session.close()


# -- what moved to a lower module is still where it was ---------------------------------------
def test_moved_names_keep_their_public_home() -> None:
    import pickle

    from ibm_botocore import _credbase, _transport, credentials, httpsession, iam

    assert credentials.Credentials is _credbase.Credentials is iam.Credentials
    assert credentials.ReadOnlyCredentials is _credbase.ReadOnlyCredentials
    assert (credentials.Credentials.__module__, credentials.ReadOnlyCredentials.__module__) == (
        "ibm_botocore.credentials", "ibm_botocore.credentials")
    assert issubclass(iam.OAuth2Credentials, credentials.Credentials)
    assert credentials.OAuth2Credentials is iam.OAuth2Credentials
    frozen = pickle.loads(pickle.dumps(credentials.Credentials("AKID", "secret", "tok").get_frozen_credentials()))
    assert frozen == credentials.ReadOnlyCredentials("AKID", "secret", "tok")
    assert httpsession.SEND_BLOCK_SIZE == _transport.SEND_BLOCK_SIZE == 1024 * 1024
    assert httpsession.short_file is _transport.short_file
    assert httpsession._request_target("http://h:1/a/b?x=1") == "/a/b?x=1"
    assert httpsession._request_target("https://h?x") == "/?x"
    error = httpsession.short_file(3, 10)
    assert type(error).__name__ == "HTTPClientError"
    assert str(error) == "The HTTP client failed unexpectedly: request body: the file ended after 3 of 10 bytes"
