"""The imports that new handler stubs need, added to the user's handlers.py where ruff wants them.

A name the file already binds is never imported again (ruff's F811). A name from a module the
file already imports from on its own lines joins that import, sorted as isort sorts; any other
goes in a new import at the top, among the others, never below code (ruff's E402). The user's
own lines are left as they are, but for the names joined to one of their imports.
"""

from __future__ import annotations

import ast
import re
import sys

LINE_LENGTH = 100


def add_imports(yours: str, wanted: list[tuple[str, list[str]]]) -> str:
    """`yours` with `wanted` ((module, names) as `from module import names`) imported."""
    lines = yours.splitlines(keepends=True)
    tree = ast.parse(yours)
    bound = _bound_names(tree)
    imports = [node for node in tree.body if isinstance(node, ast.ImportFrom)]
    for module, names in wanted:
        missing = [name for name in names if name not in bound]
        if not missing:
            continue
        bound.update(missing)
        joined = _joinable(imports, lines, module)
        if joined is not None:
            _join(lines, joined, missing)
        else:
            _insert(lines, imports, tree, module, missing)
        tree = ast.parse("".join(lines))  # positions moved
        imports = [node for node in tree.body if isinstance(node, ast.ImportFrom)]
    return "".join(lines)


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module's top level binds: imports, functions, classes, assignments."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _module_of(node: ast.ImportFrom) -> str:
    return "." * node.level + (node.module or "")


def _joinable(
    imports: list[ast.ImportFrom], lines: list[str], module: str
) -> ast.ImportFrom | None:
    """The user's import from `module` that names can join: no aliases, and a comment only at
    the end of a one-line import."""
    for node in imports:
        if _module_of(node) != module or any(alias.asname for alias in node.names):
            continue
        text = "".join(lines[node.lineno - 1 : _end(node)])
        if "*" in text or ("#" in text and node.lineno != node.end_lineno):
            continue
        return node
    return None


def _join(lines: list[str], node: ast.ImportFrom, names: list[str]) -> None:
    """The import with `names` added, sorted; a trailing comment stays where ruff keeps it."""
    everything = sorted({alias.name for alias in node.names} | set(names), key=isort_key)
    last = lines[_end(node) - 1]
    comment = last[node.end_col_offset or len(last) :].strip()  # only a one-line import has one
    module = _module_of(node)
    if not comment:
        statement = _statement(module, everything)
    elif len(node.names) > 1:  # ruff keeps the comment at the end of the joined line
        statement = _statement(module, everything).rstrip("\n") + f"  {comment}\n"
    else:  # ruff wraps the import, the comment after the one name it was about
        inner = "".join(
            f"    {name},{'  ' + comment if name == node.names[0].name else ''}\n"
            for name in everything
        )
        statement = f"from {module} import (\n{inner})\n"
    lines[node.lineno - 1 : _end(node)] = [statement]


def _insert(
    lines: list[str], imports: list[ast.ImportFrom], tree: ast.Module, module: str, names: list[str]
) -> None:
    """A new import among those of its section (future, standard library, third-party, then
    relative: each a blank line apart), sorted by module."""
    statement = _statement(module, sorted(names, key=isort_key))
    section = _section(module)
    same = [n for n in imports if _section(_module_of(n)) == section]
    if same:
        before = [n for n in same if _module_of(n) <= module]
        lines.insert(_end(before[-1]) if before else same[0].lineno - 1, statement)
        return
    lower = [n for n in imports if _section(_module_of(n)) < section]
    higher = [n for n in imports if _section(_module_of(n)) > section]
    if lower:
        at = _end(lower[-1])
        lines[at:at] = ["\n", statement]
    elif higher:
        at = higher[0].lineno - 1
        lines[at:at] = [statement, "\n"]
    else:
        at = _after_docstring(tree)
        lines[at:at] = ["\n", statement] if at else [statement, "\n"]


def _section(module: str) -> int:
    """isort's sections: __future__, the standard library, third-party, relative."""
    if module == "__future__":
        return 0
    if module.startswith("."):
        return 3
    return 1 if module.split(".")[0] in sys.stdlib_module_names else 2


def _end(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


def _after_docstring(tree: ast.Module) -> int:
    """The index of the line after the module docstring (0 when there is none)."""
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return _end(first)
    return 0


def _statement(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}\n"
    if len(line) <= LINE_LENGTH + 1:
        return line
    inner = "".join(f"    {name},\n" for name in names)
    return f"from {module} import (\n{inner})\n"


def isort_key(name: str) -> tuple[int, str]:
    """isort's order by type: CONSTANTS, then Classes, then functions and variables."""
    if name.isupper() and len(name) > 1:
        return 0, name
    if re.match(r"[A-Z]", name):
        return 1, name
    return 2, name
