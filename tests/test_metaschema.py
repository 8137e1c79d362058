"""The quick metaschema check (jsonschema-rs) never accepts what jsonschema reports."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgen.validate._jsonschema import _META, KNOWN_KEYWORDS, _surely_valid

TYPE_NAMES = ["string", "integer", "number", "boolean", "array", "object", "null", "int", "str"]
# Every TOML value type, dates included, so that each keyword also meets values of a wrong type.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(TYPE_NAMES),
    st.dates(),
    st.times(),
    st.datetimes(timezones=st.just(datetime.UTC)),
)


def schemas() -> st.SearchStrategy[dict[str, Any]]:
    """Schema-like tables: known keywords whose values are values, schemas or lists of either."""
    return st.recursive(
        st.dictionaries(st.sampled_from(sorted(KNOWN_KEYWORDS)), SCALARS, max_size=4),
        lambda inner: st.dictionaries(
            st.sampled_from(sorted(KNOWN_KEYWORDS)),
            st.one_of(
                SCALARS,
                inner,
                st.lists(st.one_of(inner, SCALARS), max_size=3),
                st.dictionaries(st.text(max_size=4), inner, max_size=3),
            ),
            max_size=4,
        ),
        max_leaves=12,
    )


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(schemas())
def test_a_schema_the_quick_check_accepts_has_no_metaschema_error(schema: dict[str, Any]) -> None:
    if _surely_valid(schema):
        assert list(_META.iter_errors(schema)) == []


def test_the_quick_check_accepts_valid_schemas() -> None:
    nested = {"type": "object", "properties": {"depth": {"type": "integer", "minimum": 0}}}
    assert _surely_valid({"type": "string", "description": "What to search for."})
    assert _surely_valid({**nested, "required": ["depth"], "additionalProperties": False})


def test_values_the_quick_check_cannot_take_go_the_slow_way() -> None:
    # A TOML date has no JSON form: jsonschema-rs raises, and jsonschema must decide instead.
    assert not _surely_valid({"type": "string", "description": datetime.date(2026, 12, 1)})
    assert not _surely_valid({"type": "strin"})
