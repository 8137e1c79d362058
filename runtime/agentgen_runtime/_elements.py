"""The compact context format: each event one element, its short scalars inline.

    <add a=2 b=3/>                      a call: each short scalar argument as an attribute
    <add_result>5</add_result>          a short value as the content
    <deploy env="prod">                 what is not short (nested, multi-line, long) in a body:
    tags:                               YAML for data, text as it is
    - v1.2.4
    </deploy>

Strings in attributes are JSON-quoted; numbers that are whole print without `.0` (a model
reads `5` and `5.0` as the same number, and `.0` costs a token each time). Every tag-like `<`
in text is escaped, so no value can close or open an element of the context.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from ._tags import escape_tags
from ._yaml import to_yaml

MAX_INLINE_CHARS = 80
"""The longest string shown as an attribute; longer ones go in the element's body."""
_WHOLE_LIMIT = 2**53  # beyond it, a float is not exactly the integer it prints as


def element(
    tag: str,
    fields: Mapping[str, Any] | None = None,
    content: Any = None,
    *,
    max_chars: int | None = None,
) -> str:
    """`<tag k=v/>`, `<tag k=v>content</tag>` or `<tag k=v>` and a body; None fields left out.

    With `max_chars`, a body longer than that is cut there, and a last line says how much was.
    """
    attributes: list[str] = []
    rest: dict[str, Any] = {}
    for key, value in (fields or {}).items():
        if value is None:
            continue
        text = attribute_value(value)
        if text is None:
            rest[key] = value
        else:
            attributes.append(f" {key}={text}")
    head = tag + "".join(attributes)
    if rest:
        body = _yaml_body({**rest, "content": content} if content is not None else rest)
    elif content is None:
        return f"<{head}/>"
    else:
        inline = _inline_content(content)
        if inline is not None and (max_chars is None or len(inline) <= max_chars):
            return f"<{head}>{inline}</{tag}>"
        body = _body(content)
    if max_chars is not None and len(body) > max_chars:
        body = cut_text(body, max_chars)
    return f"<{head}>\n{body}</{tag}>"


def cut_text(text: str, limit: int) -> str:
    """The first `limit` characters of `text`, then a line saying how many were cut."""
    whole = text.rstrip("\n")
    if len(whole) <= limit:
        return text
    kept = whole[:limit].rstrip("\n")
    return f"{kept}\n[cut: {len(whole) - limit} of {len(whole)} characters not shown]\n"


def _body(content: Any) -> str:
    """Text as it is (tags escaped), data as block YAML; ends with a newline."""
    if isinstance(content, str):
        return str(escape_tags(content)) + "\n"
    return _yaml_body(content)


def attribute_value(value: Any) -> str | None:
    """A scalar as an attribute shows it (strings JSON-quoted); None when it is not short."""
    if isinstance(value, str):
        short = len(value) <= MAX_INLINE_CHARS and "\n" not in value
        return json.dumps(escape_tags(value), ensure_ascii=False) if short else None
    return _number_or_bool(value)


def _inline_content(value: Any) -> str | None:
    """A single-line string as it is, or a number or bool; None for anything else."""
    if isinstance(value, str):
        return None if "\n" in value else str(escape_tags(value))
    if value == {} or value == []:  # never an empty body
        return json.dumps(value)
    return _number_or_bool(value)


def _number_or_bool(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(_whole(value))
    return None


def _whole(value: float) -> int | float:
    """The integer a whole float is exactly (a model reads `5` as it reads `5.0`), else it."""
    if math.isfinite(value) and value.is_integer() and abs(value) < _WHOLE_LIMIT:
        return int(value)
    return value


def _yaml_body(value: Any) -> str:
    """Data as block YAML, tags escaped and whole floats as integers; ends with a newline."""
    return to_yaml(_whole_numbers(escape_tags(value)))


def _whole_numbers(value: Any) -> Any:
    if isinstance(value, float):
        return _whole(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value
