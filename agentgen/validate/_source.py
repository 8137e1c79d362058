"""Read a spec file into TOML data and key positions, or into diagnostics."""

from __future__ import annotations

import codecs
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentgen.diagnostics import Diagnostic
from agentgen.validate._positions import (
    Position,
    PositionMap,
    first_deep_bracket,
    scan_positions,
)

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
_TOML_ERROR_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


@dataclass(frozen=True)
class Source:
    """A parsed spec: its text, its TOML data and where each key is written."""

    text: str
    data: dict[str, Any]
    positions: PositionMap


def read_source(path: Path, name: str) -> Source | Diagnostic:
    """Read and parse one spec file; any failure is one positioned diagnostic."""
    raw = _read_bytes(path)
    if isinstance(raw, str):
        return Diagnostic(name, 1, 1, "AG003", f"cannot read file: {raw}")
    if isinstance(raw, int):
        return _too_large(name, raw)
    return parse_source(raw, name)


def _read_bytes(path: Path) -> bytes | int | str:
    """A regular file's bytes, its size when too large, or why it cannot be read."""
    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            return "is a directory"
        # Only regular files: opening a FIFO blocks and a device such as /dev/zero never ends.
        if not stat.S_ISREG(status.st_mode):
            return "not a regular file"
        if status.st_size > MAX_BYTES:
            return status.st_size
        with path.open("rb") as file:
            return file.read(MAX_BYTES + 1)
    except OSError as error:
        return (error.strerror or type(error).__name__).lower()
    except ValueError:
        return "the path is not a valid file name"


def parse_source(raw: bytes, name: str) -> Source | Diagnostic:
    """Decode, parse and bound the nesting of a spec's bytes."""
    if len(raw) > MAX_BYTES:
        return _too_large(name, len(raw))
    text = _decode(raw, name)
    if isinstance(text, Diagnostic):
        return text
    data = _parse_toml(text, name)
    if isinstance(data, Diagnostic):
        return data
    try:
        positions = scan_positions(text)
    except RecursionError:
        return _too_deep(name, first_deep_bracket(text, MAX_DEPTH))
    deep = _first_too_deep(data)
    if deep is not None:
        return _too_deep(name, positions.key(deep))
    return Source(text, data, positions)


def _too_large(name: str, size: int) -> Diagnostic:
    message = f"file is too large for a spec ({size / 1024 / 1024:.1f} MB; the limit is 2 MB)"
    return Diagnostic(name, 1, 1, "AG004", message)


def _decode(raw: bytes, name: str) -> str | Diagnostic:
    """Decode UTF-8 (a BOM is allowed); point at the first byte that is not."""
    body = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        # Everything before the bad byte decodes; count characters as tomllib's columns do.
        before = body[: error.start].decode("utf-8")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        message = f"file is not UTF-8 text (byte 0x{body[error.start]:02x} cannot be decoded)"
        return Diagnostic(name, line, column, "AG002", message)


def _parse_toml(text: str, name: str) -> dict[str, Any] | Diagnostic:
    """Parse TOML; a syntax error keeps the position tomllib reports."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_ERROR_POSITION.search(message)
        if match is None:
            end = message.endswith("(at end of document)")
            line = text.count("\n") + 1 if end else 1
            column = len(text) - (text.rfind("\n") + 1) + 1 if end else 1
            message = message.removesuffix(" (at end of document)")
            return Diagnostic(name, line, column, "AG001", f"invalid TOML: {_lower(message)}")
        line, column = int(match.group(1)), int(match.group(2))
        message = message[: match.start()]
        return Diagnostic(name, line, column, "AG001", f"invalid TOML: {_lower(message)}")
    except RecursionError:
        return _too_deep(name, first_deep_bracket(text, MAX_DEPTH))


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]


def _first_too_deep(data: dict[str, Any]) -> tuple[str | int, ...] | None:
    """The path of the first value nested deeper than MAX_DEPTH, found without recursion."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_DEPTH:
            return path[: MAX_DEPTH + 1]
        if isinstance(value, dict):
            stack.extend((path + (key,), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((path + (index,), item) for index, item in enumerate(value))
    return None


def _too_deep(name: str, where: Position) -> Diagnostic:
    message = f"tables or arrays are nested too deeply (the limit is {MAX_DEPTH} levels)"
    return Diagnostic(name, where.line, where.column, "AG005", message)
