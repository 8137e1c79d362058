"""YAML bodies for the 12-factor context format."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

# A plain scalar this long stays far from `width` below, where PyYAML would fold it.
_MAX_PLAIN = 1000
# Longer keys are written as complex `? key` entries (over 128 bytes, or 127 in pure Python).
_MAX_KEY = 64
_STR_TAG = "tag:yaml.org,2002:str"
# The first characters for which PyYAML's safe resolvers may read a plain scalar as something
# other than a string (booleans, numbers, null, timestamps, merge keys, ...): a scalar starting
# with any other character is a string without asking them, or importing PyYAML at all.
RESOLVED_FIRST = frozenset("!&*+-.0123456789<=FNOTYfnoty~")


@functools.cache
def _dumper() -> type[yaml.SafeDumper]:
    """Safe YAML whose multi-line strings read as literal blocks; PyYAML is imported here, on
    first use, as most bodies take the flat path below (`show` of a short thread needs none)."""
    import yaml

    base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[valid-type, misc]
        """Its own class: add_representer changes the class it is called on."""

    Dumper.add_representer(str, _string)
    return Dumper


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    if style is None and "'" in value and not _plain(value):
        # PyYAML would single-quote it and double each quote inside ('for ''add'': ...')
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


@functools.cache
def _resolve() -> Callable[[str], str]:
    """The tag the dumper's own resolver gives a plain scalar: "yes", "null" or "1.0" read as
    PyYAML reads them."""
    import yaml

    resolve = _dumper()(io.StringIO()).resolve
    return lambda text: str(resolve(yaml.ScalarNode, text, (True, False)))  # type: ignore[no-untyped-call]


def to_yaml(value: Any) -> str:
    """Block-style YAML in the given key order, ending with a newline ("" for nothing)."""
    if value is None or value == {}:
        return ""
    flat = _flat_mapping(value)
    return flat if flat is not None else _pyyaml(value)


def _pyyaml(value: Any) -> str:
    """`to_yaml` through PyYAML itself: the reference that every faster path must match."""
    import yaml

    text: str = yaml.dump(
        value,
        Dumper=_dumper(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )
    return text.removesuffix("...\n")


def _flat_mapping(value: Any) -> str | None:
    """A dict of simple scalars as PyYAML writes it, or None when it is not obviously safe."""
    # Most event bodies are such dicts, and PyYAML takes 15-30 us for each: resuming a long
    # thread renders thousands. Anything else (nesting, quoting, odd types) goes to PyYAML.
    if type(value) is not dict:
        return None
    lines: list[str] = []
    for key, item in value.items():
        if type(key) is not str or not _plain_key(key):
            return None
        text = _scalar(item)
        if text is None:
            return None
        lines.append(f"{key}: {text}\n")
    return "".join(lines)


@functools.lru_cache(maxsize=256)  # the same few field names recur in every event
def _plain_key(key: str) -> bool:
    """Whether PyYAML writes `key` as it is, as a simple `key:`."""
    return len(key) <= _MAX_KEY and key.isascii() and _plain(key)


def _scalar(item: Any) -> str | None:
    """A scalar as PyYAML writes it unquoted; None for anything else."""
    kind = type(item)  # exact types: PyYAML refuses subclasses such as enums
    if kind is str:
        return item if _plain(item) else None
    if kind is bool:
        return "true" if item else "false"
    if kind is int:
        return str(item)
    if kind is float:
        return _float(item)
    if item is None:
        return "null"
    return None


def _float(number: float) -> str | None:
    """PyYAML writes a float as its repr, except for exponents, infinities and NaN."""
    if not math.isfinite(number):
        return None
    text = repr(number)
    return None if "e" in text else text


def _plain(text: str) -> bool:
    """Whether PyYAML writes `text` as it is, unquoted (a safe subset of libyaml's rules)."""
    return (
        0 < len(text) <= _MAX_PLAIN
        and (text[0].isalnum() or text[0] == "_")  # no indicator, space, "---" or "..." first
        and text[-1] not in " :"
        and text.isprintable()  # no tab, line break, control or format character
        and max(text) <= "\uffff"  # libyaml escapes characters beyond the BMP, such as emoji
        and ": " not in text
        and " #" not in text
        and (text[0] not in RESOLVED_FIRST or _resolve()(text) == _STR_TAG)
    )
