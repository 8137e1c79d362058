"""Where each key and value of a TOML document is written.

`tomllib` gives values without positions, so this scanner walks the same text (already
accepted by `tomllib`, hence well formed) and records the line and column of every key path.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass, field

Path = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SPACE = re.compile(r"[ \t]*")
_SPACE_AND_NEWLINES = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_BASIC_BODY = re.compile(r'(?:[^"\\\n]|\\.)*')
_SCALAR = re.compile(r"[^,\]}\n#]*")


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based line and column."""

    line: int
    column: int


@dataclass
class PositionMap:
    """Positions of keys and values by path, e.g. ("tools", "add", "params", "a")."""

    keys: dict[Path, Position] = field(default_factory=dict)
    values: dict[Path, Position] = field(default_factory=dict)
    end: Position = Position(1, 1)

    def key(self, path: Path) -> Position:
        """Where the key at `path` (or its closest written ancestor) is written."""
        for length in range(len(path), 0, -1):
            prefix = path[:length]
            found = self.keys.get(prefix) or self.values.get(prefix)
            if found is not None:
                return found
        return Position(1, 1)

    def value(self, path: Path) -> Position:
        """Where the value at `path` starts, else where its key is."""
        return self.values.get(path) or self.key(path)


class _Scanner:
    """A single pass over well-formed TOML, recording positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.map = PositionMap(end=self.position(len(text)))
        self.array_counts: dict[Path, int] = {}

    def position(self, index: int) -> Position:
        """Convert a character offset into a 1-based line and column."""
        line = bisect.bisect_right(self.line_starts, index)
        return Position(line, index - self.line_starts[line - 1] + 1)

    def skip(self, pattern: re.Pattern[str]) -> None:
        match = pattern.match(self.text, self.index)
        if match is not None:
            self.index = match.end()

    def peek(self, count: int = 1) -> str:
        return self.text[self.index : self.index + count]

    def scan(self) -> PositionMap:
        table: Path = ()
        while True:
            self.skip(_SPACE_AND_NEWLINES)
            if self.index >= len(self.text):
                return self.map
            if self.peek(2) == "[[":
                table = self.array_table_header()
            elif self.peek() == "[":
                table = self.table_header()
            else:
                self.key_value(table)

    def table_header(self) -> Path:
        self.index += 1
        path = self.dotted_key(())
        self.skip(_SPACE)
        self.index += 1  # "]"
        return path

    def array_table_header(self) -> Path:
        start = self.index
        self.index += 2
        path = self.dotted_key(())
        self.skip(_SPACE)
        self.index += 2  # "]]"
        item = self.array_counts.get(path, 0)
        self.array_counts[path] = item + 1
        self.map.values.setdefault(path + (item,), self.position(start))
        return path + (item,)

    def key_value(self, table: Path) -> None:
        path = self.dotted_key(table)
        self.skip(_SPACE)
        self.index += 1  # "="
        self.skip(_SPACE)
        self.value(path)

    def dotted_key(self, prefix: Path) -> Path:
        path = prefix
        while True:
            self.skip(_SPACE)
            start = self.position(self.index)
            path = path + (self.simple_key(),)
            self.map.keys.setdefault(path, start)
            self.skip(_SPACE)
            if self.peek() != ".":
                return path
            self.index += 1

    def simple_key(self) -> str:
        if self.peek() in ('"', "'"):
            start = self.index
            self.skip_string()
            literal = self.text[start : self.index]
            key: str = tomllib.loads(f"k = {literal}")["k"]
            return key
        match = _BARE_KEY.match(self.text, self.index)
        assert match is not None, "tomllib accepted this document"
        self.index = match.end()
        return match.group()

    def value(self, path: Path) -> None:
        self.map.values[path] = self.position(self.index)
        char = self.peek()
        if char in ('"', "'"):
            self.skip_string()
        elif char == "{":
            self.inline_table(path)
        elif char == "[":
            self.array(path)
        else:
            self.skip(_SCALAR)

    def inline_table(self, path: Path) -> None:
        self.index += 1
        while True:
            self.skip(_SPACE_AND_NEWLINES)
            if self.peek() == "}":
                self.index += 1
                return
            if self.peek() == ",":
                self.index += 1
                continue
            self.key_value(path)

    def array(self, path: Path) -> None:
        self.index += 1
        item = 0
        while True:
            self.skip(_SPACE_AND_NEWLINES)
            if self.peek() == "]":
                self.index += 1
                return
            if self.peek() == ",":
                self.index += 1
                continue
            self.value(path + (item,))
            item += 1

    def skip_string(self) -> None:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            self.skip_multiline_string(quote)
        elif quote == '"':
            self.index += 1
            self.skip(_BASIC_BODY)
            self.index += 1
        else:
            self.index = self.text.index("'", self.index + 1) + 1

    def skip_multiline_string(self, quote: str) -> None:
        self.index += 3
        while True:
            if quote == '"' and self.peek() == "\\":
                self.index += 2
                continue
            if self.peek(3) == quote * 3:
                self.index += 3
                extra = 0
                while extra < 2 and self.peek() == quote:
                    self.index += 1
                    extra += 1
                return
            self.index += 1


def scan_positions(text: str) -> PositionMap:
    """Map every key path of a well-formed TOML document to where it is written."""
    return _Scanner(text).scan()


def position_in_string(
    text: str, positions: PositionMap, path: Path, value: str, offset: int
) -> Position:
    """File position of `value[offset]`, `value` being the string written at `path`.

    Exact for strings without escapes; TOML drops a newline right after opening triple quotes.
    """
    start = positions.values.get(path)
    if start is None:
        return positions.key(path)
    first_line = text.split("\n", start.line)[start.line - 1]
    line, column = start.line, start.column + 1
    if first_line[start.column - 1 : start.column + 2] in ('"""', "'''"):
        column += 2
        if not first_line[start.column + 2 :].strip():
            line, column = line + 1, 1
    before = value[:offset]
    newlines = before.count("\n")
    if newlines == 0:
        return Position(line, column + offset)
    return Position(line + newlines, offset - before.rfind("\n"))
