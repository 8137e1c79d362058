"""Mutated example specs: the validator never raises, and every diagnostic has a real position."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentgen.validate import SpecResult, validate_bytes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {path.name: path.read_bytes() for path in sorted((ROOT / "specs").glob("*.toml"))}
NAME = "spec.toml"
CODE = re.compile(r"AG\d{3}")
# Values of every TOML type, to put where another type is expected.
VALUES = [
    b'"text"',
    b"42",
    b"-1.5",
    b"true",
    b'[1, "a"]',
    b"{ x = 1 }",
    b"[]",
    b"{}",
    b"1979-05-27",
]
KEY_VALUE = re.compile(rb"^(\s*)([A-Za-z0-9_.\"'-]+)(\s*=\s*)(.*)$")

Mutation = Callable[[st.DataObject, bytes], bytes]


def _index(data: st.DataObject, items: list[bytes] | bytes) -> int:
    return data.draw(st.integers(0, max(len(items) - 1, 0)))


def delete_line(data: st.DataObject, raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    del lines[_index(data, lines)]
    return b"\n".join(lines)


def delete_table(data: st.DataObject, raw: bytes) -> bytes:
    """Remove a table header and the lines up to the next header."""
    lines = raw.split(b"\n")
    headers = [i for i, line in enumerate(lines) if line.startswith(b"[")]
    if not headers:
        return raw
    start = headers[_index(data, headers)]
    end = next((i for i in headers if i > start), len(lines))
    return b"\n".join(lines[:start] + lines[end:])


def duplicate_line(data: st.DataObject, raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    index = _index(data, lines)
    lines.insert(index, lines[index])
    return b"\n".join(lines)


def swap_lines(data: st.DataObject, raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    first, second = _index(data, lines), _index(data, lines)
    lines[first], lines[second] = lines[second], lines[first]
    return b"\n".join(lines)


def _key_value_lines(lines: list[bytes]) -> list[int]:
    return [i for i, line in enumerate(lines) if KEY_VALUE.match(line)]


def retype_value(data: st.DataObject, raw: bytes) -> bytes:
    """Give a key a value of another type (string, integer, float, bool, array, table)."""
    lines = raw.split(b"\n")
    candidates = _key_value_lines(lines)
    if not candidates:
        return raw
    index = candidates[_index(data, candidates)]
    match = KEY_VALUE.match(lines[index])
    assert match is not None
    value = data.draw(st.sampled_from(VALUES))
    lines[index] = match.group(1) + match.group(2) + match.group(3) + value
    return b"\n".join(lines)


def rename_key(data: st.DataObject, raw: bytes) -> bytes:
    """Misspell a key: drop, double or swap a character, or change its case."""
    lines = raw.split(b"\n")
    candidates = _key_value_lines(lines)
    if not candidates:
        return raw
    index = candidates[_index(data, candidates)]
    match = KEY_VALUE.match(lines[index])
    assert match is not None
    key = match.group(2)
    at = _index(data, key)
    edits = [
        key[:at] + key[at + 1 :],
        key[:at] + key[at : at + 1] * 2 + key[at + 1 :],
        key[:at] + key[at + 1 : at + 2] + key[at : at + 1] + key[at + 2 :],
        key.upper(),
        key + b"s",
    ]
    new_key = data.draw(st.sampled_from(edits))
    lines[index] = match.group(1) + new_key + match.group(3) + match.group(4)
    return b"\n".join(lines)


def insert_unicode(data: st.DataObject, raw: bytes) -> bytes:
    at = data.draw(st.integers(0, len(raw)))
    text = data.draw(st.text(min_size=1, max_size=8))
    return raw[:at] + text.encode("utf-8", errors="surrogatepass") + raw[at:]


def corrupt_bytes(data: st.DataObject, raw: bytes) -> bytes:
    if not raw:
        return raw
    corrupted = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        corrupted[_index(data, raw)] = data.draw(st.integers(0, 255))
    return bytes(corrupted)


def truncate(data: st.DataObject, raw: bytes) -> bytes:
    return raw[: data.draw(st.integers(0, len(raw)))]


MUTATIONS: list[Mutation] = [
    delete_line,
    delete_table,
    duplicate_line,
    swap_lines,
    retype_value,
    rename_key,
    insert_unicode,
    corrupt_bytes,
    truncate,
]


def _assert_well_formed(raw: bytes, result: SpecResult) -> None:
    """Every diagnostic is positioned inside the file; a spec comes only without errors."""
    line_count = raw.count(b"\n") + 1
    try:
        lines: list[str] | None = raw.decode("utf-8-sig").split("\n")
    except UnicodeDecodeError:
        lines = None
    for diagnostic in result.diagnostics:
        assert diagnostic.file == NAME
        assert CODE.fullmatch(diagnostic.code), diagnostic
        assert 1 <= diagnostic.line <= line_count + 1, diagnostic
        assert diagnostic.column >= 1, diagnostic
        if lines is not None and diagnostic.line <= len(lines):
            assert diagnostic.column <= len(lines[diagnostic.line - 1]) + 1, diagnostic
        assert "\n" not in diagnostic.text().removesuffix(f"\n    hint: {diagnostic.hint}")
    positions = [(d.line, d.column) for d in result.diagnostics]
    assert positions == sorted(positions)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert (result.spec is None) == bool(errors)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_examples_start_valid(name: str) -> None:
    result = validate_bytes(EXAMPLES[name], NAME)
    assert result.diagnostics == []
    assert result.spec is not None


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_specs_get_positioned_deterministic_diagnostics(data: st.DataObject) -> None:
    raw = EXAMPLES[data.draw(st.sampled_from(sorted(EXAMPLES)))]
    for _ in range(data.draw(st.integers(1, 3))):
        raw = data.draw(st.sampled_from(MUTATIONS))(data, raw)
    result = validate_bytes(raw, NAME)
    _assert_well_formed(raw, result)
    assert validate_bytes(raw, NAME) == result


# Characters a prompt may hold, including ones TOML must escape; no "{" so no stray Jinja,
# and no lone "\r": Jinja's lexer rewrites it, and the variable's offset is then unknown.
PROMPT_TEXT = st.text(
    alphabet=st.sampled_from(list(" .,:;!?\"\\'\t\n0123456789-=[]()<>é€😀\u00a0")), max_size=30
)
VARIABLE = "zq_undeclared"


def _escape(data: st.DataObject, char: str, multi_line: bool) -> str:
    """Write one character inside a basic string, escaped or as itself, as TOML allows."""
    if char == "\n" and multi_line:
        return data.draw(st.sampled_from(["\n", "\r\n", "\\n"]))
    named = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    if char in named:
        return named[char]
    return data.draw(
        st.sampled_from([char, f"\\u{ord(char):04x}" if ord(char) < 0x10000 else char])
    )


def _basic_string(data: st.DataObject, before: str, after: str) -> str:
    """A TOML basic string of `before {{ VARIABLE }} after`, the variable written as is."""
    multi_line = data.draw(st.booleans())
    head = "".join(_escape(data, char, multi_line) for char in before)
    tail = "".join(_escape(data, char, multi_line) for char in after)
    body = f"{head}{{{{ {VARIABLE} }}}}{tail}"
    if not multi_line:
        return f'"{body}"'
    # A newline after the opening quotes is dropped; a line-ending backslash writes nothing.
    opening = data.draw(st.sampled_from(["", "\n", "\\\n   \n  "]))
    return f'"""{opening}{body}"""'


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(data=st.data(), before=PROMPT_TEXT, after=PROMPT_TEXT)
def test_a_problem_inside_a_string_points_at_its_characters(
    data: st.DataObject, before: str, after: str
) -> None:
    literal = _basic_string(data, before, after)
    text = f'[agent]\nname = "calc"\n\n[prompts]\nsystem = {literal}\n'
    at = text.index(VARIABLE)
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    result = validate_bytes(text.encode(), NAME)
    found = [(d.code, d.line, d.column) for d in result.diagnostics if d.code == "AG041"]
    assert found == [("AG041", line, column)], result.diagnostics
