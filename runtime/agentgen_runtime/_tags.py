"""Keep text from people, tools and the model from posing as the context's own tags."""

from __future__ import annotations

import re
from typing import Any

# What could open or close a tag: `<` before a letter, `_` or `/`. Other `<` (`a < b`, `x<3`)
# cannot, and stay as written.
_TAG_START = re.compile(r"<(?=[A-Za-z_/])")


def escape_tags(value: Any) -> Any:
    """`value` with every tag-like `<` in its strings (keys included) written as `&lt;`."""
    if isinstance(value, str):
        return _TAG_START.sub("&lt;", value) if "<" in value else value
    if isinstance(value, dict):
        return {escape_tags(key): escape_tags(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [escape_tags(item) for item in value]
    return value
