"""JSON values as TOML text in the spec's own style: `params.a = { type = "number" }` lines.

The project reads TOML with tomllib and writes none, so this is the little writing the import
needs: tables, dotted keys, inline tables and arrays. A table whose line would be too long
moves below as a sub-table, and every map keeps its key order (params and properties are
fields in that order).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

WIDTH = 100
# Maps written one dotted line per member, as the README's specs are: `params.a = {...}`.
DOTTED = frozenset({"params", "properties"})
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
# A quote that two more follow: escaped, so that no three close the string early.
_RUN_OF_QUOTES = re.compile('"(?="")')
_SURROGATE = re.compile("[\ud800-\udfff]")
Path = tuple[str, ...]


def table(path: Path, body: Mapping[str, Any]) -> list[str]:
    """`[path]`, its keys, then the sub-tables that did not fit on a line, as lines."""
    lines, later = _body(path, body)
    out = [f"[{dotted_key(path)}]", *lines]
    for sub_path, sub_body in later:
        out += ["", *table(sub_path, sub_body)]
    return out


def _body(path: Path, body: Mapping[str, Any]) -> tuple[list[str], list[tuple[Path, Any]]]:
    """A table's own lines, and the sub-tables to write below it (its keys' order is free)."""
    lines: list[str] = []
    later: list[tuple[Path, Any]] = []
    for key, value in body.items():
        if key in DOTTED and _is_table(value):
            more, below = _members(path, key, value)
            lines += more
            later += below
        elif _is_table(value) and len(_line(key, value)) > WIDTH:
            later.append((path + (key,), value))
        else:
            lines.append(_line(key, value, top=True))
    return lines, later


def _members(path: Path, key: str, members: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """`key.member = value` lines; from the first that does not fit on, sub-tables."""
    lines: list[str] = []
    later: list[tuple[Path, Any]] = []
    for member, value in members.items():
        line = f"{toml_key(key)}.{_line(member, value)}"
        if isinstance(value, dict) and (later or len(line) > WIDTH):
            later.append((path + (key, member), value))
        elif later:  # `true` cannot follow as a sub-table: all on lines, in their order
            return [f"{toml_key(key)}.{_line(m, v)}" for m, v in members.items()], []
        else:
            lines.append(line)
    return lines, later


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) and bool(value)


def _line(key: str, value: Any, top: bool = False) -> str:
    if top and isinstance(value, str) and "\n" in value:
        return f"{toml_key(key)} = {multiline_string(value)}"
    return f"{toml_key(key)} = {inline(value)}"


def inline(value: Any) -> str:
    """A value on one line: a string, number, boolean, array or inline table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, list):
        return "[" + ", ".join(inline(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{toml_key(k)} = {inline(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"TOML cannot hold {type(value).__name__}")  # the mapper lets none through


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def toml_key(key: str) -> str:
    """A key, bare when it can be (`type`), quoted when not (`"$ref"`)."""
    return key if _BARE_KEY.fullmatch(key) else string(key)


def dotted_key(path: Path) -> str:
    return ".".join(toml_key(part) for part in path)


def string(text: str) -> str:
    """A basic string, every control character escaped."""
    return '"' + "".join(_escape(char) for char in _valid(text)) + '"'


def multiline_string(text: str) -> str:
    """A multi-line basic string; no run of three quotes, and no `\\` that joins lines."""
    body = "".join(char if char in '\n\t"' else _escape(char) for char in _valid(text))
    return '"""\n' + _RUN_OF_QUOTES.sub('\\\\"', body) + '"""'


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    return f"\\u{ord(char):04X}" if ord(char) < 0x20 or ord(char) == 0x7F else char


def _valid(text: str) -> str:
    """`text` as UTF-8 can hold it: a lone surrogate (from a JSON `\\ud800`) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def comment(text: str) -> str:
    """A `# ...` line, whatever `text` holds."""
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return f"# {shown}".rstrip()
