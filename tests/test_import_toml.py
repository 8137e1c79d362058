"""The TOML that `agentgen import` writes reads back as the values it was given."""

from __future__ import annotations

import tomllib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentgen.importers._toml import DOTTED, table

_KEYS = st.text(min_size=1, max_size=8) | st.sampled_from(["params", "properties", "$ref"])
_SCALARS = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=30,
)


def _canonical(value: Any, members: bool = False) -> Any:
    """`value` with each map as a list of its items, sorted unless they are the `members` of
    params or properties (a model's fields, in their order)."""
    if isinstance(value, dict):
        items = [(k, _canonical(v, not members and k in DOTTED)) for k, v in value.items()]
        return items if members else sorted(items, key=repr)
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_a_table_reads_back_as_it_was_written(body: dict[str, Any]) -> None:
    """Equal values; params and properties (a model's fields) in their order, too."""
    text = "\n".join(table(("tools", "x"), body)) + "\n"
    assert _canonical(tomllib.loads(text)["tools"]["x"]) == _canonical(body), text
