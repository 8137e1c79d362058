"""The rest of a spec's problems, found past its structural ones in the same run.

A spec whose tables do not fit the spec models has no `Spec` to check references on. So the
parts the structural problems point at are cut out of a copy of the data, a few times over
(cutting a key can leave its table without a required one), and what is left is checked for
everything else. Problems that only repeat a cut part's absence (an undefined tool that was
cut) are left out: the structural problem already says what is wrong with it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from agentgen.spec.model import Spec
from agentgen.validate._positions import Path
from agentgen.validate._problems import Problem
from agentgen.validate._structure import check_structure

ROUNDS = 4
NO_INITIAL_STATE = "AG032"


@dataclass(frozen=True)
class Salvaged:
    """What is left of a spec, and the paths cut out of it."""

    spec: Spec
    cut: frozenset[Path]

    def repeats_a_cut(self, problem: Problem) -> bool:
        """Whether a problem follows from a cut: it names a part cut out, or it is about a
        table that lost a key (a misspelt `initial` leaves its state without one)."""
        names = {path[-1] for path in self.cut if isinstance(path[-1], str)}
        if any(f"'{name}'" in problem.message for name in names):
            return True
        tables = {path[:-1] for path in self.cut if len(path) > 2}  # a record, not a collection
        if any(table[: len(problem.path)] == problem.path for table in tables):
            return True
        # the one problem of a collection as a whole: a state cut out may have been the initial
        return problem.code == NO_INITIAL_STATE and any(p[0] == "states" for p in self.cut)


def salvaged_spec(data: dict[str, Any], problems: list[Problem]) -> Salvaged | None:
    """A spec from `data` without the parts `problems` point at; None if too little is left."""
    pruned, cut = copy.deepcopy(data), set[Path]()
    for _ in range(ROUNDS):
        # the last items of a list first, so that cutting one leaves the others' indexes right
        for path in sorted({p.path for p in problems}, key=_order, reverse=True):
            cut |= _prune(pruned, path)
        checked = check_structure(pruned)
        if isinstance(checked, Spec):
            return Salvaged(checked, frozenset(cut))
        problems = checked
    return None


def _prune(data: dict[str, Any], path: Path) -> set[Path]:
    """Remove the entry at `path` (its table, when the entry is missing); the path removed."""
    for depth in range(len(path), 0, -1):
        container = _at(data, path[: depth - 1])
        key = path[depth - 1]
        if isinstance(container, dict) and isinstance(key, str) and key in container:
            del container[key]
            return {path[:depth]}
        if isinstance(container, list) and isinstance(key, int) and key < len(container):
            del container[key]
            return {path[:depth]}
    return set()


def _order(path: Path) -> tuple[tuple[int, str, int], ...]:
    return tuple((1, "", part) if isinstance(part, int) else (0, part, 0) for part in path)


def _at(data: Any, path: Path) -> Any:
    for key in path:
        if isinstance(data, dict) and isinstance(key, str):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data
