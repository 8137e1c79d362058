"""Python literals and names from spec values: the only ways spec text reaches generated code."""

from __future__ import annotations

import keyword
from typing import Any


def py(value: Any) -> str:
    """A Python literal of a JSON-like value: `repr` quotes and escapes every string."""
    if isinstance(value, str | int | float | bool) or value is None:
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return (
            py_tuple(value) if isinstance(value, tuple) else "[" + ", ".join(map(py, value)) + "]"
        )
    raise TypeError(f"no Python literal for {type(value).__name__}")


def py_tuple(values: Any) -> str:
    """A tuple literal (a trailing comma for one item)."""
    items = [py(v) for v in values]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def docstring(text: str) -> str:
    """A triple-quoted docstring when that is provably inert, else the `repr` of the text."""
    plain = text.strip()
    inert = plain.isprintable() and "\\" not in plain and '"' not in plain
    return f'"""{plain}"""' if inert and plain else repr(plain)


def identifier(name: str) -> str:
    """Refuse anything that is not a plain Python identifier."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"not a Python identifier: {name!r}")
    return name
