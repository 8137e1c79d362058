"""Read a spec file into TOML data and key positions, or into diagnostics."""

from __future__ import annotations

import codecs
import os
import re
import stat
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentgen.diagnostics import Diagnostic
from agentgen.spec.numbers import digits_over_limit, too_many_digits
from agentgen.validate._positions import (
    Position,
    PositionMap,
    first_deep_bracket,
    first_unreadable_integer,
    scan_positions,
)

MAX_BYTES = 2 * 1024 * 1024
_KeyPath = tuple[str | int, ...]
MAX_DEPTH = 64
# Opening never blocks (a FIFO swapped in after the check) nor takes a terminal as its own;
# a system without such flags (Windows) has no FIFOs to block on either.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
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
        # Refused before opening: opening a FIFO blocks, and a device such as /dev/zero
        # never ends (opening some devices even acts, like rewinding a tape).
        refused = _refusal(status)
        if refused is not None:
            return refused
        # Non-blocking, and checked again once open: the path may have changed in between.
        fd = os.open(path, _OPEN_FLAGS)
        with os.fdopen(fd, "rb") as file:
            refused = _refusal(os.fstat(fd))
            return refused if refused is not None else file.read(MAX_BYTES + 1)
    except OSError as error:
        return (error.strerror or type(error).__name__).lower()
    except ValueError:
        return "the path is not a valid file name"


def _refusal(status: os.stat_result) -> int | str | None:
    """Why a file is not read (not a regular file, or its size when too large), else None."""
    if stat.S_ISDIR(status.st_mode):
        return "is a directory"
    if not stat.S_ISREG(status.st_mode):
        return "not a regular file"
    return status.st_size if status.st_size > MAX_BYTES else None


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
    huge = _huge_integer(name, data, positions)
    return huge if huge is not None else Source(text, data, positions)


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
        return _syntax_error(text, name, str(error))
    except RecursionError:
        return _too_deep(name, first_deep_bracket(text, MAX_DEPTH))
    except ValueError:
        # tomllib's int() refuses an integer of too many digits; find it ourselves.
        return _unreadable_integer(text, name)


def _syntax_error(text: str, name: str, message: str) -> Diagnostic:
    """tomllib's message, positioned where it says (or at the end of the document)."""
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


def _unreadable_integer(text: str, name: str) -> Diagnostic:
    found = first_unreadable_integer(text)
    if found is None:
        limit = sys.get_int_max_str_digits()
        message = f"invalid TOML: an integer is too large (the limit is {limit} digits)"
        return Diagnostic(name, 1, 1, "AG001", message)
    where, digits = found
    return Diagnostic(
        name, where.line, where.column, "AG001", f"invalid TOML: {too_many_digits(digits)}"
    )


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]


def _values(data: dict[str, Any]) -> Iterator[tuple[_KeyPath, Any]]:
    """Every value with its key path, without recursion; nothing below MAX_DEPTH + 1 levels."""
    stack: list[tuple[_KeyPath, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if len(path) > MAX_DEPTH:
            continue
        if isinstance(value, dict):
            stack.extend((path + (key,), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((path + (index,), item) for index, item in enumerate(value))


def _first_too_deep(data: dict[str, Any]) -> _KeyPath | None:
    """The path of the first value nested deeper than MAX_DEPTH."""
    return next((path for path, _ in _values(data) if len(path) > MAX_DEPTH), None)


def _huge_integer(name: str, data: dict[str, Any], positions: PositionMap) -> Diagnostic | None:
    """The first integer too long to print (hexadecimal ones parse fine), as a diagnostic."""
    found = [
        (positions.value(path), digits)
        for path, value in _values(data)
        if isinstance(value, int) and (digits := digits_over_limit(value)) is not None
    ]
    if not found:
        return None
    where, digits = min(found)
    message = f"invalid TOML: {too_many_digits(digits)}"
    return Diagnostic(name, where.line, where.column, "AG001", message)


def _too_deep(name: str, where: Position) -> Diagnostic:
    message = f"tables or arrays are nested too deeply (the limit is {MAX_DEPTH} levels)"
    return Diagnostic(name, where.line, where.column, "AG005", message)
