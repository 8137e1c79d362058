"""Three-way merges of generated files, and new handler stubs for the user's handlers.py."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from merge3 import Merge3

from agentgen.stub_imports import add_imports

YOURS, AGENTGEN, BASELINE = "yours", "agentgen", "baseline"
CONFLICT_START = f"<<<<<<< {YOURS}"
_MARKERS = ("<<<<<<< ", "||||||| ", "=======", ">>>>>>> ")


@dataclass(frozen=True)
class Merged:
    """A merge's text and the 1-based lines where conflicts start (none: a clean merge)."""

    text: str
    conflicts: tuple[int, ...]


def merge_three(baseline: str, yours: str, new: str) -> Merged:
    """Keep the user's edits (baseline -> yours) and take the generator's (baseline -> new)."""
    merge = Merge3(
        baseline.splitlines(keepends=True),
        with_final_newline(yours).splitlines(keepends=True),
        new.splitlines(keepends=True),
    )
    lines = list(
        merge.merge_lines(name_a=YOURS, name_b=AGENTGEN, name_base=BASELINE, base_marker="|||||||")
    )
    conflicts = tuple(n for n, line in enumerate(lines, 1) if line.startswith(CONFLICT_START))
    return Merged("".join(lines), conflicts)


def conflict_lines(text: str) -> tuple[int, ...]:
    """Lines holding leftover conflict markers."""
    return tuple(
        number
        for number, line in enumerate(text.splitlines(), 1)
        if line.startswith(_MARKERS) and (line.rstrip() == "=======" or " " in line)
    )


def with_final_newline(text: str) -> str:
    """A final newline, so that an edit on the last line merges like any other."""
    return text if not text or text.endswith("\n") else text + "\n"


def missing_handlers(yours: str, new: str) -> list[str] | None:
    """Handler functions the new handlers.py defines and the user's does not.

    None when the user's file does not parse: then nothing can be added safely.
    """
    theirs = _functions(yours)
    if theirs is None:
        return None
    return [
        name for name in _functions(new) or {} if name not in theirs and not name.startswith("_")
    ]


def append_handlers(yours: str, new: str, names: list[str]) -> str:
    """The user's handlers.py with stubs for `names` appended, and the imports they need among
    the user's (a name it binds already is not imported again); nothing of theirs changes."""
    tree = ast.parse(new)
    stubs = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names]
    used = {n.id for stub in stubs for n in ast.walk(stub) if isinstance(n, ast.Name)}
    wanted = [
        ("." * node.level + (node.module or ""), [a.name for a in node.names if a.name in used])
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
    ]
    needed = [(module, names) for module, names in wanted if names]
    text = add_imports(with_final_newline(yours), needed).rstrip("\n")
    added = "\n\n\n".join(ast.get_source_segment(new, stub) or "" for stub in stubs)
    return f"{text}\n\n\n{added}\n"


def _functions(text: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """Top-level functions by name; None when the file does not parse (it is left alone)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
