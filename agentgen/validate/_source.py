"""Read a spec file into TOML data and key positions, or into diagnostics."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentgen.diagnostics import Diagnostic
from agentgen.validate._positions import Position, PositionMap, scan_positions

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
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return Diagnostic(name, 1, 1, "AG003", f"cannot read file: {reason.lower()}")
    return parse_source(raw, name)


def parse_source(raw: bytes, name: str) -> Source | Diagnostic:
    """Decode, parse and bound the nesting of a spec's bytes."""
    if len(raw) > MAX_BYTES:
        size = f"{len(raw) / 1024 / 1024:.1f} MB"
        return Diagnostic(
            name, 1, 1, "AG004", f"file is too large for a spec ({size}; the limit is 2 MB)"
        )
    text = _decode(raw, name)
    if isinstance(text, Diagnostic):
        return text
    data = _parse_toml(text, name)
    if isinstance(data, Diagnostic):
        return data
    try:
        positions = scan_positions(text)
    except RecursionError:
        return _too_deep(name, Position(1, 1))
    deep = _first_too_deep(data)
    if deep is not None:
        return _too_deep(name, positions.key(deep))
    return Source(text, data, positions)


def _decode(raw: bytes, name: str) -> str | Diagnostic:
    """Decode UTF-8 (a BOM is allowed); point at the first byte that is not."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        message = f"file is not UTF-8 text (byte 0x{raw[error.start]:02x} cannot be decoded)"
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
        return _too_deep(name, Position(1, 1))


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
