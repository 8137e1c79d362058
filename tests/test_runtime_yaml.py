"""to_yaml's fast path for flat event bodies writes exactly what PyYAML writes, byte for byte."""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from agentgen_runtime import _yaml
from agentgen_runtime._yaml import to_yaml

# Strings that YAML reads as something else, or that need quotes, escapes or a block.
SPECIAL = (
    *("yes", "No", "ON", "off", "true", "False", "y", "n", "null", "Null", "~", ""),
    *("1", "-1", "1.0", "1e3", "0x1F", "0o17", "0b101", "1_000", ".5", ".inf", "-.inf", ".NaN"),
    *("12:30", "190:20:30", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "=", "<<"),
    *("- x", "-x", "-", "---", "...", "--- x", "? x", "?x", ": ", "a: b", "a:b", "a:", "http://x"),
    *("#", "# x", "a #b", "a#b", "a ", " a", "a  b", "!x", "&x", "*x", "|", ">", "%x", "@x"),
    *("`x", "'x", '"x', "a'b", 'a"b', "[x]", "{x}", "a,b", "a[0]", "x]", "a{b}", "a?", "a!"),
    *("a\nb", "a\n", "\n", "a\r\nb", "a\rb", "a\tb", "\t", "a\x00b", "a\x7fb", "a\x85b"),
    *("a\u2028b", "a\u2029b", "\ufeffa", "a\ufeff", "a\u00a0b", "\u00a0", "a\u200db", "\ue000"),
    *("café", "日本語", "😀", "x😀", "²", "ǅ", "Ⅻ", "a\ud800b", "\U0010fffd"),
    "word " * 2500 + "end",
    "k" * 2000,
)
# Pieces that, glued together, reach the corners of the quoting rules.
PIECES = ("a", "Z", "7", " ", ":", "#", "-", ".", "'", '"', "\n", "\t", "é", "😀", "yes", "null")
KEYS = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,70}", fullmatch=True),
    st.sampled_from(SPECIAL),
    st.text(max_size=8),
    st.sampled_from(["k" * size for size in (64, 65, 127, 128, 129)]),
)
# Mostly text that the fast path takes, with a few characters that make it step aside.
WORDS = st.tuples(
    st.sampled_from("aZ7_é日"), st.text(alphabet=st.sampled_from("aZ7_ .,'-/()!?é日:#"))
).map("".join)
STRINGS = st.one_of(
    WORDS,
    st.sampled_from(SPECIAL),
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.text(),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)),
)
SCALARS = st.one_of(
    STRINGS,
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(),
    st.booleans(),
    st.none(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=8,
)
# Half like event bodies (field names, short text, numbers), half anything flat.
FIELDS = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
FLAT = st.one_of(
    st.dictionaries(
        FIELDS, st.one_of(WORDS, st.integers(), st.floats(), st.booleans()), max_size=5
    ),
    st.dictionaries(KEYS, SCALARS, max_size=5),
)
NESTED = st.dictionaries(KEYS, VALUES, max_size=4)


class PythonDumper(yaml.SafeDumper):
    """The pure-Python emitter, with the same string representer as the C one."""


PythonDumper.add_representer(str, _yaml._string)


def outcome(render: Any, value: Any) -> tuple[str, object]:
    """What rendering gives: the text, or the type of the error it raises."""
    try:
        return "text", render(value)
    except Exception as error:  # the error's type is the outcome compared
        return "error", type(error)


@contextmanager
def dumper(kind: str) -> Iterator[None]:
    """PyYAML through libyaml (what runs when it is installed), or its pure-Python emitter."""
    if kind == "python":
        with mock.patch.object(_yaml, "_dumper", lambda: PythonDumper):
            yield
    else:
        yield


def assert_same_as_pyyaml(value: Any) -> None:
    """to_yaml, fast path or not, gives what PyYAML itself gives for `value`."""
    expected = ("text", "") if value == {} else outcome(_yaml._pyyaml, value)
    assert outcome(to_yaml, value) == expected, value


@pytest.mark.parametrize("kind", ["libyaml", "python"])
@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@given(value=FLAT)
def test_flat_mappings_match_pyyaml(kind: str, value: dict[Any, Any]) -> None:
    with dumper(kind):
        assert_same_as_pyyaml(value)


@pytest.mark.parametrize("kind", ["libyaml", "python"])
@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@given(key=KEYS, value=SCALARS)
def test_single_entries_match_pyyaml(kind: str, key: str, value: Any) -> None:
    with dumper(kind):
        assert_same_as_pyyaml({key: value})


@pytest.mark.parametrize("kind", ["libyaml", "python"])
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(value=NESTED)
def test_nested_values_match_pyyaml(kind: str, value: dict[Any, Any]) -> None:
    with dumper(kind):
        assert_same_as_pyyaml(value)


@pytest.mark.parametrize("kind", ["libyaml", "python"])
@pytest.mark.parametrize("text", SPECIAL)
def test_special_strings_match_pyyaml_as_keys_and_values(kind: str, text: str) -> None:
    with dumper(kind):
        assert_same_as_pyyaml({"text": text})
        assert_same_as_pyyaml({text: 1})


class Color(enum.Enum):
    RED = "red"


class Label(enum.StrEnum):
    BIG = "big"


class Size(enum.IntEnum):
    ONE = 1


class Body(dict[str, Any]):
    """A dict subclass, which PyYAML's safe dumper refuses."""


@pytest.mark.parametrize(
    "value",
    [
        {"x": Color.RED},
        {"x": Label.BIG},
        {"x": Size.ONE},
        Body(x=1),
        OrderedDict(x=1),
        {Label.BIG: 1},
        {1: "one"},
        {None: "none"},
        {"x": b"bytes"},
        {"x": (1, 2)},
        {"x": float("nan"), "y": float("inf"), "z": -float("inf")},
        {"x": 1e16, "y": 1e-7, "z": -0.0, "w": 5e-324, "v": 1.7976931348623157e308},
        {"x": True, "y": False, "z": None},
        {"x": 10**4000},
    ],
)
def test_other_types_match_pyyaml(value: dict[Any, Any]) -> None:
    assert_same_as_pyyaml(value)


def test_shared_dicts_still_use_anchors() -> None:
    inner = {"a": 1}
    assert to_yaml({"x": inner, "y": inner}) == "x: &id001\n  a: 1\ny: *id001\n"


@pytest.mark.parametrize(
    "body",
    [
        {"intent": "add", "a": 1.0, "b": 2},
        {"result": 3.5},
        {"text": "Deploy v1.2.3 to production, then tell me (please)!"},
        {"intent": "deploy", "env": "production", "dry_run": False},
        {"comment": "café au lait, 日本語"},
        {"url": "https://example.com/a?b=c#d"},
    ],
)
def test_common_event_bodies_take_the_fast_path(body: dict[str, Any]) -> None:
    """Typical bodies skip PyYAML: resuming a long thread renders thousands of them."""
    fast = _yaml._flat_mapping(body)
    assert fast is not None
    assert fast == _yaml._pyyaml(body)


def test_the_fast_path_writes_plain_block_yaml() -> None:
    assert to_yaml({"intent": "add", "a": 1.0, "b": -2, "ok": True}) == (
        "intent: add\na: 1.0\nb: -2\nok: true\n"
    )
    assert to_yaml({"text": "yes", "n": "1.0"}) == "text: 'yes'\nn: '1.0'\n"


@pytest.mark.parametrize("kind", ["libyaml", "python"])
def test_text_with_quotes_is_double_quoted_instead_of_doubling_them(kind: str) -> None:
    message = "invalid args for 'promote': field 'to' required"
    with dumper(kind):
        text = to_yaml({"message": message, "note": "it's plain", "both": "a: 'b' \"c\""})
    assert text == (
        "message: \"invalid args for 'promote': field 'to' required\"\n"
        "note: it's plain\n"
        'both: "a: \'b\' \\"c\\""\n'
    )
    assert yaml.safe_load(text) == {
        "message": message,
        "note": "it's plain",
        "both": "a: 'b' \"c\"",
    }


def test_the_first_characters_taken_as_strings_are_the_ones_no_resolver_looks_at() -> None:
    # a plain scalar starting with another character skips the resolver: both dumpers agree
    for dumper in (yaml.SafeDumper, getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
        looked_at = {first for first in dumper.yaml_implicit_resolvers if first}
        assert looked_at == _yaml.RESOLVED_FIRST
