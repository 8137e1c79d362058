"""Merging generated Python by units: the cut is lossless, and what does not parse is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgen.merge_units import merge_units, split_units

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted((ROOT / "generated").glob("*/*.py"))
BASE = (
    "X = 1\n\n\ndef f() -> int:\n    match X:\n        case 1:\n            return 1\n"
    "    return 0\n"
)


@pytest.mark.parametrize("module", MODULES, ids=[m.relative_to(ROOT).as_posix() for m in MODULES])
def test_units_join_back_to_the_file_and_have_unique_keys(module: Path) -> None:
    text = module.read_text(encoding="utf-8")
    units = split_units(text)
    assert units is not None
    assert "".join(unit.text for unit in units) == text
    assert len({unit.key for unit in units}) == len(units)


def test_a_file_that_does_not_parse_is_left_to_the_line_merge() -> None:
    assert split_units("def broken(:\n") is None
    assert merge_units(BASE, "def broken(:\n", BASE) is None


def test_a_new_case_goes_where_the_generator_puts_it_beside_an_edited_one() -> None:
    yours = BASE.replace("        case 1:\n", "        case 1:  # one\n")
    new = BASE.replace(
        "            return 1\n", "            return 1\n        case 2:\n            return 2\n"
    )
    merged = merge_units(BASE, yours, new)
    assert merged is not None
    assert merged.text == yours.replace(
        "            return 1\n", "            return 1\n        case 2:\n            return 2\n"
    )
    assert merged.kept == ("case 1 (in f)",)
    assert merge_units(BASE, yours, new) == merged, "the same inputs, the same bytes"


def test_a_unit_the_user_added_stays_after_the_one_it_followed() -> None:
    yours = BASE.replace("X = 1\n", "X = 1\nY = 2\n")
    new = BASE.replace("X = 1\n", "W = 0\nX = 1\n")
    merged = merge_units(BASE, yours, new)
    assert merged is not None
    assert merged.text.startswith("W = 0\nX = 1\nY = 2\n")
    assert merged.conflicts == ()
