"""Garbage in, a positioned diagnostic or a clean usage error out: never a traceback."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agentgen.cli import main

AGENTGEN = Path(sys.executable).parent / "agentgen"
MINIMAL = b'[agent]\nname = "calc"\n'
TOO_DEEP = "tables or arrays are nested too deeply (the limit is 64 levels)"
USAGE = "Usage: agentgen validate [OPTIONS] [PATHS]...\nTry 'agentgen validate --help' for help.\n"


@pytest.fixture(autouse=True)
def _in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty project so names are short and no outer pyproject.toml is read."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def _validate(*args: str) -> Result:
    """`agentgen validate ARGS` in-process; an escaped exception fails the test here."""
    result = CliRunner().invoke(main, ["validate", *args], prog_name="agentgen")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _diagnosed(name: str, content: bytes) -> str:
    """Write a spec, validate it (exit 1 expected) and return its first diagnostic line."""
    Path(name).write_bytes(content)
    result = _validate(name)
    assert result.exit_code == 1, result.output
    assert result.stderr == "1 of 1 spec invalid\n"
    return result.stdout.splitlines()[0]


def _usage_error(*args: str) -> str:
    """Validate, expecting a usage error (exit 2); return click's error line."""
    result = _validate(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(USAGE)
    return result.stderr.splitlines()[-1]


def test_an_empty_file_misses_the_agent_table() -> None:
    line = _diagnosed("empty.toml", b"")
    assert line == "empty.toml:1:1: error[AG011]: missing required table [agent]"


def test_nul_bytes_are_not_toml() -> None:
    line = _diagnosed("nul.toml", b"\x00" * 64)
    assert line == "nul.toml:1:1: error[AG001]: invalid TOML: invalid statement"


def test_random_bytes_after_nul_bytes() -> None:
    # 16 NULs decode as characters; the first random byte, 0xcd, starts a broken sequence.
    content = bytes(16) + random.Random(0).randbytes(4096)
    line = _diagnosed("random.toml", content)
    assert line == (
        "random.toml:1:17: error[AG002]: file is not UTF-8 text (byte 0xcd cannot be decoded)"
    )


def test_a_binary_file_points_at_its_first_undecodable_byte() -> None:
    # gzip magic: 0x1f is a valid (control) character, 0x8b is not UTF-8.
    line = _diagnosed("archive.toml", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(200))
    assert line == (
        "archive.toml:1:2: error[AG002]: file is not UTF-8 text (byte 0x8b cannot be decoded)"
    )


def test_all_byte_values_report_the_line_and_column_of_0x80() -> None:
    # 0x00-0x7f decode; 0x0a starts line 2, whose 118th character would be 0x80.
    line = _diagnosed("bytes.toml", bytes(range(256)))
    assert line == (
        "bytes.toml:2:118: error[AG002]: file is not UTF-8 text (byte 0x80 cannot be decoded)"
    )


def test_latin1_text_points_at_the_bad_byte() -> None:
    content = '[agent]\nname = "calc"\ndescription = "Café au lait"\n'.encode("latin-1")
    line = _diagnosed("latin1.toml", content)
    assert line == (
        "latin1.toml:3:19: error[AG002]: file is not UTF-8 text (byte 0xe9 cannot be decoded)"
    )


def test_the_column_of_a_bad_byte_counts_characters_not_bytes() -> None:
    # 15 characters, then three of three bytes each and a space: the bad byte is the 20th.
    content = '[agent]\nname = "calc"\ndescription = "日本語 '.encode() + b'\xff"\n'
    line = _diagnosed("mixed.toml", content)
    assert line == (
        "mixed.toml:3:20: error[AG002]: file is not UTF-8 text (byte 0xff cannot be decoded)"
    )


def test_a_bom_before_latin1_text_still_points_at_the_bad_byte() -> None:
    content = b"\xef\xbb\xbf" + 'name = "café"\n'.encode("latin-1")
    line = _diagnosed("bom_latin1.toml", content)
    assert line == (
        "bom_latin1.toml:1:12: error[AG002]: file is not UTF-8 text (byte 0xe9 cannot be decoded)"
    )


def test_a_utf8_bom_spec_is_valid() -> None:
    Path("bom.toml").write_bytes(b"\xef\xbb\xbf" + MINIMAL)
    result = _validate("bom.toml")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "1 spec valid\n")


def test_a_bom_does_not_shift_columns_on_the_first_line() -> None:
    line = _diagnosed("bom_bad.toml", b"\xef\xbb\xbfagent = 5\n")
    assert line == (
        "bom_bad.toml:1:9: error[AG012]: wrong type for 'agent': expected a table, got an integer"
    )


def test_an_8_mb_file_is_refused_before_parsing() -> None:
    line = _diagnosed("big.toml", MINIMAL + b"# " + b"x" * (8 * 1024 * 1024) + b"\n")
    assert line == (
        "big.toml:1:1: error[AG004]: file is too large for a spec (8.0 MB; the limit is 2 MB)"
    )


def test_one_byte_over_the_limit_is_refused() -> None:
    content = MINIMAL + b"#" * (2 * 1024 * 1024 - len(MINIMAL) + 1)
    line = _diagnosed("limit.toml", content)
    assert line == (
        "limit.toml:1:1: error[AG004]: file is too large for a spec (2.0 MB; the limit is 2 MB)"
    )


def test_an_8_mb_file_through_the_installed_command(tmp_path: Path) -> None:
    (tmp_path / "big.toml").write_bytes(b"[agent]\n" + b"#" * (8 * 1024 * 1024))
    result = subprocess.run(
        [str(AGENTGEN), "validate", "big.toml"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == (
        "big.toml:1:1: error[AG004]: file is too large for a spec (8.0 MB; the limit is 2 MB)\n"
    )
    assert result.stderr == "1 of 1 spec invalid\n"


def test_a_3000_deep_dotted_table_header() -> None:
    header = "[" + ".".join(["a"] * 3000) + "]\n"
    line = _diagnosed("header.toml", MINIMAL + header.encode())
    # The 65th key of the header, at column 2 + 64 * len("a.").
    assert line == f"header.toml:3:130: error[AG005]: {TOO_DEEP}"


def test_3000_nested_inline_tables() -> None:
    content = "a = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"
    line = _diagnosed("inline.toml", content.encode())
    # Too deep for tomllib itself: the 65th "{", at column 5 + 64 * len("{a = ").
    assert line == f"inline.toml:1:325: error[AG005]: {TOO_DEEP}"


def test_100_nested_inline_tables_point_at_the_65th_key() -> None:
    content = "a = " + "{a = " * 100 + "1" + "}" * 100 + "\n"
    line = _diagnosed("inline100.toml", content.encode())
    # Parsed: the key path ("a", "a", ...) gets 65 long at the key before the 65th "{".
    assert line == f"inline100.toml:1:321: error[AG005]: {TOO_DEEP}"


@pytest.mark.parametrize("depth", [100, 3000])
def test_nested_arrays_point_at_the_65th_bracket(depth: int) -> None:
    content = "a = " + "[" * depth + "1" + "]" * depth + "\n"
    line = _diagnosed("arrays.toml", content.encode())
    assert line == f"arrays.toml:1:69: error[AG005]: {TOO_DEEP}"


def test_deep_brackets_inside_strings_and_comments_do_not_count() -> None:
    decoy = '# [[[[{{{{\nquoted = "[[[[{{{{"\n'
    content = decoy + "a = " + "[" * 3000 + "]" * 3000 + "\n"
    line = _diagnosed("decoy.toml", content.encode())
    assert line == f"decoy.toml:3:69: error[AG005]: {TOO_DEEP}"


def test_a_folder_skips_a_directory_named_like_a_spec() -> None:
    Path("specs/x.toml").mkdir(parents=True)
    Path("specs/calc.toml").write_bytes(MINIMAL)
    result = _validate("specs")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "1 spec valid\n")


def test_a_directory_named_like_a_spec_given_explicitly() -> None:
    # Named like a spec, it is read as one: not scanned (a symlink to `/` would take minutes).
    Path("specs/x.toml").mkdir(parents=True)
    Path("specs/x.toml/calc.toml").write_bytes(MINIMAL)
    result = _validate("specs/x.toml")
    assert result.exit_code == 1
    assert result.stdout == "specs/x.toml:1:1: error[AG003]: cannot read file: is a directory\n"


def test_a_dangling_symlink_cannot_be_read() -> None:
    Path("dangling.toml").symlink_to("missing-target.toml")
    result = _validate("dangling.toml")
    assert result.exit_code == 1
    assert result.stdout == (
        "dangling.toml:1:1: error[AG003]: cannot read file: no such file or directory\n"
    )


def test_a_dangling_symlink_inside_a_folder_is_reported_not_skipped() -> None:
    Path("specs").mkdir()
    Path("specs/calc.toml").write_bytes(MINIMAL)
    Path("specs/gone.toml").symlink_to("missing-target.toml")
    result = _validate("specs")
    assert result.exit_code == 1
    assert result.stdout == (
        "specs/gone.toml:1:1: error[AG003]: cannot read file: no such file or directory\n"
    )
    assert result.stderr == "1 of 2 specs invalid\n"


def test_a_symlink_loop_cannot_be_read() -> None:
    Path("loop.toml").symlink_to("loop.toml")
    result = _validate("loop.toml")
    assert result.exit_code == 1
    assert result.stdout == (
        "loop.toml:1:1: error[AG003]: cannot read file: too many levels of symbolic links\n"
    )


def test_a_device_is_not_read() -> None:
    # /dev/null would read as an empty spec; /dev/zero would never end.
    result = _validate(os.devnull)
    assert result.exit_code == 1
    expected = f"{os.devnull}:1:1: error[AG003]: cannot read file: not a regular file\n"
    assert result.stdout == expected


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.toml")
    # A subprocess with a timeout: opening a FIFO that no one writes to would block forever.
    result = subprocess.run(
        [str(AGENTGEN), "validate", "pipe.toml"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == "pipe.toml:1:1: error[AG003]: cannot read file: not a regular file\n"


def test_a_nonexistent_path_is_a_usage_error() -> None:
    assert _usage_error("nope.toml") == "Error: no such file or folder: 'nope.toml'"


def test_a_folder_without_specs_is_a_usage_error() -> None:
    Path("empty_folder/sub").mkdir(parents=True)
    Path("empty_folder/notes.txt").write_text("not a spec", encoding="utf-8")
    error = _usage_error("empty_folder")
    assert error == "Error: no spec files (*.toml) in folder 'empty_folder'"


def test_a_file_name_too_long_for_the_file_system_is_a_usage_error() -> None:
    name = "n" * 300 + ".toml"
    assert _usage_error(name) == f"Error: cannot use '{name}': file name too long"


def test_one_bad_path_among_good_ones_stops_the_run() -> None:
    Path("calc.toml").write_bytes(MINIMAL)
    assert _usage_error("calc.toml", "nope.toml") == "Error: no such file or folder: 'nope.toml'"


def test_a_huge_valid_string_is_fine() -> None:
    Path("huge.toml").write_bytes(MINIMAL + b'description = "' + b"d" * 1_500_000 + b'"\n')
    result = _validate("huge.toml")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "1 spec valid\n")


def test_a_huge_bad_value_is_clipped_in_the_message() -> None:
    content = MINIMAL + b'[model]\nprovider = "' + b"p" * 1_500_000 + b'"\n'
    Path("huge.toml").write_bytes(content)
    result = _validate("huge.toml")
    shown = "p" * 79 + "…"
    assert result.stdout == (
        f"huge.toml:4:12: error[AG013]: invalid value '{shown}' for 'provider': "
        "expected one of 'openai', 'anthropic'\n"
    )


def test_a_huge_unknown_key_is_clipped_in_the_message() -> None:
    Path("huge.toml").write_bytes(MINIMAL + b"K" * 1_000_000 + b" = 1\n")
    result = _validate("huge.toml")
    shown = "K" * 79 + "…"
    assert result.stdout == f"huge.toml:3:1: error[AG010]: unknown key '{shown}' in [agent]\n"


def test_a_huge_bad_name_is_clipped_in_message_and_hint() -> None:
    Path("huge.toml").write_bytes(b'[agent]\nname = "' + b"N" * 1_000_000 + b'"\n')
    result = _validate("huge.toml")
    assert result.stdout == (
        f"huge.toml:2:8: error[AG020]: '{'N' * 79}…' is not a snake_case identifier\n"
        f"    hint: did you mean '{'n' * 79}…'?\n"
    )


def _deep_schema_spec(param: str) -> bytes:
    return (MINIMAL.decode() + '[tools.t]\ndescription = "d"\n' + param + "\n").encode()


def test_a_200_deep_json_schema_in_dotted_keys() -> None:
    param = "params.x." + ".".join(["properties.a"] * 200) + '.type = "string"'
    line = _diagnosed("schema.toml", _deep_schema_spec(param))
    # Key 65 of the path: ("tools", "t") + params, x, then the 61st part, "properties" 31.
    assert line == f"schema.toml:5:400: error[AG005]: {TOO_DEEP}"


def test_a_200_deep_json_schema_in_inline_tables() -> None:
    level = '{ type = "object", properties = { a = '
    param = "params.x = " + level * 200 + '{ type = "string" }' + " } }" * 200
    line = _diagnosed("schema.toml", _deep_schema_spec(param))
    # Too deep for tomllib: the 65th "{" opens level 33, after 32 levels of 38 characters.
    assert line == f"schema.toml:5:1228: error[AG005]: {TOO_DEEP}"


def test_a_29_deep_json_schema_is_checked_at_its_deepest_key() -> None:
    param = "params.x." + ".".join(["properties.a"] * 29) + '.type = "strin"'
    Path("schema.toml").write_bytes(_deep_schema_spec(param))
    result = _validate("schema.toml")
    assert result.stdout == (
        "schema.toml:5:394: error[AG050]: invalid JSON Schema: unknown type 'strin'\n"
        "    hint: did you mean 'string'?\n"
    )
