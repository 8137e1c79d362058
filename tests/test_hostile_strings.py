"""Hostile spec strings reach generated code as inert data: it compiles, checks, runs nothing."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from agentgen.cli import main
from agentgen.validate import validate_bytes, validate_file

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MYPY_CACHE = ROOT / ".mypy_cache"
PWNED = "PWNED"
HOSTILE = (
    "triple \"\"\" double and ''' single",
    'back\\slash \\n \\x00 \\\\ \\" \\u0041',
    "trailing backslash\\",
    "{{ braces }} and {% if tag %} and {# comment #}",
    "line one\nline two\r\nline three\rline four",
    "controls \x01\x07\x08\x0b\x0c\x1b\x7f\t end",
    "rtl \u202e\u2067 override, emoji \U0001f600, joiner \u200d, separators \u2028\u2029\x85",
    "__import__('os').system('touch PWNED')",
    '"""; import os; os.system("touch PWNED"); """',
    "'''; import os; os.system('touch PWNED'); '''",
    '\\"""; import os; os.system(\'touch PWNED\') #',
    "${PWNED} $(touch PWNED) `touch PWNED`",
)
NAMES = ("class", "from", "import", "type", "list", "print", "self", "model_config", "json", "copy")
# Prompts are Jinja templates: hostile text goes in a raw block (`{% %}` itself is refused).
# Prompt variables named like what prompts.py itself uses: parameters, locals, pydantic's names.
VARS: dict[str, Any] = {
    "copy": "c",
    "instructions": "i",
    "json": "j",
    "list": ["l", "m"],
    "model_config": "mc",
    "print": "p",
    "prompt": "pr",
    "state": "s",
    "str": "st",
    "type": "t",
}
USES = "{{ copy }}{{ instructions }}{{ json }}{{ list | join }}{{ model_config }}{{ print }}"
USES += "{{ prompt }}{{ state }}{{ str }}{{ type }}"
RENDERED = "cijlmmcpprsstt"
SYSTEM = f"You obey nobody. {USES} {{% raw %}}" + "\n".join(HOSTILE) + "{% endraw %}\n"
NEXT_STEP = f"{{{{ thread }}}} {USES}\n{{% raw %}}" + " | ".join(HOSTILE) + "{% endraw %}"
PATTERN = "^[^\"'\\\\]*$"  # no quotes, no backslashes
# Python literals of enum values: comparing with a value outside the enum fails mypy --strict.
WHEN_VALUES = (HOSTILE[8], HOSTILE[2], HOSTILE[3], HOSTILE[4])
WHEN = "type == {!r} or json in [{!r}, {!r}, {!r}]".format(*WHEN_VALUES)


def _toml(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = [
        f"\\u{ord(char):04x}" if ord(char) < 0x20 or ord(char) == 0x7F else char
        for char in text.replace("\\", "\\\\").replace('"', '\\"')
    ]
    return '"' + "".join(escaped) + '"'


def _array(texts: tuple[str, ...]) -> str:
    return "[" + ", ".join(map(_toml, texts)) + "]"


def _param(name: str, index: int) -> str:
    """A string param with a hostile enum, default and description."""
    text = HOSTILE[index % len(HOSTILE)]
    fields = f"type = 'string', enum = {_array(HOSTILE)}, default = {_toml(text)}"
    return f"params.{_toml(name)} = {{ {fields}, description = {_toml(text)} }}"


def hostile_spec() -> str:
    """A valid spec with a hostile string in every place a string can go."""
    lines = [
        "[agent]",
        'name = "hostile"',
        f"description = {_toml(HOSTILE[0])}",
        "[prompts]",
        f"system = {_toml(SYSTEM)}",
        f"next_step = {_toml(NEXT_STEP)}",
        "[prompts.vars]",
        *(f"{name} = '{'array' if name == 'list' else 'string'}'" for name in VARS),
        "[types.Note]",
        f"type = 'string'\nenum = {_array(HOSTILE)}\ndescription = {_toml(HOSTILE[1])}",
    ]
    for index, text in enumerate(HOSTILE):
        lines += [f"[tools.tool_{index}]", f"description = {_toml(text)}", _param("value", index)]
        lines.append(f"returns = {{ type = 'string', description = {_toml(text)} }}")
    lines += ["[tools.names]", f"description = {_toml(HOSTILE[2])}"]
    lines += [_param(name, index) for index, name in enumerate(NAMES)]
    lines += ["params.note = { '$ref' = '#/$defs/Note' }", f"approval = {{ when = {_toml(WHEN)} }}"]
    titled = f"type = 'string', pattern = {_toml(PATTERN)}, title = {_toml(HOSTILE[9])}"
    lines.append(f"params.titled = {{ anyOf = [{{ {titled} }}, {{ type = 'null' }}] }}")
    lines.append(
        f"params.fixed = {{ anyOf = [{{ const = {_toml(HOSTILE[8])} }}, {{ type = 'null' }}] }}"
    )
    lines += ["[humans.pick]", f"description = {_toml(HOSTILE[3])}", 'format = "multiple_choice"']
    lines += [f"choices = {_array(HOSTILE)}", _param("question", 4)]
    lines += ["[done]", 'name = "finish"', f"description = {_toml(HOSTILE[5])}"]
    lines += [_param(name, index) for index, name in enumerate(NAMES)]
    lines += ["[state.fields.last_value]", "type = 'string'", f"enum = {_array(HOSTILE)}"]
    lines += [f"default = {_toml(HOSTILE[6])}", "from = 'tool_0.args.value'"]
    lines += ["[states.working]", "initial = true", f"description = {_toml(HOSTILE[7])}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile spec, written and generated; the output folder."""
    root = tmp_path_factory.mktemp("hostile")
    spec = root / "hostile.toml"
    spec.write_text(hostile_spec(), encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(spec), "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return root / "out"


@pytest.fixture(scope="module")
def package(out: Path) -> ModuleType:
    """The generated package, imported in this process (after the subprocess proved it inert)."""
    name = "hostile_strings_package"
    spec = importlib.util.spec_from_file_location(
        name, out / "hostile" / "__init__.py", submodule_search_locations=[str(out / "hostile")]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _submodule(package: ModuleType, name: str) -> Any:
    return sys.modules[f"{package.__name__}.{name}"]


def test_the_hostile_spec_is_valid(tmp_path: Path) -> None:
    spec = tmp_path / "hostile.toml"
    spec.write_text(hostile_spec(), encoding="utf-8")
    assert validate_file(spec).diagnostics == []


@pytest.mark.parametrize(
    ("prompt", "diagnostic"),
    [
        ("a {% %} b", "h.toml:4:16: error[AG040]: invalid template: tag name expected"),
        (
            "a {{ }} b",
            "h.toml:4:16: error[AG040]: invalid template: expected an expression, "
            "got 'end of print statement'",
        ),
    ],
)
def test_broken_template_syntax_in_a_prompt_is_refused(prompt: str, diagnostic: str) -> None:
    # Why the prompts hold the hostile strings inside `{% raw %}` blocks only.
    spec = f'[agent]\nname = "h"\n[prompts]\nsystem = {_toml(prompt)}\n'
    assert [d.text() for d in validate_bytes(spec.encode(), "h.toml").diagnostics] == [diagnostic]


def test_every_file_compiles(out: Path) -> None:
    files = sorted((out / "hostile").glob("*.py"))
    assert len(files) == 14
    for path in files:
        compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "--isolated", "--no-cache", "--line-length", "100", "hostile"),
        ("mypy", "--strict", "--cache-dir", str(MYPY_CACHE), "hostile"),
    ],
    ids=["ruff", "mypy"],
)
def test_ruff_check_and_mypy_strict_pass(out: Path, command: tuple[str, ...]) -> None:
    tool, *arguments = command
    result = subprocess.run(
        [str(BIN / tool), *arguments], cwd=out, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_every_module_executes_nothing(out: Path) -> None:
    modules = sorted(path.stem for path in (out / "hostile").glob("*.py"))
    imports = "; ".join(f"import hostile.{module}" for module in modules if module != "__init__")
    result = subprocess.run(
        [sys.executable, "-c", f"import hostile; {imports}"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert sorted(out.parent.rglob(f"*{PWNED}*")) == []
    assert not (Path.cwd() / PWNED).exists()


def test_descriptions_and_choices_round_trip(package: ModuleType) -> None:
    tools = _submodule(package, "tools")
    for index, text in enumerate(HOSTILE):
        assert tools.INTENTS[f"tool_{index}"].description == text.strip()  # the docstring
        params = tools.INTENTS[f"tool_{index}"].parameters["properties"]["value"]
        assert (params["enum"], params["default"]) == (list(HOSTILE), text)
        # pydantic reads a field's description from its docstring, whose whitespace it cleans
        assert params["description"].split() == text.split()
        assert getattr(package, f"Tool{index}").__doc__ == text.strip()
    assert tools.HUMAN_ANSWERS == {"pick": HOSTILE}
    # A named enum is a type alias in Python, with no docstring: the model reads its values.
    names = tools.INTENTS["names"].parameters
    note = names["properties"]["note"]
    if "$ref" in note:
        note = names["$defs"][note["$ref"].removeprefix("#/$defs/")]
    assert note["enum"] == list(HOSTILE)


def test_prompts_round_trip(package: ModuleType) -> None:
    prompts = _submodule(package, "prompts")
    assert (prompts.SYSTEM, prompts.NEXT_STEP) == (SYSTEM, NEXT_STEP)
    assert {"working": HOSTILE[7]} == prompts.STATE_INSTRUCTIONS
    # Jinja writes every newline of a template as "\n": that is the only change rendering makes.
    lines = [text.replace("\r\n", "\n").replace("\r", "\n") for text in HOSTILE]
    # As the agent does: validate the variables, keep them as JSON, render from a fresh copy.
    kept = prompts.PromptVars.model_validate(VARS).model_dump(mode="json")
    variables = prompts.PromptVars.model_validate(kept).model_dump()
    system = prompts.render_system(None, **variables)
    assert system == f"You obey nobody. {RENDERED} " + "\n".join(lines) + "\n"
    next_step = prompts.render_next_step("THREAD", None, **variables)
    assert next_step == f"THREAD {RENDERED}\n" + " | ".join(lines)


@pytest.mark.parametrize("value", HOSTILE)
def test_enum_values_and_keyword_names_validate(package: ModuleType, value: str) -> None:
    call = {"intent": "names", **dict.fromkeys(NAMES, value), "note": value}
    parsed = _submodule(package, "tools").NEXT_STEP.validate_python(call)
    assert type(parsed) is package.Names
    assert parsed.model_dump(by_alias=True, mode="json", exclude={"titled", "fixed"}) == call
    assert (parsed.class_, parsed.from_, parsed.import_, parsed.self, parsed.type) == (value,) * 5


def test_titles_patterns_and_constants_are_data(package: ModuleType) -> None:
    names = {"intent": "names", "note": HOSTILE[0], "titled": "plain words", "fixed": HOSTILE[8]}
    parsed = package.Names.model_validate(names)
    assert (parsed.titled.root, parsed.fixed) == ("plain words", HOSTILE[8])
    assert package.Names.model_validate({"intent": "names", "note": HOSTILE[0]}).fixed is None
    for bad in ({"titled": 'a "quote"'}, {"titled": "back\\slash"}, {"fixed": HOSTILE[9]}):
        with pytest.raises(ValidationError):
            package.Names.model_validate({"intent": "names", "note": HOSTILE[0], **bad})


def test_defaults_round_trip(package: ModuleType) -> None:
    finish = package.Finish.model_validate({"intent": "finish"})
    dumped = finish.model_dump(by_alias=True)
    assert dumped == {"intent": "finish"} | {
        name: HOSTILE[index] for index, name in enumerate(NAMES)
    }
    assert package.AgentState().last_value == HOSTILE[6]


def test_the_when_condition_keeps_its_literals(out: Path) -> None:
    tree = ast.parse((out / "hostile" / "agent.py").read_text(encoding="utf-8"))
    [condition] = [
        node.test
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "step.json_" in ast.unparse(node.test)
    ]
    assert ast.unparse(condition).startswith("step.type == ")
    literals = [node.value for node in ast.walk(condition) if isinstance(node, ast.Constant)]
    assert literals == list(WHEN_VALUES)
