"""Lenient decoding of a model's text into a JSON object."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ._errors import one_line

PREVIEW = 80
MAX_STARTS = 32  # unclosed braces in prose: try this many starts, so the cost stays linear

_DECODER = json.JSONDecoder(strict=False)  # models often put raw newlines inside strings
_FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)
_BRACES = re.compile(r"[{}\"'\\]")
_SLIPS = re.compile(
    r"""(?P<dq>"(?:[^"\\]|\\.)*")"""
    r"""|(?P<sq>'(?:[^'\\]|\\.)*')"""
    r"""|(?P<word>\b(?:True|False|None)\b)"""
    r"""|(?P<comma>,(?=\s*[}\]]))""",
    re.DOTALL,
)
_SQ_ESCAPES = re.compile(r"""\\.|\"""", re.DOTALL)
_WORDS = {"True": "true", "False": "false", "None": "null"}
_MISSING = object()


def preview(text: str, limit: int = PREVIEW) -> str:
    """The start of `text` on one line, for error messages."""
    return one_line(text, limit)


def decode_object(text: str) -> dict[str, Any] | str:
    """The JSON object `text` holds, found and repaired leniently, or why there is none."""
    stripped = text.strip()
    if not stripped:
        return "model output is empty"
    whole = _loads(stripped)
    if isinstance(whole, dict):
        return whole
    # fenced blocks first: a model's answer is the fenced part, not an example in its prose
    for source in [*_FENCE.findall(stripped), stripped]:
        for candidate in _objects(source):
            found = _loads(candidate)
            if found is _MISSING:
                found = _loads(_repair(candidate))
            if isinstance(found, dict):
                return found
    if whole is not _MISSING:
        return f"model output is not a JSON object: {preview(stripped)}"
    return f"model output is not JSON: {preview(stripped)}"


def _loads(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return _MISSING


def _objects(text: str) -> Iterator[str]:
    """Each top-level balanced `{...}` in `text`, in order."""
    start, tries = text.find("{"), 0
    while start != -1 and tries < MAX_STARTS:
        tries += 1
        end = _closing(text, start)
        if end is None:
            start = text.find("{", start + 1)
            continue
        yield text[start : end + 1]
        start = text.find("{", end + 1)


def _closing(text: str, start: int) -> int | None:
    """Index of the brace closing the one at `start`, skipping quoted strings."""
    depth, quote, skip = 0, "", -1
    for match in _BRACES.finditer(text, start):
        at, char = match.start(), match.group()
        if at <= skip:
            continue
        if char == "\\":
            skip = at + 1  # an escaped character never opens, closes or quotes
        elif quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return at
    return None


def _repair(text: str) -> str:
    """Fix common slips: trailing commas, Python literals, single-quoted strings."""
    return _SLIPS.sub(_fix, text)


def _fix(match: re.Match[str]) -> str:
    if match.lastgroup == "dq":
        return match.group()
    if match.lastgroup == "sq":
        return '"' + _SQ_ESCAPES.sub(_sq_escape, match.group()[1:-1]) + '"'
    if match.lastgroup == "word":
        return _WORDS[match.group()]
    return ""


def _sq_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == '"':
        return '\\"'
    return "'" if char == "\\'" else char
