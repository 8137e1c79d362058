"""Where each key and value of a TOML document is written.

`tomllib` gives values without positions, so this scanner walks the same text (already
accepted by `tomllib`, hence well formed) and records the line and column of every key path.
"""

from __future__ import annotations

import bisect
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field

Path = tuple[str | int, ...]
# Where a string's characters are written: value offset `values[i]` is at text offset
# `sources[i]`, and the characters between two such breakpoints are written one for one.
_Layout = tuple[list[int], list[int]]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SPACE = re.compile(r"[ \t]*")
_SPACE_AND_NEWLINES = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_BASIC_BODY = re.compile(r'(?:[^"\\\n]|\\.)*')
_SCALAR = re.compile(r"[^,\]}\n#]*")
# The lexemes that matter for values: strings and comments (skipped whole), brackets (depth),
# "=" (a value follows), newlines (a value ends, unless a bracket is still open) and decimal
# integers (not part of a key, a date, a time or a float).
_LEXEME = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"{3,5}'
    r"|'''(?:[^']|'(?!''))*'{3,5}"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*"
    r"|[\[\]{}=\n]"
    r"|(?<![\w.:+-])(?P<number>[+-]?[0-9][0-9_]*)(?![\w.:+-]|[ \t]*[=.])",
    re.DOTALL,
)


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
    # Character offsets where each line starts, and the layout of strings already looked into.
    line_starts: list[int] = field(default_factory=list, repr=False, compare=False)
    layouts: dict[Path, _Layout] = field(default_factory=dict, repr=False, compare=False)

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
        self.map = PositionMap(end=self.position(len(text)), line_starts=self.line_starts)
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
        path = self.dotted_key((), header=True)
        self.skip(_SPACE)
        self.index += 1  # "]"
        return path

    def array_table_header(self) -> Path:
        start = self.index
        self.index += 2
        path = self.dotted_key((), header=True)
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

    def dotted_key(self, prefix: Path, header: bool = False) -> Path:
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
            if header and path in self.array_counts:
                # `[a.b]` after `[[a]]` extends the last table of the array `a`.
                path = path + (self.array_counts[path] - 1,)

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


def first_deep_bracket(text: str, limit: int) -> Position:
    """Where brackets inside a value first nest deeper than `limit`, found without recursion.

    For documents too deep for `tomllib` itself; table headers are not nesting.
    """
    for match, depth in _value_lexemes(text):
        if match.group() in ("[", "{") and depth > limit:
            return _offset_position(text, match.start())
    return Position(1, 1)


def first_unreadable_integer(text: str) -> tuple[Position, int] | None:
    """Where the first decimal integer too long for `int()` is written, and its digit count.

    For documents `tomllib` fails on with a ValueError: Python refuses to convert more than
    `sys.get_int_max_str_digits()` digits (its guard against quadratic time).
    """
    limit = sys.get_int_max_str_digits()
    for match, _ in _value_lexemes(text):
        digits = sum(char.isdigit() for char in match.group("number") or "")
        if limit and digits > limit:
            return _offset_position(text, match.start()), digits
    return None


def _value_lexemes(text: str) -> Iterator[tuple[re.Match[str], int]]:
    """Each lexeme inside a value (after `=`, or within its brackets), with its bracket depth."""
    depth, in_value = 0, False
    for match in _LEXEME.finditer(text):
        token = match.group()
        if depth == 0 and token in ("=", "\n"):
            in_value = token == "="
        elif in_value or depth > 0:
            if token in ("[", "{"):
                depth += 1
            elif token in ("]", "}"):
                depth = max(depth - 1, 0)
            yield match, depth


def _offset_position(text: str, index: int) -> Position:
    """The 1-based line and column of a character offset."""
    line_start = text.rfind("\n", 0, index) + 1
    return Position(text.count("\n", 0, index) + 1, index - line_start + 1)


def position_in_string(
    text: str, positions: PositionMap, path: Path, value: str, offset: int
) -> Position:
    """File position of `value[offset]`, `value` being the string written at `path`.

    Escapes, line-ending backslashes and CRLF line ends are followed, so the position is exact.
    """
    start = positions.values.get(path)
    if start is None:
        return positions.key(path)
    if not positions.line_starts:
        positions.line_starts[:] = [0] + [m.end() for m in re.finditer("\n", text)]
    starts = positions.line_starts
    begin = starts[start.line - 1] + start.column - 1
    if text[begin : begin + 1] not in ('"', "'"):
        return start
    layout = positions.layouts.get(path)
    if layout is None:
        layout = positions.layouts[path] = _string_layout(text, begin)
    values, sources = layout
    offset = max(0, min(offset, len(value)))
    item = bisect.bisect_right(values, offset) - 1
    index = sources[item] + offset - values[item]
    line = bisect.bisect_right(starts, index)
    return Position(line, index - starts[line - 1] + 1)


# What breaks the one-for-one writing of characters, by kind of string (quote, multi-line).
_ESCAPE = r"\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)"
_STRING_SPECIALS = {
    ('"', False): re.compile(_ESCAPE + r'|"'),
    ('"', True): re.compile(r"\\[ \t]*\r?\n[ \t\r\n]*|" + _ESCAPE + r'|\r\n|"""', re.DOTALL),
    ("'", False): re.compile(r"'"),
    ("'", True): re.compile(r"\r\n|'''"),
}


def _string_layout(text: str, begin: int) -> _Layout:
    """Breakpoints between a string's value offsets and text offsets, from its opening quote."""
    quote = text[begin]
    multi_line = text.startswith(quote * 3, begin)
    index = begin + (3 if multi_line else 1)
    if multi_line:
        # TOML drops a newline right after the opening quotes.
        index += 2 if text.startswith("\r\n", index) else int(text.startswith("\n", index))
    values, sources = [0], [index]
    for match in _STRING_SPECIALS[quote, multi_line].finditer(text, index):
        token = match.group()
        if token.startswith(quote):
            break
        # An escape or a CRLF is one character of the value; a line-ending backslash is none.
        written = 0 if token[:1] == "\\" and token[1:2] in (" ", "\t", "\r", "\n") else 1
        values.append(values[-1] + match.start() - sources[-1] + written)
        sources.append(match.end())
    return values, sources
