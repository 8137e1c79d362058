"""`agentgen validate`: exit codes, output formats, paths, and the project's configuration."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agentgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
VALID = '[agent]\nname = "calc"\n'
# Three problems, written out of order on purpose: output is sorted by position.
BAD = """\
[agent]
name = "Calc"

[model]
provider = "opnai"
max_turns = 3
"""
BAD_TEXT = """\
bad.toml:2:8: error[AG020]: 'Calc' is not a snake_case identifier
    hint: did you mean 'calc'?
bad.toml:5:12: error[AG013]: invalid value 'opnai' for 'provider': expected one of 'openai', \
'anthropic'
    hint: did you mean 'openai'?
bad.toml:6:1: error[AG010]: unknown key 'max_turns' in [model]
    hint: did you mean 'max_retries'?
"""
USAGE = (
    "Usage: agentgen validate [OPTIONS] [PATHS]...\nTry 'agentgen validate --help' for help.\n\n"
)


@pytest.fixture(autouse=True)
def _in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in a fresh project folder with a pyproject.toml and no settings."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def _run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), prog_name="agentgen")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _write(path: str, content: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(content, encoding="utf-8")


def test_a_valid_spec_exits_0_and_says_so_on_stderr() -> None:
    _write("calc.toml", VALID)
    result = _run("validate", "calc.toml")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "1 spec valid\n")


def test_the_bundled_examples_are_valid() -> None:
    examples = sorted((ROOT / "specs").glob("*.toml"))
    result = _run("validate", str(ROOT / "specs"))
    assert result.stdout == ""
    assert (result.exit_code, result.stderr) == (0, f"{len(examples)} specs valid\n")


def test_every_problem_is_reported_sorted_and_exits_1() -> None:
    _write("bad.toml", BAD)
    result = _run("validate", "bad.toml")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        BAD_TEXT,
        "1 of 1 spec invalid\n",
    )


def test_json_lists_every_field_of_every_diagnostic() -> None:
    _write("bad.toml", BAD)
    result = _run("validate", "--format", "json", "bad.toml")
    assert (result.exit_code, result.stderr) == (1, "")
    assert json.loads(result.stdout) == [
        {
            "file": "bad.toml",
            "line": 2,
            "column": 8,
            "code": "AG020",
            "message": "'Calc' is not a snake_case identifier",
            "hint": "did you mean 'calc'?",
            "severity": "error",
        },
        {
            "file": "bad.toml",
            "line": 5,
            "column": 12,
            "code": "AG013",
            "message": (
                "invalid value 'opnai' for 'provider': expected one of 'openai', 'anthropic'"
            ),
            "hint": "did you mean 'openai'?",
            "severity": "error",
        },
        {
            "file": "bad.toml",
            "line": 6,
            "column": 1,
            "code": "AG010",
            "message": "unknown key 'max_turns' in [model]",
            "hint": "did you mean 'max_retries'?",
            "severity": "error",
        },
    ]


def test_json_of_clean_specs_is_an_empty_list() -> None:
    _write("calc.toml", VALID)
    result = _run("validate", "--format=json", "calc.toml")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "[]\n", "")


def test_json_keeps_a_missing_hint_as_null() -> None:
    _write("bad.toml", "[agent]\n")
    result = _run("validate", "--format", "json", "bad.toml")
    assert json.loads(result.stdout) == [
        {
            "file": "bad.toml",
            "line": 1,
            "column": 2,
            "code": "AG011",
            "message": "missing required key 'name' in [agent]",
            "hint": None,
            "severity": "error",
        }
    ]


def test_github_prints_one_workflow_annotation_per_problem() -> None:
    _write("bad.toml", BAD)
    result = _run("validate", "--format", "github", "bad.toml")
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        "::error file=bad.toml,line=2,col=8,title=AG020::'Calc' is not a snake_case identifier"
        " (hint: did you mean 'calc'?)",
        "::error file=bad.toml,line=5,col=12,title=AG013::invalid value 'opnai' for 'provider':"
        " expected one of 'openai', 'anthropic' (hint: did you mean 'openai'?)",
        "::error file=bad.toml,line=6,col=1,title=AG010::unknown key 'max_turns' in [model]"
        " (hint: did you mean 'max_retries'?)",
    ]


def test_github_escapes_file_names_and_messages() -> None:
    _write("a,b:c.toml", '[agent]\nname = "calc"\n"100%\\nsure" = 1\n')
    result = _run("validate", "--format", "github", "a,b:c.toml")
    assert result.stdout == (
        "::error file=a%2Cb%3Ac.toml,line=3,col=1,title=AG010::"
        "unknown key '100%25\\nsure' in [agent]\n"
    )


def test_text_output_keeps_one_diagnostic_on_one_line() -> None:
    _write("bad.toml", '[agent]\nname = "ca\\nlc"\n')
    result = _run("validate", "bad.toml")
    assert result.stdout == (
        "bad.toml:2:8: error[AG020]: 'ca\\nlc' is not a snake_case identifier\n"
        "    hint: did you mean 'ca_lc'?\n"
    )


def _write_bad_tree() -> None:
    for name in ("b.toml", "a.toml", "dir/z.toml", "dir/sub/c.toml"):
        _write(name, "[agent]\n")
    _write("dir/notes.txt", "not a spec")


def test_files_and_folders_are_sorted_and_stable() -> None:
    _write_bad_tree()
    first = _run("validate", "dir", "b.toml", "a.toml", "./a.toml")
    again = _run("validate", "a.toml", "dir", "b.toml")
    error = "error[AG011]: missing required key 'name' in [agent]"
    assert first.stdout.splitlines() == [
        f"a.toml:1:2: {error}",
        f"b.toml:1:2: {error}",
        f"dir/sub/c.toml:1:2: {error}",
        f"dir/z.toml:1:2: {error}",
    ]
    assert (first.stdout, first.stderr) == (again.stdout, again.stderr)
    assert first.stderr == "4 of 4 specs invalid\n"


def test_one_invalid_spec_among_valid_ones_exits_1() -> None:
    _write("specs/good.toml", VALID)
    _write("specs/bad.toml", "[agent]\n")
    result = _run("validate", "specs")
    assert result.exit_code == 1
    assert result.stdout == (
        "specs/bad.toml:1:2: error[AG011]: missing required key 'name' in [agent]\n"
    )
    assert result.stderr == "1 of 2 specs invalid\n"


def test_without_paths_the_default_specs_folder_is_validated() -> None:
    _write("specs/bad.toml", "[agent]\n")
    result = _run("validate")
    assert result.exit_code == 1
    assert result.stdout == (
        "specs/bad.toml:1:2: error[AG011]: missing required key 'name' in [agent]\n"
    )


def test_without_paths_or_specs_folder_is_a_usage_error() -> None:
    result = _run("validate")
    assert result.exit_code == 2
    assert result.stderr == USAGE + "Error: no such file or folder: 'specs'\n"


def _configure(settings: str) -> None:
    _write("pyproject.toml", f'[project]\nname = "x"\n\n[tool.agentgen]\n{settings}\n')


def test_tool_agentgen_specs_sets_the_default_folder() -> None:
    _configure('specs = "agents"')
    _write("agents/bad.toml", "[agent]\n")
    _write("specs/ignored.toml", "[agent]\n")
    result = _run("validate")
    assert result.exit_code == 1
    assert result.stdout == (
        "agents/bad.toml:1:2: error[AG011]: missing required key 'name' in [agent]\n"
    )


def test_the_configuration_is_found_from_a_subfolder(monkeypatch: pytest.MonkeyPatch) -> None:
    _configure('specs = "agents"')
    _write("agents/bad.toml", "[agent]\n")
    Path("src/pkg").mkdir(parents=True)
    monkeypatch.chdir("src/pkg")
    result = _run("validate")
    assert result.stdout == (
        "../../agents/bad.toml:1:2: error[AG011]: missing required key 'name' in [agent]\n"
    )


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ('spec = "agents"', "unknown key 'spec' in [tool.agentgen] (did you mean 'specs'?)"),
        (
            "colour = 1",
            "unknown key 'colour' in [tool.agentgen] (known keys: out, specs, templates)",
        ),
        ("specs = 5", "[tool.agentgen] specs must be a folder path"),
        ('specs = ""', "[tool.agentgen] specs must be a folder path"),
        ('out = ["a"]', "[tool.agentgen] out must be a folder path"),
    ],
)
def test_a_bad_tool_agentgen_table_is_a_usage_error(settings: str, error: str) -> None:
    _configure(settings)
    result = _run("validate")
    assert result.exit_code == 2
    assert result.stderr == f"{USAGE}Error: pyproject.toml: {error}\n"


@pytest.mark.parametrize("content", ["tool = 5\n", "[tool]\nagentgen = 5\n"])
def test_a_tool_agentgen_that_is_not_a_table_is_a_usage_error(content: str) -> None:
    _write("pyproject.toml", content)
    result = _run("validate")
    assert result.exit_code == 2
    assert result.stderr == f"{USAGE}Error: pyproject.toml: [tool.agentgen] must be a table\n"


def test_an_unparsable_pyproject_is_a_usage_error() -> None:
    _write("pyproject.toml", "[tool.agentgen\n")
    result = _run("validate")
    assert result.exit_code == 2
    assert result.stderr == (
        f"{USAGE}Error: pyproject.toml: cannot read [tool.agentgen]: "
        "Expected ']' at the end of a table declaration (at line 1, column 15)\n"
    )


def test_an_unknown_format_is_a_usage_error() -> None:
    _write("calc.toml", VALID)
    result = _run("validate", "--format", "xml", "calc.toml")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '--format': 'xml' is not one of 'text', 'json', 'github'.\n"
    )


def test_help_lists_the_commands() -> None:
    result = _run("--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: agentgen [OPTIONS] COMMAND [ARGS]...\n")
    assert re.search(r"^  validate +Check spec files", result.stdout, re.MULTILINE)
    assert re.search(r"^  schema +Print the JSON Schema", result.stdout, re.MULTILINE)


def test_validate_help_shows_the_formats() -> None:
    result = _run("validate", "-h")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: agentgen validate [OPTIONS] [PATHS]...\n")
    assert "--format [text|json|github]" in result.stdout


def test_version_is_the_installed_one() -> None:
    result = _run("--version")
    assert (result.exit_code, result.stdout) == (0, f"agentgen, version {version('agentgen')}\n")
