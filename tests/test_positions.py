"""The TOML position scanner: where every key and value is written, and where inside strings."""

from __future__ import annotations

import tomllib

import pytest

from agentgen.validate._positions import (
    Path,
    Position,
    PositionMap,
    first_deep_bracket,
    first_unreadable_integer,
    position_in_string,
    scan_positions,
)


def _scan(text: str) -> PositionMap:
    tomllib.loads(text)  # The scanner only ever sees documents tomllib accepted.
    return scan_positions(text)


def _key(text: str, path: Path) -> tuple[int, int]:
    where = _scan(text).keys[path]
    return where.line, where.column


def _value(text: str, path: Path) -> tuple[int, int]:
    where = _scan(text).values[path]
    return where.line, where.column


def test_each_part_of_a_dotted_key_has_its_own_position() -> None:
    positions = _scan("a.b.c = 1\n")
    assert positions.keys == {
        ("a",): Position(1, 1),
        ("a", "b"): Position(1, 3),
        ("a", "b", "c"): Position(1, 5),
    }
    assert positions.values == {("a", "b", "c"): Position(1, 9)}


def test_spaces_around_dots_and_equals() -> None:
    text = "[ tools . add ]\n  params . a   =   5\n"
    assert _key(text, ("tools", "add")) == (1, 11)
    assert _key(text, ("tools", "add", "params", "a")) == (2, 12)
    assert _value(text, ("tools", "add", "params", "a")) == (2, 20)


def test_quoted_keys_are_unquoted_in_paths() -> None:
    text = '[tools."a.b"]\n"x y".\'z\' = 1\n"q\\"uote" = 2\n'
    assert _key(text, ("tools", "a.b")) == (1, 8)
    assert _key(text, ("tools", "a.b", "x y", "z")) == (2, 7)
    assert _key(text, ("tools", "a.b", 'q"uote')) == (3, 1)


def test_inline_tables_nest() -> None:
    text = 't = { a = 1, b = { c = "x,}" }, d = 2 }\n'
    assert _key(text, ("t", "b", "c")) == (1, 20)
    assert _value(text, ("t", "b", "c")) == (1, 24)
    assert _key(text, ("t", "d")) == (1, 33)


def test_arrays_of_inline_tables_number_their_items() -> None:
    text = "arr = [ { a = 1 }, { a = 2, b = [3, 4] } ]\n"
    assert _value(text, ("arr", 0)) == (1, 9)
    assert _value(text, ("arr", 1)) == (1, 20)
    assert _key(text, ("arr", 1, "a")) == (1, 22)
    assert _value(text, ("arr", 1, "b", 1)) == (1, 37)


def test_multi_line_arrays_with_comments_and_trailing_commas() -> None:
    text = "x = [\n  1, # a comment, with ] and [\n  'two',\n]\ny = 2\n"
    assert _value(text, ("x", 1)) == (3, 3)
    assert _key(text, ("y",)) == (5, 1)


def test_multi_line_basic_strings_hide_brackets_equals_hashes_and_quotes() -> None:
    text = 's = """\n[not.a.table]\nkey = "value" # not a comment\n\\""" ""\n"""\nafter = 1\n'
    positions = _scan(text)
    assert positions.keys[("after",)] == Position(6, 1)
    assert set(positions.keys) == {("s",), ("after",)}


def test_multi_line_literal_strings_hide_everything_but_their_end() -> None:
    text = "l = '''\n[x]\na = \"1\" # '' \\'''\nafter = 2\n"
    assert _key(text, ("after",)) == (4, 1)


def test_strings_may_end_with_extra_quotes() -> None:
    text = "s = \"\"\"a\"\"\"\"\nt = '''b'''''\nafter = 1\n"
    assert tomllib.loads(text) == {"s": 'a"', "t": "b''", "after": 1}
    assert _key(text, ("after",)) == (3, 1)


def test_comments_are_not_tables() -> None:
    text = "# [fake]\n[real] # [also.fake]\nk = 1 # = 2\n"
    positions = _scan(text)
    assert set(positions.keys) == {("real",), ("real", "k")}
    assert positions.keys[("real", "k")] == Position(3, 1)


def test_arrays_of_tables_number_their_items() -> None:
    text = "[[t]]\na = 1\n\n[[t]]\na = 2\n"
    assert _value(text, ("t", 0)) == (1, 1)
    assert _value(text, ("t", 1)) == (4, 1)
    assert _key(text, ("t", 0, "a")) == (2, 1)
    assert _key(text, ("t", 1, "a")) == (5, 1)


def test_a_sub_table_header_extends_the_last_table_of_an_array() -> None:
    text = "[[t]]\n[t.sub]\nx = 1\n[[t]]\n[t.sub]\nx = 2\n"
    assert tomllib.loads(text) == {"t": [{"sub": {"x": 1}}, {"sub": {"x": 2}}]}
    assert _key(text, ("t", 0, "sub", "x")) == (3, 1)
    assert _key(text, ("t", 1, "sub")) == (5, 4)
    assert _key(text, ("t", 1, "sub", "x")) == (6, 1)


def test_nested_arrays_of_tables() -> None:
    text = "[[a]]\n[[a.b]]\nx = 1\n[[a.b]]\nx = 2\n[[a]]\n[[a.b]]\nx = 3\n"
    assert tomllib.loads(text)["a"][1]["b"][0] == {"x": 3}
    assert _key(text, ("a", 0, "b", 1, "x")) == (5, 1)
    assert _key(text, ("a", 1, "b", 0, "x")) == (8, 1)
    assert _value(text, ("a", 1, "b", 0)) == (7, 1)


def test_dates_with_spaces_are_one_value() -> None:
    text = (
        "d = 1979-05-27 07:32:00Z\n"
        "t = { d = 1979-05-27 07:32:00, e = 2 }\n"
        "l = [1979-05-27 07:32:00, 1]\n"
    )
    assert _key(text, ("t", "e")) == (2, 32)
    assert _value(text, ("l", 1)) == (3, 27)
    assert _key(text, ("l",)) == (3, 1)


def test_crlf_line_ends() -> None:
    text = "[agent]\r\nname = 'calc'\r\nmax_turns = 3\r\n"
    assert _key(text, ("agent", "max_turns")) == (3, 1)
    assert _value(text, ("agent", "max_turns")) == (3, 13)


def test_lookups_fall_back_to_the_closest_written_ancestor() -> None:
    positions = _scan("[tools.add]\nparams.a = { type = 'number' }\n")
    assert positions.key(("tools", "add", "params", "a", "missing")) == Position(2, 8)
    assert positions.value(("tools", "add", "returns")) == Position(1, 8)
    assert positions.key(("humans",)) == Position(1, 1)
    assert positions.end == Position(3, 1)


STRING_CASES = [
    # (TOML line after `s = `, offset into the value, expected (line, column) of that character)
    ('"ab{{ x }}"', 5, (1, 11)),
    ("'ab{{ x }}'", 5, (1, 11)),
    ('"\\n\\t\\"{{ x }}"', 6, (1, 15)),
    ('"\\u00e9\\U0001F600 x"', 3, (1, 23)),
    ('"""\nab\ncd x"""', 6, (3, 4)),
    ('"""ab\ncd x"""', 6, (2, 4)),
    ("'''\nab\ncd x'''", 6, (3, 4)),
    ('"""one \\\n    two x"""', 8, (2, 9)),
    ('"""a\\"\\"\\"b x"""', 6, (1, 17)),
    ('"ab"', 2, (1, 8)),
]


@pytest.mark.parametrize(("literal", "offset", "expected"), STRING_CASES)
def test_position_in_string_follows_the_written_text(
    literal: str, offset: int, expected: tuple[int, int]
) -> None:
    text = f"s = {literal}\n"
    value = tomllib.loads(text)["s"]
    where = position_in_string(text, _scan(text), ("s",), value, offset)
    assert (where.line, where.column) == expected


def test_position_in_string_with_crlf_in_a_multi_line_string() -> None:
    text = '[p]\r\ns = """\r\nab\r\ncd {{ x }}"""\r\n'
    value = tomllib.loads(text)["p"]["s"]
    assert value == "ab\ncd {{ x }}"
    where = position_in_string(text, _scan(text), ("p", "s"), value, value.index("x"))
    assert where == Position(4, 7)


def test_escaped_newlines_never_point_past_the_end_of_the_file() -> None:
    text = 's = "a\\n\\n\\n\\n\\n{{ bad"'
    value = tomllib.loads(text)["s"]
    where = position_in_string(text, _scan(text), ("s",), value, len(value))
    assert where == Position(1, 23)


def test_position_in_string_of_a_missing_or_non_string_value() -> None:
    text = "[t]\nn = 5\n"
    positions = _scan(text)
    assert position_in_string(text, positions, ("t", "n"), "5", 0) == Position(2, 5)
    assert position_in_string(text, positions, ("t", "gone"), "x", 0) == Position(1, 2)


def test_position_in_string_of_a_map_without_line_starts() -> None:
    text = 'a = 1\ns = "x y"\n'
    positions = PositionMap(values={("s",): Position(2, 5)})
    assert position_in_string(text, positions, ("s",), "x y", 2) == Position(2, 8)


def test_first_deep_bracket_counts_value_brackets_only() -> None:
    text = "[[a.b]]\n[c]\nx = [[[ '[[[' ]]]  # [[[\n"
    assert first_deep_bracket(text, 2) == Position(3, 7)
    assert first_deep_bracket(text, 3) == Position(1, 1)


def test_first_deep_bracket_follows_arrays_across_lines() -> None:
    text = 'x = [\n  "]]]",\n  [\n    { a = [1] },\n  ],\n]\n'
    assert first_deep_bracket(text, 3) == Position(4, 11)


def test_first_unreadable_integer_skips_keys_strings_comments_dates_and_floats() -> None:
    big = "1" * 5000
    text = (
        f"# {big}\n"
        f'{big} = "{big}"\n'
        f"d = 1979-05-27T07:32:00+01:00\n"
        f"f = 1.{big}\n"
        f"e = 1e+{big}\n"
        f"[t.{big}]\n"
        f"x = [1, {{ {big} = 2, k = -{big[:4400]}_1 }}]\n"
    )
    assert first_unreadable_integer(text) == (Position(7, 21 + len(big)), 4401)


def test_first_unreadable_integer_is_none_within_the_limit() -> None:
    assert first_unreadable_integer(f"x = {'9' * 4300}\n") is None
