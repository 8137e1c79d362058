"""agentgen imports one way (no cycle, not even through a function-level import), and every
error the runtime defines is an AgentgenError."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

import agentgen
import agentgen.runtime
import agentgen_runtime
from agentgen.runtime import (
    AgentgenError,
    HandlerNotImplemented,
    HttpError,
    IncompatibleThread,
    ModelNotConfigured,
    ModelUnavailable,
    ResponseRefused,
    ScriptExhausted,
    ThreadConflict,
    ThreadNotFound,
)

PACKAGE = Path(agentgen.__file__).parent
RUNTIME = Path(agentgen_runtime.__file__).parent
Graph = dict[str, set[str]]


def module_names(root: Path) -> dict[Path, str]:
    """Every module of the package at `root`, by file: "pkg", "pkg.sub", "pkg.sub.mod"."""
    names: dict[Path, str] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        names[path] = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    return names


def import_graph(root: Path) -> Graph:
    """For each module of the package at `root`, the package's modules it imports at run time."""
    names = module_names(root)
    modules = set(names.values())
    graph: Graph = {}
    for path, name in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = set().union(*(edges(node, name, package, modules) for node in imports([tree])))
        graph[name] = {module for module in found if module in modules and module != name}
    return graph


def imports(nodes: Iterable[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements in `nodes`, functions' included, but not TYPE_CHECKING-only ones."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and is_type_checking(node.test):
            yield from imports(node.orelse)
        elif isinstance(node, ast.If) and is_not_type_checking(node.test):
            yield from imports(node.body)
        else:
            yield from imports(ast.iter_child_nodes(node))


def is_type_checking(test: ast.expr) -> bool:
    """Whether an `if` test is `TYPE_CHECKING` (or `typing.TYPE_CHECKING`)."""
    name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
    return name == "TYPE_CHECKING"


def is_not_type_checking(test: ast.expr) -> bool:
    """Whether an `if` test is `not TYPE_CHECKING`."""
    if not isinstance(test, ast.UnaryOp):
        return False
    return isinstance(test.op, ast.Not) and is_type_checking(test.operand)


def edges(
    node: ast.Import | ast.ImportFrom, importer: str, package: str, modules: set[str]
) -> set[str]:
    """The modules one statement runs (or reads from) when `importer` executes it."""
    if isinstance(node, ast.Import):
        return set().union(*(loaded(alias.name, importer) for alias in node.names))
    base = absolute(node, package)
    found = loaded(base, importer)
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        if submodule in modules:
            found |= loaded(submodule, importer)
        else:  # an attribute of `base`: it must have run, even if it is the importer's package
            found.add(base)
    return found


def absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a `from ... import` reads from, with a relative one resolved."""
    if not node.level:
        return node.module or ""
    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{anchor}.{node.module}" if node.module else anchor


def loaded(module: str, importer: str) -> set[str]:
    """`module` and the packages above it, but for the importer's own (which are running)."""
    parts = module.split(".")
    chain = {".".join(parts[:end]) for end in range(1, len(parts) + 1)}
    return {name for name in chain if not importer.startswith(name + ".")}


def find_cycle(graph: Graph) -> list[str]:
    """One cycle of `graph` as [a, b, ..., a]; [] when it has none."""
    finished: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str]:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in finished:
            return []
        path.append(module)
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported)
            if cycle:
                return cycle
        path.pop()
        finished.add(module)
        return []

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return []


def write_package(root: Path, files: dict[str, str]) -> Path:
    """A package `pkg` under `root` with these files (paths inside it, their source)."""
    package = root / "pkg"
    for relative, source in {"__init__.py": "", **files}.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return package


@pytest.mark.parametrize("root", [PACKAGE, RUNTIME], ids=["agentgen", "agentgen_runtime"])
def test_imports_form_no_cycle(root: Path) -> None:
    cycle = find_cycle(import_graph(root))
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_the_graphs_cover_generator_and_runtime() -> None:
    assert {"agentgen.cli", "agentgen.render._files", "agentgen.runtime"} <= set(
        import_graph(PACKAGE)
    )
    graph = import_graph(RUNTIME)
    assert "agentgen_runtime._resolve" in graph["agentgen_runtime"]
    assert "agentgen_runtime._models" in graph["agentgen_runtime._resolve"]
    assert graph["agentgen_runtime._models"] == {"agentgen_runtime._base"}


def test_a_function_level_import_back_is_a_cycle(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "models.py": "def resolve():\n    from .resolve import build\n    return build()\n",
            "resolve.py": "from pkg.models import resolve\n\ndef build(): ...\n",
        },
    )
    assert find_cycle(import_graph(package)) == ["pkg.models", "pkg.resolve", "pkg.models"]


def test_a_type_checking_import_is_no_edge(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\n",
            "b.py": "import typing\nif not typing.TYPE_CHECKING:\n    from pkg import a\n",
            "c.py": "import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    import pkg.b\n",
        },
    )
    assert import_graph(package) == {
        "pkg": set(),
        "pkg.a": set(),
        "pkg.b": {"pkg.a"},
        "pkg.c": {"pkg.b"},
    }


def test_reading_a_name_from_the_own_package_is_an_edge(tmp_path: Path) -> None:
    package = write_package(
        tmp_path,
        {
            "__init__.py": "from .a import A\nfrom .sub import B\n",
            "a.py": "from . import b\n\nclass A: ...\n",
            "b.py": "class C: ...\n",
            "sub/__init__.py": "from ._b import B\n",
            "sub/_b.py": "from .. import A as B\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.b"}  # a submodule of the running package: no edge to it
    assert graph["pkg.sub._b"] == {"pkg"}
    assert find_cycle(graph) == ["pkg", "pkg.sub", "pkg.sub._b", "pkg"]


def runtime_modules() -> list[ModuleType]:
    """agentgen.runtime, agentgen_runtime and every module in it, imported."""
    prefix = agentgen_runtime.__name__ + "."
    found = pkgutil.walk_packages(agentgen_runtime.__path__, prefix)
    return [agentgen.runtime, *(importlib.import_module(info.name) for info in found)]


def runtime_errors() -> set[type[BaseException]]:
    """Every exception class a runtime module defines, found in the modules' namespaces."""
    return {
        value
        for module in runtime_modules()
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__.startswith(agentgen_runtime.__name__)
    }


def test_the_error_search_finds_the_runtime_errors() -> None:
    named = {
        AgentgenError,
        HandlerNotImplemented,
        HttpError,
        IncompatibleThread,
        ModelNotConfigured,
        ModelUnavailable,
        ResponseRefused,
        ScriptExhausted,
        ThreadConflict,
        ThreadNotFound,
    }
    assert named <= runtime_errors()


def test_every_runtime_error_is_an_agentgen_error_with_an_http_status() -> None:
    for error in runtime_errors():
        assert issubclass(error, AgentgenError), f"{error.__module__}.{error.__qualname__}"
        assert isinstance(error.http_status, int) and 400 <= error.http_status <= 599


@pytest.mark.parametrize(
    ("error", "base"),
    [
        (HandlerNotImplemented, NotImplementedError),
        (ScriptExhausted, RuntimeError),
        (ModelNotConfigured, RuntimeError),
        (ModelUnavailable, RuntimeError),
        (ThreadConflict, RuntimeError),
        (IncompatibleThread, RuntimeError),
        (ThreadNotFound, LookupError),
        (ResponseRefused, ValueError),
    ],
)
def test_runtime_errors_keep_the_bases_callers_catch(
    error: type[AgentgenError], base: type[Exception]
) -> None:
    assert issubclass(error, base)
