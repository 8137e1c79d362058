"""Problems found before positions are known, and their conversion to diagnostics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agentgen.diagnostics import Diagnostic
from agentgen.validate._positions import Path, Position, PositionMap


@dataclass(frozen=True)
class Problem:
    """A problem at a key path; `at` says whether the key or its value is to blame."""

    path: Path
    code: str
    message: str
    hint: str | None = None
    at: Literal["key", "value"] = "value"
    pinned: Position | None = None

    def locate(self, file: str, positions: PositionMap) -> Diagnostic:
        """Attach the file position of the key or value this problem is about."""
        where = self.pinned
        if where is None:
            where = positions.key(self.path) if self.at == "key" else positions.value(self.path)
        return Diagnostic(file, where.line, where.column, self.code, self.message, self.hint)


def describe_path(path: Path) -> str:
    """`("tools", "add", "params")` -> `tools.add.params`; list items as `[0]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = part if part and all(c.isalnum() or c in "_-" for c in part) else repr(part)
            text += f".{shown}" if text else shown
    return text


def describe_table(path: Path) -> str:
    """Where a key lives, for messages: `[tools.add]` or `the top level`."""
    return f"[{describe_path(path)}]" if path else "the top level"
