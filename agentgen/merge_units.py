"""Three-way merges of generated Python by units of code: definitions, members, `case`s, imports.

Each version of a file (the baseline agentgen last wrote, the user's, the new output) is cut into
units along its syntax tree, with the standard library's `ast`: each top-level statement; in a
class, each member; in a function whose body holds a `match`, its head, each `case` and its tail.
A unit owns its lines and the blank lines and comments above it. Units are matched by key (kind,
name, and where they are), then decided one by one:

- the user's version equals the baseline: the new one (changed, added or removed by agentgen);
- the new version equals the baseline: the user's (their edit, their own new unit);
- both changed it: a three-way line merge inside the unit, conflicting only if that fails;
- agentgen removed a unit the user edited: the user's is kept, and reported.

The new file's order decides where units go; a unit only the user has goes after the unit it
follows in the user's file. Where a file does not parse, the caller merges by lines instead.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field

from agentgen.merge import CONFLICT_START, merge_three, with_final_newline

Key = tuple[str, ...]


@dataclass(frozen=True)
class Unit:
    """A piece of a file: its key, a name for people, and its text (leading lines included)."""

    key: Key
    name: str
    text: str


@dataclass(frozen=True)
class UnitMerge:
    """The merged text, its conflicts, and what happened to the user's edits, by unit."""

    text: str
    conflicts: tuple[int, ...]
    conflicting: tuple[tuple[str, int], ...] = ()
    """Units both sides changed that did not merge: (name, the line of their first marker)."""
    kept: tuple[str, ...] = ()
    """Units whose user edits are in the result (merged, or theirs alone)."""
    orphans: tuple[tuple[str, int], ...] = ()
    """Units the spec no longer produces that the user had edited, kept: (name, their line)."""


@dataclass
class _Result:
    conflicting: list[Key] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    orphans: list[Key] = field(default_factory=list)
    names: dict[Key, str] = field(default_factory=dict)


def split_units(text: str) -> list[Unit] | None:
    """The file's units in order (their texts join back to `text`); None if it does not parse."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    lines = text.splitlines(keepends=True)
    spans: list[tuple[Key, str, int, int]] = []  # key, name, first line, last line (1-based)
    end = _split_body(tree.body, (), "", 1, spans)
    if end < len(lines):
        spans.append((("end",), "the end of the file", end + 1, len(lines)))
    return _named_units(spans, lines)


def _named_units(spans: list[tuple[Key, str, int, int]], lines: list[str]) -> list[Unit]:
    """Units with keys made unique by their occurrence (two `if` blocks alike)."""
    seen: Counter[Key] = Counter()
    units = []
    for key, name, first, last in spans:
        seen[key] += 1
        unique = key if seen[key] == 1 else (*key, str(seen[key]))
        units.append(Unit(unique, name, "".join(lines[first - 1 : last])))
    return units


def _split_body(
    body: list[ast.stmt], path: Key, owner: str, first: int, spans: list[tuple[Key, str, int, int]]
) -> int:
    """Cut statements from line `first` on into units; the last line covered."""
    line = first - 1
    for index, node in enumerate(body):
        last = node.end_lineno or node.lineno
        if _is_docstring(node) and index > 0 and spans:  # an attribute's docstring: its unit's
            key, name, start, _ = spans.pop()
            spans.append((key, name, start, last))
            line = last
            continue
        key, name = _identity(node, path, owner)
        if isinstance(node, ast.ClassDef) and _members(node):
            line = _split_class(node, key, name, line + 1, spans)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _matches(node):
            line = _split_function(node, key, name, line + 1, spans)
        else:
            spans.append((key, name, line + 1, last))
            line = last
    return line


def _members(node: ast.ClassDef) -> list[ast.stmt]:
    """A class's members, its docstring left with its header."""
    return node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _matches(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Match]:
    return [statement for statement in node.body if isinstance(statement, ast.Match)]


def _split_class(
    node: ast.ClassDef, key: Key, name: str, first: int, spans: list[tuple[Key, str, int, int]]
) -> int:
    members = _members(node)
    head_end = _first_line(members[0]) - 1
    spans.append(((*key, "head"), name, first, head_end))
    return _split_body(members, key, node.name, head_end + 1, spans)


def _split_function(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    key: Key,
    name: str,
    first: int,
    spans: list[tuple[Key, str, int, int]],
) -> int:
    """The head up to each `match`'s first case, each case, the lines between, and the tail."""
    line, part = first - 1, 0
    for match in _matches(node):
        start = match.cases[0].pattern.lineno
        spans.append(((*key, f"part{part}"), name, line + 1, start - 1))
        line, part = start - 1, part + 1
        for case in match.cases:
            pattern = ast.unparse(case.pattern)
            if case.guard is not None:
                pattern += f" if {ast.unparse(case.guard)}"
            last = case.body[-1].end_lineno or case.body[-1].lineno
            where = f"case {pattern} (in {name})"
            spans.append(((*key, "case", pattern), where, line + 1, last))
            line = last
    end = node.end_lineno or node.lineno
    if end > line:
        spans.append(((*key, f"part{part}"), name, line + 1, end))
    return max(end, line)


def _first_line(node: ast.stmt) -> int:
    """Where a statement starts: its first decorator, if it has any."""
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(decorator.lineno for decorator in decorators)])


def _identity(node: ast.stmt, path: Key, owner: str) -> tuple[Key, str]:
    """A statement's key and its name for people (`_Run.handle`, `MAX_TURNS`, an import)."""
    prefix = f"{owner}." if owner else ""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return (*path, "def", node.name), f"{prefix}{node.name}"
    if isinstance(node, ast.ImportFrom):
        module = "." * node.level + (node.module or "")
        return (*path, "from", module), f"the import from {module}"
    if isinstance(node, ast.Import):
        modules = ", ".join(alias.name for alias in node.names)
        return (*path, "import", modules), f"import {modules}"
    if _is_docstring(node):
        return (*path, "docstring"), f"{prefix or 'the module'}'s docstring"
    targets = _targets(node)
    if targets:
        return (*path, "name", *targets), f"{prefix}{', '.join(targets)}"
    text = ast.unparse(node).splitlines()[0] if not isinstance(node, ast.Expr) else "expression"
    return (*path, "statement", text), f"{prefix}{text}"


def _targets(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def merge_units(baseline: str, yours: str, new: str) -> UnitMerge | None:
    """Merge unit by unit; None when any version does not parse (merge by lines then)."""
    # a final newline, so that a unit that was last can go anywhere (and merges like any other)
    texts = (with_final_newline(baseline), with_final_newline(yours), with_final_newline(new))
    base_units, my_units, new_units = (split_units(text) for text in texts)
    if base_units is None or my_units is None or new_units is None:
        return None
    base, mine = {u.key: u for u in base_units}, {u.key: u for u in my_units}
    theirs = {u.key for u in new_units}
    result = _Result()
    placed = _decided(new_units, base, mine, result)
    order = [unit.key for unit in my_units]
    gone = [key for key in [*order, *base] if key not in theirs]
    leftovers = [mine.get(key) or base[key] for key in dict.fromkeys(gone)]
    extra = _decided(leftovers, base, mine, result, in_new=False)
    units = _placed(placed, dict(extra), order)
    text = "".join(text for _, text in units)
    starts = _lines(units)
    return UnitMerge(
        text,
        tuple(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(CONFLICT_START)),
        tuple((result.names[key], starts[key][1]) for key in result.conflicting),
        tuple(result.kept),
        tuple((result.names[key], starts[key][0]) for key in result.orphans),
    )


def _lines(units: list[tuple[Key, str]]) -> dict[Key, tuple[int, int]]:
    """Each unit's first line of code and its first conflict marker (its first line if none)."""
    found, line = {}, 1
    for key, text in units:
        rows = text.splitlines()
        code = next((i for i, row in enumerate(rows) if row.strip()), 0)
        marker = next((i for i, row in enumerate(rows) if row.startswith(CONFLICT_START)), code)
        found[key] = (line + code, line + marker)
        line += len(rows)
    return found


def _decided(
    units: list[Unit],
    base: dict[Key, Unit],
    mine: dict[Key, Unit],
    result: _Result,
    *,
    in_new: bool = True,
) -> list[tuple[Key, str]]:
    """Each unit's outcome, in order; `in_new=False`: units the new file does not have."""
    decided = []
    for unit in units:
        new = unit if in_new else None
        chosen = _decide(unit.key, base.get(unit.key), mine.get(unit.key), new, result)
        if chosen is not None:
            decided.append((unit.key, chosen))
    return decided


def _decide(
    key: Key, base: Unit | None, mine: Unit | None, new: Unit | None, result: _Result
) -> str | None:
    """One unit's text in the merge (None: it goes), noting what was kept or conflicts."""
    b, y, n = (unit.text if unit else None for unit in (base, mine, new))
    name = result.names[key] = next(unit.name for unit in (new, mine, base) if unit is not None)
    if y in (b, n):
        return n
    if n == b:
        if y is not None:
            result.kept.append(name)
        return y
    if n is None:  # agentgen no longer writes it and the user had edited it: theirs stays
        result.orphans.append(key)
        return y
    merged = merge_three(b or "", y or "", n)
    if merged.conflicts:
        result.conflicting.append(key)
    else:
        result.kept.append(name)
    return merged.text


def _placed(
    placed: list[tuple[Key, str]], extra: dict[Key, str], order: list[Key]
) -> list[tuple[Key, str]]:
    """The new file's order; a unit it lacks goes after the unit it follows in the user's file."""
    result = list(placed)
    for index, key in enumerate(order):
        if key not in extra:
            continue
        keys = [k for k, _ in result]
        anchor = next((k for k in reversed(order[:index]) if k in keys), None)
        at = 0 if anchor is None else keys.index(anchor) + 1
        result.insert(at, (key, extra.pop(key)))
    return result
